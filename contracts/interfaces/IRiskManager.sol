// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title IRiskManager
/// @notice Turns market conditions into the vault's risk caps: volatility tightens each collateral's borrow LTV and
///         liquidation threshold, a proof-of-reserve shortfall freezes a bridged asset, reserves below target raise
///         the reserve factor. It also scores how far each account is from liquidation, in standard deviations.
/// @dev The caps, for a collateral with governance LTV₀ and threshold LT₀, annualised volatility σ (from the
///      volatility oracle), the asset's reference volatility σ_ref and the horizon H (seconds):
///          s       = max(0, σ − σ_ref) · √(H / YEAR)          (the excess move over the horizon, one sigma)
///          ltvCap  = LTV₀ − min(maxLtvCut, kLtv · s)          (0 while reserves are short)
///          ltCap   = LT₀ − min(maxThresholdCut, kThreshold · s) (LT₀ − maxThresholdCut while reserves are short)
///      each cut rounded up and ltCap kept ≥ LT₀ / 2 (the vault's floor). The vault moves the effective values
///      towards the caps along its bounded ramp: LTV cuts at once, thresholds at most 1 point an hour.
///      Risk score of an account with debt value D, liquidation limit L = Σ valueᵢ·LTᵢ (the vault's own figures),
///      collateral volatilities σᵢ and base volatility σ_b: the z such that every collateral falling by z·σᵢ·√H and
///      the base rising by z·σ_b·√H makes the account liquidatable:
///          z = (L − D) / (Σ valueᵢ·LTᵢ·σᵢ·√H + D·σ_b·√H)     (0 when L ≤ D; type(uint256).max with no debt or σ = 0)
///      Under one collateral, z = (HF − 1) / ((HF·σ + σ_b)·√H): it orders accounts exactly as the health factor does.
///      Every entry point that changes state is permissionless and only moves the vault towards the caps above.
interface IRiskManager {
    /// @notice How volatility tightens one collateral (all WAD).
    /// @param referenceVolatility Annualised volatility at or below which the governance parameters apply unchanged.
    /// @param ltvK Sigmas of excess move cut from the LTV.
    /// @param thresholdK Sigmas of excess move cut from the threshold.
    /// @param maxLtvCut Largest cut of the LTV by volatility.
    /// @param maxThresholdCut Largest cut of the threshold (also the cut under a reserve shortfall).
    struct AssetRisk {
        uint64 referenceVolatility;
        uint64 ltvK;
        uint64 thresholdK;
        uint64 maxLtvCut;
        uint64 maxThresholdCut;
    }

    /// @notice A bridged asset's proof-of-reserve check.
    /// @param feed Chainlink Proof-of-Reserve feed of the asset's backing (zero: not checked).
    /// @param heartbeat Longest age of a reserve report before it counts as stale, seconds.
    /// @param tolerance Shortfall of reserves below the token's supply tolerated, WAD (0.01e18: 1%).
    /// @param feedDecimals The feed's decimals, read when it is set.
    struct ReserveCheck {
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint64 tolerance;
        uint8 feedDecimals;
    }

    /// @notice Global parameters (WAD unless stated).
    /// @param horizon The horizon of the volatility cuts and risk scores, seconds.
    /// @param reserveTarget Reserves the vault should hold, as a share of total debt.
    /// @param reserveBoost What the reserve factor rises by while reserves are below target.
    struct Params {
        uint32 horizon;
        uint64 reserveTarget;
        uint64 reserveBoost;
    }

    /// @notice The proof-of-reserve verdict on an asset.
    enum ReserveStatus {
        UNCHECKED, // no feed configured
        OK, // reserves ≥ supply × (1 − tolerance), fresh
        SHORT, // reserves below supply × (1 − tolerance)
        STALE, // the last report is older than the heartbeat
        BROKEN // the feed reverted, answered ≤ 0 or with updatedAt 0 or in the future
    }

    /// @notice Thrown when a parameter is outside its bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown when an asset is not a listed collateral of the vault.
    error NotCollateral(address asset);
    /// @notice Thrown when a reserve feed's decimals cannot be read or exceed 36.
    error BadReserveFeed(address feed);
    /// @notice Thrown by `renounceOwnership`: an owner-less risk manager could never be tuned again.
    error RenounceDisabled();

    /// @notice Emitted when governance sets the global parameters.
    event ParamsSet(Params params);
    /// @notice Emitted when governance sets how volatility tightens `asset`.
    event AssetRiskSet(address indexed asset, AssetRisk risk);
    /// @notice Emitted when governance sets (or, with a zero feed, removes) `asset`'s proof-of-reserve check.
    event ReserveCheckSet(address indexed asset, address indexed feed, uint32 heartbeat, uint64 tolerance);
    /// @notice Emitted when a sync sends `asset`'s caps to the vault.
    event CapsSynced(
        address indexed asset,
        uint256 volatility,
        ReserveStatus reserveStatus,
        uint64 ltvCap,
        uint64 thresholdCap
    );
    /// @notice Emitted when a sync sets the reserve-factor boost.
    event ReserveBoostSynced(uint256 reserves, uint256 target, uint256 boost);

    /// @notice Recomputes `asset`'s caps from its volatility and reserve status and sends them to the vault.
    ///         Permissionless (keepers, Chainlink Automation).
    /// @dev Reverts with `NotCollateral`.
    function sync(address asset) external returns (uint64 ltvCap, uint64 thresholdCap);

    /// @notice `sync` for each of `assets`. Permissionless.
    function syncMany(address[] calldata assets) external;

    /// @notice Raises the reserve factor by `reserveBoost` while reserves are below target, and clears the boost once
    ///         they are rebuilt. Permissionless.
    /// @return boost The boost now in force.
    function syncReserves() external returns (uint256 boost);

    /// @notice The caps `sync(asset)` would send now, with the inputs behind them.
    function caps(
        address asset
    ) external view returns (uint64 ltvCap, uint64 thresholdCap, uint256 volatility, ReserveStatus reserveStatus);

    /// @notice The proof-of-reserve verdict on `asset` now, with the reported reserves and the token's supply (both
    ///         in the token's units; zero when unchecked or unreadable).
    function reserveStatus(
        address asset
    ) external view returns (ReserveStatus status, uint256 reserves, uint256 supply);

    /// @notice Standard deviations of adverse price move before `account` becomes liquidatable (WAD; the formula
    ///         above): 0 when liquidatable now, type(uint256).max with no debt.
    function riskScore(address account) external view returns (uint256);

    /// @notice `riskScore` of each account, for keepers and monitors.
    function riskScores(address[] calldata accounts) external view returns (uint256[] memory scores);

    /// @notice The global parameters.
    function params() external view returns (Params memory);

    /// @notice How volatility tightens `asset`.
    function assetRisk(address asset) external view returns (AssetRisk memory);

    /// @notice `asset`'s proof-of-reserve check.
    function reserveCheck(address asset) external view returns (ReserveCheck memory);

    /// @notice Sets the global parameters, inside the bounds. Owner (the timelock) only.
    function setParams(Params calldata params) external;

    /// @notice Sets how volatility tightens `asset`, inside the bounds. Owner only.
    function setAssetRisk(address asset, AssetRisk calldata risk) external;

    /// @notice Sets `asset`'s proof-of-reserve feed, heartbeat and tolerance; a zero feed removes the check. Owner
    ///         only.
    function setReserveCheck(address asset, AggregatorV3Interface feed, uint32 heartbeat, uint64 tolerance) external;
}
