// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "./IPriceOracle.sol";

/// @title ILiquidationEngine
/// @notice Prices and carries out liquidations of the vault's unhealthy accounts, and writes off what cannot be
///         recovered. Units as in ICollateralVault: amounts in token base units, values USD WAD, ratios WAD.
interface ILiquidationEngine {
    /// @notice Governance-set policy, each inside the hard-coded bounds of the engine.
    /// @param targetHealth Health factor a partial liquidation restores (WAD, 1–1.5).
    /// @param fullCloseHealth Below this health factor the whole debt may be repaid at once (WAD, 0.5–1).
    /// @param minBonusShare Share of the collateral's maximum bonus paid at health just under 1 (WAD, 0–1).
    /// @param healthRamp Fall of health below 1 over which the bonus climbs to its maximum (WAD, 0.01–1).
    /// @param protocolFeeShare Share of the bonus the liquidator pays on top, into reserves (WAD, 0–0.5).
    /// @param emergencyHealth While the L2 sequencer is down or in its grace period, only accounts below this
    ///        health factor may be liquidated (WAD, 0–1).
    /// @param timeRamp Seconds after an account is flagged over which the bonus climbs to its maximum (1 min–1 day);
    ///        only seconds in which liquidations were open count (a breaker stop, its grace, or the sequencer's
    ///        downtime and grace restart the ramp at their end).
    /// @param dustValue Positions worth less than this are dust (USD WAD, ≤ 10,000): no liquidation may leave debt
    ///        below it, and an unhealthy account whose collateral is worth less is written off.
    struct Params {
        uint64 targetHealth;
        uint64 fullCloseHealth;
        uint64 minBonusShare;
        uint64 healthRamp;
        uint64 protocolFeeShare;
        uint64 emergencyHealth;
        uint32 timeRamp;
        uint128 dustValue;
    }

    /// @notice A priced liquidation.
    /// @param repay Base units of debt repaid.
    /// @param seize Collateral units sent to the liquidator.
    /// @param fee Base units paid on top of `repay`, into reserves.
    /// @param bonus The bonus applied (WAD).
    /// @param health The account's health factor before (WAD).
    /// @param writeOff Whether the account's remaining debt is settled afterwards because its collateral left is dust:
    ///        written off, or, when that debt is itself dust and one holding covers it, closed at no loss (the vault's
    ///        `closeRemainder`: issue 19, property 4).
    struct Quote {
        uint256 repay;
        uint256 seize;
        uint256 fee;
        uint256 bonus;
        uint256 health;
        bool writeOff;
    }

    /// @notice One item of a batch.
    struct Order {
        address borrower;
        address collateral;
        uint256 maxRepay;
    }

    // ----------------------------------------------------------------- errors

    /// @notice Thrown when the account has no debt, or its debt value does not exceed its liquidation limit.
    error NotLiquidatable(address account, uint256 health);
    /// @notice Thrown when a price the liquidation needs is FAILED: no liquidation at an unknown price. That is the base
    ///         price, the seized collateral's, or that of any collateral the oracle gives no ceiling for.
    error PriceUnavailable(address account);
    /// @notice Thrown while the L2 sequencer is down or in its grace period and the account is above `emergencyHealth`.
    error SequencerNotReady(IPriceOracle.Reason reason, uint256 health, uint256 emergencyHealth);
    /// @notice Thrown when the account holds none of the chosen collateral.
    error NoCollateral(address account, address collateral);
    /// @notice Thrown when a liquidation would repay or seize nothing.
    error LiquidationTooSmall(uint256 repay, uint256 seize);
    /// @notice Thrown when `maxRepay` would leave the account with debt worth less than the dust threshold.
    error LeavesDust(uint256 remainingDebt, uint256 maxRepay);
    /// @notice Thrown when `maxRepay` is below what closing the position takes while the account's health is so low
    ///         that any partial liquidation of this collateral would lower it (INV-14): repay all, or take it all.
    error PartialLowersHealth(uint256 health, uint256 maxRepay);
    /// @notice Thrown when a liquidation would pay the liquidator more than the collateral's maximum bonus allows.
    error SeizeAboveFloor(uint256 seizedValue, uint256 maxValue);
    /// @notice Thrown when a liquidation would seize less than the liquidator's `minSeize`.
    error SeizeBelowMinimum(uint256 seize, uint256 minSeize);
    /// @notice Thrown when an amount that must be positive is zero.
    error ZeroAmount();
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown by `renounceOwnership`: governance can be handed over (in two steps), never abandoned, so
    ///         parameters can always be corrected and the guardian always replaced.
    error RenounceDisabled();
    /// @notice Thrown when a flash liquidation carries no callback data.
    error EmptyFlashData();
    /// @notice Thrown when a batch is empty or longer than MAX_BATCH.
    error BadBatchLength(uint256 length, uint256 max);
    /// @notice Thrown when a batch runs short of gas at item `index` (before it, or inside it): the whole batch
    ///         reverts, so a low gas limit can never turn into silently skipped liquidations.
    error BatchOutOfGas(uint256 index);
    /// @notice Thrown when anyone but the engine itself calls its batch step.
    error OnlySelf(address caller);
    /// @notice Thrown when writing off an account whose collateral is not dust.
    error NotDust(address account, uint256 collateralValue, uint256 dustValue);
    /// @notice Thrown when writing off an account whose collateral still covers its debt (both at the bounds that
    ///         favour it): a solvent remainder is never written off (issue 19, property 4).
    error StillSolvent(address account, uint256 collateralValue, uint256 debtValue);
    /// @notice Thrown when unflagging an account that is still liquidatable (or whose price is unknown).
    error StillLiquidatable(address account);
    /// @notice Thrown when a parameter is outside its hard-coded bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);

    // ----------------------------------------------------------------- events

    /// @notice Emitted on every liquidation with the policy that priced it (the vault's Liquidated event carries the
    ///         transfers).
    event LiquidationExecuted(
        address indexed borrower,
        address indexed collateral,
        address indexed liquidator,
        uint256 repaid,
        uint256 seized,
        uint256 fee,
        uint256 bonus,
        uint256 healthBefore
    );
    /// @notice Emitted when a batch item fails; the batch goes on.
    event LiquidationSkipped(address indexed borrower, address indexed collateral, bytes reason);
    /// @notice Emitted when an account is flagged: first seen liquidatable, seen again with better health than at its
    ///         flag (a top-up or a bounce restarts the ramp), or left unhealthy by a partial liquidation. Its bonus
    ///         climbs with time from here for as long as its health is no better than `health` (+0.1%).
    event AccountFlagged(address indexed account, uint256 health);
    /// @notice Emitted when an account's flag is cleared (healthy again, closed or written off).
    event AccountUnflagged(address indexed account);
    /// @notice Emitted when governance changes the policy.
    event ParamsSet(Params params);

    // ----------------------------------------------------------------- liquidations

    /// @notice Liquidates `borrower` by repaying up to `maxRepay` of its debt from the caller (approve the vault) and
    ///         sending the seized `collateral` to `receiver`. Writes off the rest of the debt when the collateral left
    ///         is dust. type(uint256).max as `maxRepay` takes as much as the close rules allow.
    /// @dev Reverts with `NotLiquidatable`, `PriceUnavailable`, `SequencerNotReady`, `NoCollateral`,
    ///      `LiquidationTooSmall`, `LeavesDust`, `PartialLowersHealth`, `ZeroAmount`, `ZeroAddress` and the vault's
    ///      transfer errors.
    function liquidate(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver
    ) external returns (Quote memory);

    /// @notice As `liquidate`, with price protection for the liquidator (issue 19, property 11): reverts unless at
    ///         least `minSeize` units of `collateral` are seized, so a price or position that moves between the
    ///         keeper's quote and its inclusion (a front-run repayment, a partial liquidation ahead of it) can only make
    ///         the call fail, never pay the liquidator less than it priced.
    /// @dev Reverts as `liquidate`, and with `SeizeBelowMinimum`.
    function liquidateWithMinSeize(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver,
        uint256 minSeize
    ) external returns (Quote memory);

    /// @notice As `liquidate`, needing no capital: the collateral goes to `receiver` first, which is called back
    ///         (IFlashLiquidator) with `data` and must have the base asset owed approved to the vault when it returns.
    /// @dev Reverts as `liquidate`, and with `EmptyFlashData` and the vault's `FlashCallbackFailed`.
    function flashLiquidate(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver,
        bytes calldata data
    ) external returns (Quote memory);

    /// @notice Liquidates each order in turn; a failing order is skipped with `LiquidationSkipped`. With empty `data`
    ///         the caller pays for each; otherwise each is a flash liquidation through `receiver`.
    /// @dev Reverts with `BadBatchLength`, `ZeroAddress` and `BatchOutOfGas` only.
    /// @return quotes What each order did (zeroes when skipped).
    /// @return succeeded Whether each order went through.
    function liquidateBatch(
        Order[] calldata orders,
        address receiver,
        bytes calldata data
    ) external returns (Quote[] memory quotes, bool[] memory succeeded);

    /// @notice What `liquidate(borrower, collateral, maxRepay, ·)` would do now; reverts as it would.
    function previewLiquidation(
        address borrower,
        address collateral,
        uint256 maxRepay
    ) external view returns (Quote memory);

    /// @notice Inside a flash liquidation's callback: what the collateral it seizes is worth, in base units, at the
    ///         oracle bounds least favourable to its seller (the collateral at its `low`, the base at its `high`;
    ///         one price when confirmed), read by the engine for this very liquidation; 0 outside a flash liquidation. A
    ///         receiver can bound its sale by it without reading the oracle again (issue 19, property 11).
    function flashSeizedValue() external view returns (uint256);

    // ----------------------------------------------------------------- keeper liveness and bad debt

    /// @notice Marks a liquidatable account: from now, while its health does not improve, its bonus climbs with time
    ///         (only while liquidations are open). Also records, as a provision in the vault, the loss already certain
    ///         on it (debt value beyond its collateral value), so lenders cannot leave ahead of the write-off at a
    ///         price that ignores it. Refreshes both when called again. Works whenever prices can be read, also while
    ///         the sequencer or the breaker stops liquidations. Permissionless.
    /// @dev Reverts with `NotLiquidatable`, `PriceUnavailable`.
    function flag(address account) external;

    /// @notice Clears the flag and provision of an account that is no longer liquidatable. Permissionless.
    /// @dev Reverts with `StillLiquidatable`.
    function unflag(address account) external;

    /// @notice Writes off the debt of a liquidatable, insolvent account whose collateral is worth less than
    ///         `dustValue`: the dust moves to the protocol, reserves absorb the loss first, then lenders.
    ///         Permissionless.
    /// @dev Reverts with `NotLiquidatable`, `PriceUnavailable`, `NotDust`, `StillSolvent`.
    function writeOff(address account) external returns (uint256 amount);

    // ----------------------------------------------------------------- governance and views

    /// @notice Replaces the policy (governance: the timelock), inside the hard-coded bounds.
    function setParams(Params calldata params) external;

    /// @notice The current policy.
    function params() external view returns (Params memory);

    /// @notice When `account` was flagged (0 when it is not).
    function flaggedAt(address account) external view returns (uint256);

    /// @notice The health `account` had when its flag was last set (0 when it is not flagged): below the policy's
    ///         `emergencyHealth`, its time ramp runs through a sequencer outage (emergency liquidations never stop).
    function flaggedHealth(address account) external view returns (uint256);
}
