// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IRiskManager} from "../interfaces/IRiskManager.sol";
import {IVolatilityOracle} from "../interfaces/IVolatilityOracle.sol";
import {LendingBook} from "../core/LendingBook.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {Bounds} from "../libraries/Bounds.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title RiskManager
/// @notice Adaptive risk for one vault: volatility-driven caps on each collateral's LTV and threshold, a
///         proof-of-reserve freeze for bridged collateral, a reserve-factor boost while reserves rebuild, and account
///         risk scores (formulas on the interface).
/// @dev Invariants:
///      - Caps never exceed the governance config and never go below the vault's floor (half the threshold); the
///        vault itself bounds how fast they take effect, so this contract cannot liquidate anyone at once.
///      - sync, syncMany and syncReserves are permissionless and deterministic: the same market state gives the same
///        caps and boost whoever calls.
///      - A proof-of-reserve feed is read with a fixed gas budget by a low-level call: a broken, code-less, malformed
///        or griefing feed reads BROKEN (freeze) and never reverts a sync.
///      - Parameters change only through the owner (the timelock), inside the bounds below.
contract RiskManager is IRiskManager, Ownable2Step {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    /// @notice Seconds in a year: volatilities are annualised.
    uint256 public constant YEAR = 365 days;
    /// @notice Shortest horizon: one hour (the time a keeper network needs to act).
    uint32 public constant MIN_HORIZON = 1 hours;
    /// @notice Longest horizon: a week; beyond it a cut says nothing about the next liquidation.
    uint32 public constant MAX_HORIZON = 7 days;
    /// @notice Highest reserve target: 20% of total debt.
    uint64 public constant MAX_RESERVE_TARGET = 0.2e18;
    /// @notice Highest reserve-factor boost: the vault's own (LendingBook.MAX_RESERVE_BOOST).
    uint64 public constant MAX_RESERVE_BOOST = uint64(LendingBook.MAX_RESERVE_BOOST);
    /// @notice Highest reference volatility: 500% a year.
    uint64 public constant MAX_REFERENCE_VOLATILITY = 5e18;
    /// @notice Highest number of sigmas cut.
    uint64 public constant MAX_K = 5e18;
    /// @notice Largest cut of an LTV by volatility: 50 points.
    uint64 public constant MAX_LTV_CUT = 0.5e18;
    /// @notice Largest cut of a threshold: 25 points (the vault also floors it at half the governance threshold).
    uint64 public constant MAX_THRESHOLD_CUT = 0.25e18;
    /// @notice Longest proof-of-reserve heartbeat: a week (Chainlink's PoR feeds report daily or on deviation).
    uint32 public constant MAX_RESERVE_HEARTBEAT = 7 days;
    /// @notice Largest tolerated reserve shortfall: 10%.
    uint64 public constant MAX_RESERVE_TOLERANCE = 0.1e18;
    /// @notice Gas given to a proof-of-reserve feed read: a griefing feed cannot make a sync run out of gas.
    uint256 public constant FEED_GAS = 100_000;

    uint256 private constant WAD = 1e18;

    /// @notice The vault whose caps this manager sets.
    ICollateralVault public immutable vault;
    /// @notice The volatility estimates the caps and scores use.
    IVolatilityOracle public immutable volatilityOracle;
    address private immutable _base;

    Params private _params;
    mapping(address asset => AssetRisk) private _risk;
    mapping(address asset => ReserveCheck) private _reserveChecks;

    /// @param vault_ The vault (it must name this contract as its risk manager through `setRiskModules`).
    /// @param volatilityOracle_ The volatility estimator.
    /// @param params_ Initial global parameters, inside the bounds.
    /// @param owner_ Governance: the timelock in production.
    constructor(
        ICollateralVault vault_,
        IVolatilityOracle volatilityOracle_,
        Params memory params_,
        address owner_
    ) Ownable(owner_) {
        if (address(vault_) == address(0) || address(volatilityOracle_) == address(0)) revert ZeroAddress();
        vault = vault_;
        volatilityOracle = volatilityOracle_;
        _base = IERC4626(address(vault_)).asset();
        _setParams(params_);
    }

    // ================================================================= permissionless syncs

    /// @inheritdoc IRiskManager
    function sync(address asset) public returns (uint64 ltvCap, uint64 thresholdCap) {
        uint256 vol;
        ReserveStatus status;
        (ltvCap, thresholdCap, vol, status) = caps(asset);
        vault.setRiskCaps(asset, ltvCap, thresholdCap);
        emit CapsSynced(asset, vol, status, ltvCap, thresholdCap);
    }

    /// @inheritdoc IRiskManager
    function syncMany(address[] calldata assets) external {
        for (uint256 i; i < assets.length; ++i) sync(assets[i]);
    }

    /// @inheritdoc IRiskManager
    function syncReserves() external returns (uint256 boost) {
        uint256 reserves = vault.reserves();
        uint256 target = vault.totalDebt().wadMulUp(_params.reserveTarget);
        boost = reserves < target ? _params.reserveBoost : 0;
        vault.setReserveBoost(boost);
        emit ReserveBoostSynced(reserves, target, boost);
    }

    // ================================================================= views

    /// @inheritdoc IRiskManager
    function caps(
        address asset
    ) public view returns (uint64 ltvCap, uint64 thresholdCap, uint256 vol, ReserveStatus status) {
        (uint256 borrowLtv, uint256 liquidationThreshold) = _config(asset);
        AssetRisk memory risk = _risk[asset];
        vol = volatilityOracle.volatility(asset);
        (status, , ) = reserveStatus(asset);
        uint256 excess = vol > risk.referenceVolatility ? vol - risk.referenceVolatility : 0;
        uint256 stress = excess.wadMulUp(_sqrtHorizon());
        uint256 ltvCut = _min(uint256(risk.ltvK).wadMulUp(stress), risk.maxLtvCut);
        uint256 thresholdCut = _min(uint256(risk.thresholdK).wadMulUp(stress), risk.maxThresholdCut);
        bool short = status != ReserveStatus.UNCHECKED && status != ReserveStatus.OK;
        if (short) (ltvCut, thresholdCut) = (borrowLtv, risk.maxThresholdCut);
        ltvCap = uint64(borrowLtv > ltvCut ? borrowLtv - ltvCut : 0);
        uint256 floor = liquidationThreshold.wadMulUp(0.5e18);
        uint256 lt = liquidationThreshold > thresholdCut ? liquidationThreshold - thresholdCut : 0;
        thresholdCap = uint64(lt > floor ? lt : floor);
    }

    /// @inheritdoc IRiskManager
    function reserveStatus(address asset) public view returns (ReserveStatus status, uint256 reserves, uint256 supply) {
        ReserveCheck memory check = _reserveChecks[asset];
        if (address(check.feed) == address(0)) return (ReserveStatus.UNCHECKED, 0, 0);
        (bool ok, int256 answer, uint256 updatedAt) = _latestRound(check.feed);
        if (!ok) return (ReserveStatus.BROKEN, 0, 0);
        if (answer <= 0 || updatedAt == 0 || updatedAt > block.timestamp) return (ReserveStatus.BROKEN, 0, 0);
        supply = IERC20(asset).totalSupply();
        uint8 decimals = vault.collateralDecimals(asset);
        reserves = uint256(answer).mulDivDown(10 ** decimals, 10 ** check.feedDecimals);
        if (block.timestamp - updatedAt > check.heartbeat) return (ReserveStatus.STALE, reserves, supply);
        // Short when reserves < supply × (1 − tolerance); the product rounds up, so the check errs towards SHORT.
        if (reserves < supply.wadMulUp(WAD - check.tolerance)) return (ReserveStatus.SHORT, reserves, supply);
        return (ReserveStatus.OK, reserves, supply);
    }

    /// @inheritdoc IRiskManager
    function riskScore(address account) public view returns (uint256) {
        ICollateralVault.AccountLiquidity memory liq = vault.accountLiquidity(account);
        if (liq.debt == 0) return type(uint256).max;
        if (liq.liquidationLimit <= liq.debtValue) return 0;
        uint256 sqrtH = _sqrtHorizon();
        // Σ valueᵢ·LTᵢ·σᵢ and Σ valueᵢ·LTᵢ over the account's collateral (≤ 16 listed assets), then the weighted
        // volatility applied to the vault's own limit, so the score orders accounts exactly as borrow-side health does.
        IPriceOracle oracle = vault.oracle();
        address[] memory assets = vault.collateralAssets();
        uint256 weighted;
        uint256 total;
        for (uint256 i; i < assets.length; ++i) {
            uint256 held = vault.collateralOf(account, assets[i]);
            if (held == 0) continue;
            IPriceOracle.Price memory price = oracle.getPrice(assets[i]);
            if (price.status == IPriceOracle.Status.FAILED) continue;
            uint8 decimals = vault.collateralDecimals(assets[i]);
            (, uint256 lt) = vault.riskParams(assets[i]);
            uint256 limit = held.mulDivDown(price.low, 10 ** decimals).wadMulDown(lt);
            weighted += limit.wadMulUp(volatilityOracle.volatility(assets[i]));
            total += limit;
        }
        uint256 collateralVol = total == 0 ? 0 : weighted.mulDivUp(WAD, total);
        uint256 sensitivity =
            liq.liquidationLimit.wadMulUp(collateralVol) + liq.debtValue.wadMulUp(volatilityOracle.volatility(_base));
        sensitivity = sensitivity.wadMulUp(sqrtH);
        if (sensitivity == 0) return type(uint256).max;
        return (liq.liquidationLimit - liq.debtValue).wadDivDown(sensitivity);
    }

    /// @inheritdoc IRiskManager
    function riskScores(address[] calldata accounts) external view returns (uint256[] memory scores) {
        scores = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) scores[i] = riskScore(accounts[i]);
    }

    /// @inheritdoc IRiskManager
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IRiskManager
    function assetRisk(address asset) external view returns (AssetRisk memory) {
        return _risk[asset];
    }

    /// @inheritdoc IRiskManager
    function reserveCheck(address asset) external view returns (ReserveCheck memory) {
        return _reserveChecks[asset];
    }

    // ================================================================= governance

    /// @inheritdoc IRiskManager
    function setParams(Params calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc IRiskManager
    function setAssetRisk(address asset, AssetRisk calldata risk) external onlyOwner {
        _config(asset);
        Bounds.check("referenceVolatility", risk.referenceVolatility, 0, MAX_REFERENCE_VOLATILITY);
        Bounds.check("ltvK", risk.ltvK, 0, MAX_K);
        Bounds.check("thresholdK", risk.thresholdK, 0, MAX_K);
        Bounds.check("maxLtvCut", risk.maxLtvCut, 0, MAX_LTV_CUT);
        Bounds.check("maxThresholdCut", risk.maxThresholdCut, 0, MAX_THRESHOLD_CUT);
        _risk[asset] = risk;
        emit AssetRiskSet(asset, risk);
    }

    /// @inheritdoc IRiskManager
    function setReserveCheck(
        address asset,
        AggregatorV3Interface feed,
        uint32 heartbeat,
        uint64 tolerance
    ) external onlyOwner {
        _config(asset);
        if (address(feed) == address(0)) {
            delete _reserveChecks[asset];
            emit ReserveCheckSet(asset, address(0), 0, 0);
            return;
        }
        Bounds.check("heartbeat", heartbeat, 1, MAX_RESERVE_HEARTBEAT);
        Bounds.check("tolerance", tolerance, 0, MAX_RESERVE_TOLERANCE);
        // A low-level call: `try` would not catch an address without code or an answer too short to decode.
        (bool ok, bytes memory data) = address(feed).staticcall{gas: FEED_GAS}(
            abi.encodeCall(AggregatorV3Interface.decimals, ())
        );
        if (!ok || data.length < 32) revert BadReserveFeed(address(feed));
        uint256 raw = abi.decode(data, (uint256));
        if (raw > 36) revert BadReserveFeed(address(feed));
        uint8 decimals = uint8(raw);
        _reserveChecks[asset] = ReserveCheck(feed, heartbeat, tolerance, decimals);
        emit ReserveCheckSet(asset, address(feed), heartbeat, tolerance);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less risk manager could never be tuned again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= internal

    /// @dev The feed's latest answer and its time, read with a fixed gas budget and a low-level call (`try` would not
    ///      catch an address without code or malformed return data); `ok` is false when the call fails or answers
    ///      fewer than the five words of `latestRoundData`. Words are decoded as uint256 so no value can revert.
    function _latestRound(
        AggregatorV3Interface feed
    ) internal view returns (bool ok, int256 answer, uint256 updatedAt) {
        bytes memory data;
        (ok, data) = address(feed).staticcall{gas: FEED_GAS}(abi.encodeCall(AggregatorV3Interface.latestRoundData, ()));
        if (!ok || data.length < 160) return (false, 0, 0);
        (, answer, , updatedAt, ) = abi.decode(data, (uint256, int256, uint256, uint256, uint256));
    }

    function _setParams(Params memory params_) internal {
        Bounds.check("horizon", params_.horizon, MIN_HORIZON, MAX_HORIZON);
        Bounds.check("reserveTarget", params_.reserveTarget, 0, MAX_RESERVE_TARGET);
        Bounds.check("reserveBoost", params_.reserveBoost, 0, MAX_RESERVE_BOOST);
        _params = params_;
        emit ParamsSet(params_);
    }

    /// @dev √(H / YEAR) in WAD, rounded down.
    function _sqrtHorizon() internal view returns (uint256) {
        return ((uint256(_params.horizon) * WAD) / YEAR).sqrtWadDown();
    }

    /// @dev `asset`'s governance LTV and threshold; reverts `NotCollateral` unless the vault lists it.
    function _config(address asset) internal view returns (uint256 borrowLtv, uint256 liquidationThreshold) {
        bool listed;
        (borrowLtv, liquidationThreshold, listed) = vault.riskConfig(asset);
        if (!listed) revert NotCollateral(asset);
    }

    function _min(uint256 first, uint256 second) internal pure returns (uint256) {
        return first < second ? first : second;
    }
}
