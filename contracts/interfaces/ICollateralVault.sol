// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "./IPriceOracle.sol";
import {ICircuitBreaker} from "./ICircuitBreaker.sol";
import {IWithdrawalQueue} from "./IWithdrawalQueue.sol";
import {IInterestRateModel} from "./IInterestRateModel.sol";

/// @title ICollateralVault
/// @notice Bulwark's core ledger. Lenders hold an ERC-4626 share over one base asset; borrowers post several
///         collateral assets and borrow the base asset against them.
/// @dev Units: token amounts are in the token's own base units; values are USD, WAD-scaled (1e18 = $1);
///      ratios (LTV, threshold, bonus, reserve factor) are WAD (1e18 = 100%).
///      Token assumptions: standard ERC-20 with 0–18 decimals, no fee on transfer (rejected at deposit by a
///      balance-delta check), no rebasing, no transfer hooks. Listing a token is a governance decision.
interface ICollateralVault {
    /// @notice Risk parameters of one collateral asset, all WAD.
    /// @param borrowLtv Share of the collateral's value that may be borrowed against.
    /// @param liquidationThreshold Share of the collateral's value above which debt makes the account liquidatable.
    /// @param liquidationBonus Extra share of seized collateral a liquidator receives (used by the liquidation engine).
    /// @param supplyCap Maximum total deposits of the asset, in its base units; 0 freezes new deposits. An indebted
    ///        account may still top up past a cap above 0 itself, but what it then holds of the asset lends it nothing
    ///        while the asset's total stays above the cap (it counts in full towards its liquidation limit).
    struct CollateralConfig {
        uint64 borrowLtv;
        uint64 liquidationThreshold;
        uint64 liquidationBonus;
        uint128 supplyCap;
    }

    /// @notice Where a collateral's effective borrow LTV and liquidation threshold are heading, and from where (WAD).
    ///         The effective value at time t, with dt = t − `start` (seconds):
    ///         - LTV: the target at once when it is lower (tightening is immediate), else
    ///           min(target, from + LTV_RAISE_PER_HOUR · dt / 1 hour);
    ///         - threshold: max(target, from − THRESHOLD_CUT_PER_HOUR · dt / 1 hour) when lower, else
    ///           min(target, from + THRESHOLD_RAISE_PER_HOUR · dt / 1 hour);
    ///         and the LTV never above the threshold. Targets: threshold = max(min(config, cap), config / 2);
    ///         LTV = min(config, cap, threshold target − (config threshold − config LTV)), floored at 0.
    struct RiskRamp {
        uint64 ltvFrom;
        uint64 ltvTarget;
        uint64 thresholdFrom;
        uint64 thresholdTarget;
    }

    /// @notice An account's position valued conservatively at current prices. Values in USD (WAD), `debt` in base
    ///         units. Collateral is valued at the oracle's `low` (0 when FAILED), debt at the base asset's `high`
    ///         (type(uint256).max when FAILED); only collateral with an OK price counts towards the borrow limit.
    /// @param collateralValue Σ collateral value, rounded down.
    /// @param borrowLimit Σ value × borrow LTV over collateral with an OK price, rounded down.
    /// @param liquidationLimit Σ collateral value × liquidation threshold, rounded down.
    /// @param debtValue Debt value, rounded up.
    /// @param debt Debt in base units, interest included, rounded up.
    /// @param priceStatus The worst status among the prices the position needs (its collateral; the base if in debt).
    struct AccountLiquidity {
        uint256 collateralValue;
        uint256 borrowLimit;
        uint256 liquidationLimit;
        uint256 debtValue;
        uint256 debt;
        IPriceOracle.Status priceStatus;
    }

    /// @notice A liquidation as the engine priced it.
    /// @param borrower The liquidated account.
    /// @param asset The collateral seized.
    /// @param repay Base units of the borrower's debt repaid.
    /// @param seize Units of `asset` taken from the borrower and sent to `receiver`.
    /// @param fee Base units paid on top of `repay`, into reserves.
    /// @param receiver Where the collateral goes (and, for a flash liquidation, who is called back).
    /// @param payer Who pays `repay + fee` in the base asset (the liquidator, or `receiver` for a flash liquidation).
    /// @param initiator Who asked the engine, passed to the flash callback.
    /// @param provision The loss the account keeps booked once this liquidation is done (base units, at most the debt
    ///        it leaves), set before any token moves or callback runs, so no view inside a flash callback sees a
    ///        loss that was not recovered unbooked (issue 19, property 2).
    struct Settlement {
        address borrower;
        address asset;
        uint256 repay;
        uint256 seize;
        uint256 fee;
        address receiver;
        address payer;
        address initiator;
        uint256 provision;
    }

    /// @notice What the liquidation engine needs to price one liquidation, read in one call.
    /// @param liq The account's position on the liquidation side (collateral at `high`, debt at the base's `low`).
    /// @param basePrice The base asset's price read for it (zero when the account has no debt).
    /// @param collateralPrice The seized asset's price (zero when it is not listed).
    /// @param config The seized asset's parameters, with the effective borrow LTV and threshold (`riskParams`); its
    ///        `supplyCap` is left 0 (no liquidation needs it: `VaultLens` reads it).
    /// @param held Units of the seized asset the account holds.
    /// @param scaledDebt The account's index-scaled debt.
    /// @param index The borrow index accrued to now (RAY).
    /// @param decimals The seized asset's decimals.
    /// @param listed Whether the seized asset is listed.
    /// @param oracle The price oracle.
    struct LiquidationView {
        AccountLiquidity liq;
        IPriceOracle.Price basePrice;
        IPriceOracle.Price collateralPrice;
        CollateralConfig config;
        uint256 held;
        uint256 scaledDebt;
        uint256 index;
        uint8 decimals;
        bool listed;
        IPriceOracle oracle;
        ICircuitBreaker breaker;
    }

    // ----------------------------------------------------------------- errors

    /// @notice Thrown when an amount that must be positive is zero (or a share amount rounds to zero).
    error ZeroAmount();
    /// @notice Thrown when an address argument that must be set is the zero address.
    error ZeroAddress();
    /// @notice Thrown by `renounceOwnership`: governance can be handed over (in two steps), never abandoned, so
    ///         parameters can always be corrected and the guardian always replaced.
    error RenounceDisabled();
    /// @notice Thrown when `asset` is not a listed collateral.
    error AssetNotListed(address asset);
    /// @notice Thrown when listing an asset that is already listed.
    error AssetAlreadyListed(address asset);
    /// @notice Thrown when listing the base asset as collateral.
    error BaseAssetNotCollateral(address asset);
    /// @notice Thrown when a token has more than 18 decimals, or does not report them.
    error UnsupportedDecimals(address asset, uint256 decimals);
    /// @notice Thrown when listing more collateral assets than the vault supports.
    error TooManyCollaterals(uint256 max);
    /// @notice Thrown when the borrow LTV exceeds the liquidation threshold.
    error LtvAboveThreshold(uint256 borrowLtv, uint256 liquidationThreshold);
    /// @notice Thrown when the liquidation threshold is zero or above `MAX_LIQUIDATION_THRESHOLD`.
    error ThresholdOutOfBounds(uint256 liquidationThreshold, uint256 max);
    /// @notice Thrown when the liquidation bonus is above `MAX_LIQUIDATION_BONUS`.
    error BonusTooHigh(uint256 liquidationBonus, uint256 max);
    /// @notice Thrown when (1 + bonus) × threshold ≥ 1: liquidating a barely unhealthy account would create bad debt (INV-17).
    error NoLiquidationBuffer(uint256 liquidationThreshold, uint256 liquidationBonus);
    /// @notice Thrown when the reserve factor is above `MAX_RESERVE_FACTOR`.
    error ReserveFactorTooHigh(uint256 reserveFactor, uint256 max);
    /// @notice Thrown when a collateral deposit would take the asset's total above its supply cap, unless it is an
    ///         indebted account's own top-up of an asset whose cap is not 0 (issue 19, property 6).
    error SupplyCapExceeded(address asset, uint256 cap, uint256 totalAfter);
    /// @notice Thrown when a borrow would take total debt above the borrow cap.
    error BorrowCapExceeded(uint256 cap, uint256 totalAfter);
    /// @notice Thrown when withdrawing more collateral than the account holds.
    error InsufficientCollateral(address asset, uint256 balance, uint256 requested);
    /// @notice Thrown when borrowing more than the vault's cash.
    error InsufficientLiquidity(uint256 available, uint256 requested);
    /// @notice Thrown when a borrow or collateral withdrawal would leave debt above the borrow limit (INV-11, INV-12).
    error BorrowLimitExceeded(address account, uint256 debtValue, uint256 borrowLimit);
    /// @notice Thrown when someone other than the account adds an asset the account does not hold yet: each held
    ///         asset is a price every health check of the account reads, so only the account opens one.
    error UnsolicitedCollateral(address account, address asset);
    /// @notice Thrown when repaying for an account that owes nothing.
    error NoDebt(address account);
    /// @notice Thrown when a transfer in delivers a different amount than asked (fee-on-transfer tokens, INV-37).
    error TransferAmountMismatch(address token, uint256 expected, uint256 received);
    /// @notice Thrown when the oracle reports a usable price of zero, or a high bound below its low (INV-24).
    error ZeroPrice(address asset);
    /// @notice Thrown when a borrow or a collateral withdrawal needs a price the oracle does not report as OK.
    error PriceNotOk(address asset, IPriceOracle.Status status, IPriceOracle.Reason reason);
    /// @notice Thrown when withdrawing more reserves than accrued, or than the vault holds in cash.
    error InsufficientReserves(uint256 available, uint256 requested);
    /// @notice Thrown when anyone but the liquidation engine calls a liquidation hook.
    error NotLiquidationEngine(address caller);
    /// @notice Thrown when a flash liquidation's receiver does not return `FLASH_CALLBACK_SUCCESS`.
    error FlashCallbackFailed(address receiver);
    /// @notice Thrown when a liquidation would repay more than the account owes or seize more than it holds.
    error LiquidationExceedsPosition(uint256 debt, uint256 repay, uint256 collateral, uint256 seize);
    /// @notice Thrown when a bad-debt provision would exceed the account's debt.
    error ProvisionExceedsDebt(uint256 debt, uint256 provision);
    /// @notice Thrown when a circuit breaker or withdrawal queue is bound to another vault.
    error WrongVault(address component);

    /// @notice Thrown when a risk-module function is called by anyone but that module.
    error NotRiskModule(address caller);
    /// @notice Thrown when a risk manager's threshold cap is below the floor (half the governance threshold).
    error ThresholdCapTooLow(uint256 cap, uint256 floor);
    /// @notice Thrown when a reserve-factor boost is above MAX_RESERVE_BOOST.
    error ReserveBoostTooHigh(uint256 boost, uint256 max);
    /// @notice Thrown when more protocol-owned collateral is asked for than the protocol holds.
    error InsufficientProtocolCollateral(address asset, uint256 available, uint256 requested);
    /// @notice Thrown when reserves not earmarked for provisions (`free`) cannot pay a dust remainder of `amount`.
    error RemainderNotCovered(uint256 amount, uint256 free);
    /// @notice Thrown when the vault's module (`VaultModule`) is called other than by its vault, in its context.
    error NotDelegated();

    // ----------------------------------------------------------------- events

    /// @notice Emitted when governance lists a new collateral asset.
    event CollateralListed(address indexed asset, uint8 decimals, CollateralConfig config);
    /// @notice Emitted when governance changes a collateral's risk parameters.
    event CollateralConfigUpdated(address indexed asset, CollateralConfig config);
    /// @notice Emitted when collateral is added to an account.
    event CollateralDeposited(address indexed caller, address indexed account, address indexed asset, uint256 amount);
    /// @notice Emitted when an account withdraws collateral.
    event CollateralWithdrawn(address indexed account, address indexed to, address indexed asset, uint256 amount);
    /// @notice Emitted on a borrow. `scaledAmount` is the debt added in index-scaled units.
    event Borrowed(address indexed account, address indexed to, uint256 amount, uint256 scaledAmount);
    /// @notice Emitted on a repayment. `scaledAmount` is the debt removed in index-scaled units.
    event Repaid(address indexed payer, address indexed account, uint256 amount, uint256 scaledAmount);
    /// @notice Emitted when interest accrues: the new borrow index (RAY), the interest added to total debt and the
    ///         part of it credited to reserves.
    event InterestAccrued(uint256 borrowIndex, uint256 interest, uint256 reserveIncrease);
    /// @notice Emitted when governance changes the borrow cap.
    event BorrowCapSet(uint256 borrowCap);
    /// @notice Emitted when governance changes the reserve factor.
    event ReserveFactorSet(uint256 reserveFactor);
    /// @notice Emitted when governance replaces the interest rate model.
    event InterestRateModelSet(address indexed model);
    /// @notice Emitted when governance replaces the price oracle.
    event PriceOracleSet(address indexed oracle);
    /// @notice Emitted when governance withdraws protocol reserves.
    event ReservesWithdrawn(address indexed to, uint256 amount);
    /// @notice Emitted when governance sets the liquidation engine, the only address that may seize collateral.
    event LiquidationEngineSet(address indexed engine);
    /// @notice Emitted when governance sets the circuit breaker and its withdrawal queue.
    event CircuitBreakerSet(address indexed breaker, address indexed queue);
    /// @notice Emitted when a withdrawal (lender's or collateral) is queued as claim `id` of `beneficiary`.
    event WithdrawalQueued(
        uint256 indexed id,
        address indexed beneficiary,
        address indexed asset,
        uint256 amount,
        uint256 readyAt
    );
    /// @notice Emitted on a liquidation: `repaid` base units of the borrower's debt paid by `payer`, `seized` units
    ///         of `asset` sent to `receiver`, and `fee` base units paid on top of the debt into reserves.
    event Liquidated(
        address indexed borrower,
        address indexed asset,
        address indexed receiver,
        address payer,
        uint256 repaid,
        uint256 seized,
        uint256 fee
    );
    /// @notice Emitted when an account's debt is written off. `absorbedByReserves` came out of reserves, the backstop
    ///         paid what it could of the rest (`BackstopSettled`), and `socialised`, what neither covered, lowered the
    ///         share price (INV-06's only exception). Its leftover collateral, worth less
    ///         than the engine's dust threshold, moved to the protocol.
    event BadDebtWrittenOff(address indexed account, uint256 amount, uint256 absorbedByReserves, uint256 socialised);
    /// @notice Emitted when a solvent dust remainder of `amount` is closed at no loss (issue 19, property 4): reserves
    ///         paid the debt and `seized` of `asset`, worth it, moved from the account to the protocol.
    event RemainderClosed(address indexed account, address indexed asset, uint256 amount, uint256 seized);
    /// @notice Emitted when the engine records (or clears, with 0) a loss already certain on an insolvent account
    ///         awaiting liquidation. The share price reflects provisions at once, beyond what reserves cover.
    event BadDebtProvisioned(address indexed account, uint256 amount, uint256 totalProvision);
    /// @notice Gains on the loss side (a provision released, recovery proceeds for lenders) held back from the share
    ///         price and released linearly (LossLedger.RELEASE_PERIOD): `added` joined them, `netted` of them met a
    ///         new loss instead, and `held` is what is held back now.
    event GainsHeldBack(uint256 added, uint256 netted, uint256 held);

    /// @notice Emitted when governance sets the risk manager and the recovery module.
    event RiskModulesSet(address indexed riskManager, address indexed recovery);
    /// @notice Emitted when a collateral's risk targets change (by governance or the risk manager): its ramp restarts
    ///         from the current effective values towards the new targets.
    event RiskRampStarted(address indexed asset, RiskRamp ramp, uint64 ltvCap, uint64 thresholdCap);
    /// @notice Emitted when the risk manager sets the reserve-factor boost.
    event ReserveBoostSet(uint256 boost);
    /// @notice Emitted when protocol-owned collateral goes to the recovery module to be sold.
    event ProtocolCollateralReleased(address indexed asset, address indexed to, uint256 amount);
    /// @notice Emitted when the recovery module returns unsold collateral and pays in the proceeds: `toLenders` of them
    ///         back to lenders (cash only: the share price rises), then the backstop (`BackstopRepaid`), the rest into
    ///         reserves.
    event RecoverySettled(address indexed asset, uint256 returned, uint256 proceeds, uint256 toLenders);

    // ----------------------------------------------------------------- lender actions (beyond ERC-4626)

    /// @notice Withdraws `assets` of `owner_`'s claim for `receiver` whatever the circuit breaker lets out now: paid at
    ///         once when it fits, else queued whole as a claim on the withdrawal queue payable after the breaker's
    ///         delay. The explicit exit past `maxWithdraw`, which counts only what pays in the same transaction (issue
    ///         19, property 8). Bounded by cash like every exit.
    /// @dev Reverts with `InsufficientLiquidity`, `ZeroAmount`, `ZeroAddress`, and ERC-20 allowance or balance errors.
    /// @param assets Base units to take out.
    /// @param receiver Who is paid (or named on the claim).
    /// @param owner_ Whose shares are burned (the caller, or an owner who approved it).
    /// @return shares Shares burned (`previewWithdraw(assets)`, rounded up).
    function withdrawOrQueue(uint256 assets, address receiver, address owner_) external returns (uint256 shares);

    // ----------------------------------------------------------------- borrower actions

    /// @notice Adds `amount` of collateral `asset` to `onBehalfOf`'s account. Anyone may top up an asset the account
    ///         holds (more collateral never lowers an account's health, INV-19); only the account itself adds an asset
    ///         it does not hold yet, so nobody can make its health checks read prices it never chose. A full supply cap
    ///         does not block an indebted account's own top-up: the units past it lend nothing while the asset stays
    ///         past its cap, and may back at most twice its debt (a cap of 0, a freeze, refuses; so does a top-up past
    ///         a cap while a price the bound needs is FAILED).
    /// @dev Reverts with `ZeroAmount`, `ZeroAddress`, `AssetNotListed`, `UnsolicitedCollateral`, `SupplyCapExceeded`,
    ///      `PriceNotOk` and `ZeroPrice` (past a cap only), `TransferAmountMismatch`.
    function depositCollateral(address asset, uint256 amount, address onBehalfOf) external;

    /// @notice Withdraws `amount` of the caller's collateral `asset` to `to` (type(uint256).max withdraws all).
    ///         With debt outstanding, the asset's and the base asset's prices must be OK and the account must stay
    ///         within its borrow limit; with no debt, no price is read.
    /// @dev Reverts with `ZeroAmount`, `ZeroAddress`, `AssetNotListed`, `InsufficientCollateral`, `PriceNotOk`,
    ///      `BorrowLimitExceeded`.
    function withdrawCollateral(address asset, uint256 amount, address to) external;

    /// @notice Borrows `amount` of the base asset against the caller's collateral and sends it to `to`. The base
    ///         price must be OK; collateral whose price is DEGRADED or FAILED lends nothing.
    /// @dev Reverts with `ZeroAmount`, `ZeroAddress`, `InsufficientLiquidity`, `BorrowCapExceeded`, `PriceNotOk`,
    ///      `BorrowLimitExceeded`.
    function borrow(uint256 amount, address to) external;

    /// @notice Repays up to `amount` of `onBehalfOf`'s debt from the caller: an amount above the debt (type(uint256).max
    ///         included) repays all of it and takes only the debt, so interest or a front-run repayment never makes a
    ///         repayment revert.
    /// @dev Reverts with `ZeroAmount`, `ZeroAddress`, `NoDebt`, `TransferAmountMismatch`.
    /// @return repaid The amount of base asset taken from the caller.
    function repay(uint256 amount, address onBehalfOf) external returns (uint256 repaid);

    // ----------------------------------------------------------------- governance (the timelock)

    /// @notice Lists a new collateral asset with its risk parameters. Reads and stores the token's decimals.
    function listCollateral(address asset, CollateralConfig calldata config) external;

    /// @notice Replaces a listed collateral's risk parameters, inside the hard-coded bounds.
    function setCollateralConfig(address asset, CollateralConfig calldata config) external;

    /// @notice Sets the maximum total debt, in base units; 0 stops new borrows.
    function setBorrowCap(uint256 borrowCap) external;

    /// @notice Sets the share of interest credited to reserves, at most `MAX_RESERVE_FACTOR`. Accrues first.
    function setReserveFactor(uint256 reserveFactor) external;

    /// @notice Replaces the interest rate model. Accrues first, so past interest uses the old model.
    function setInterestRateModel(IInterestRateModel model) external;

    /// @notice Replaces the price oracle.
    function setPriceOracle(IPriceOracle oracle) external;

    /// @notice Sends `amount` of accrued reserves, out of cash, to `to`.
    function withdrawReserves(address to, uint256 amount) external;

    // ----------------------------------------------------------------- liquidation engine hooks

    /// @notice Carries out a liquidation the engine has priced, atomically and under the vault's lock: removes
    ///         `repay` of `borrower`'s debt and `seize` of its `asset`, books `repay + fee` as cash (`fee` into
    ///         reserves), sends the collateral to `receiver`, calls it back when `data` is not empty (flash
    ///         liquidation: it must return FLASH_CALLBACK_SUCCESS), then pulls exactly `repay + fee` of the base
    ///         asset from `payer`. Sets the account's bad-debt provision to `settlement.provision` before any token
    ///         moves. Engine only.
    /// @dev Reverts with `NotLiquidationEngine`, `AssetNotListed`, `ZeroAmount`, `LiquidationExceedsPosition`,
    ///      `ProvisionExceedsDebt`, `FlashCallbackFailed`, `TransferAmountMismatch`.
    function executeLiquidation(Settlement calldata settlement, bytes calldata data) external;

    /// @notice Writes off all of `account`'s debt: its leftover collateral moves to the protocol, reserves absorb the
    ///         loss first and lenders the rest through the share price. Engine only; the engine decides when an
    ///         account's collateral is dust. Returns the amount written off.
    /// @dev Reverts with `NotLiquidationEngine`, `NoDebt`.
    function writeOffBadDebt(address account) external returns (uint256 amount);

    /// @notice Closes `account`'s remaining debt, a solvent remainder below the engine's dust minimum, at no loss:
    ///         reserves not earmarked for provisions pay it and `seize` of collateral `asset` (priced by the engine
    ///         at the value of that debt) moves to the protocol, to be sold by recovery. The share price does not
    ///         move. Engine only.
    /// @dev Reverts with `NotLiquidationEngine`, `NoDebt`, `RemainderNotCovered`, `AssetNotListed`,
    ///      `InsufficientCollateral`.
    function closeRemainder(address account, address asset, uint256 seize) external returns (uint256 amount);

    /// @notice Records `amount` (≤ the account's debt) as the loss already certain on `account`; 0 clears it.
    ///         Engine only.
    /// @dev Reverts with `NotLiquidationEngine`, `ProvisionExceedsDebt`.
    function setProvision(address account, uint256 amount) external;

    /// @notice Sets the liquidation engine (governance: the timelock).
    function setLiquidationEngine(address engine) external;

    /// @notice Sets the circuit breaker the vault consults on every action and the queue its withdrawals wait in
    ///         (governance: the timelock). Both must be bound to this vault; neither can be unset afterwards.
    /// @dev Reverts with `ZeroAddress`, `WrongVault`.
    /// @param breaker The circuit breaker.
    /// @param queue The withdrawal queue.
    function setCircuitBreaker(ICircuitBreaker breaker, IWithdrawalQueue queue) external;

    // ----------------------------------------------------------------- risk modules

    /// @notice Sets the risk manager (adaptive caps, reserve boost) and the recovery module (sells protocol-owned
    ///         collateral). Governance only; either may be zero (that role disabled).
    function setRiskModules(address riskManager, address recovery) external;

    /// @notice The risk manager's caps on a collateral's borrow LTV and liquidation threshold (WAD). Caps above the
    ///         governance config count as the config; the threshold cap may not be below half the governance
    ///         threshold. The effective values then move towards min(config, cap) along the bounded ramp (`RiskRamp`):
    ///         a cap alone never moves a threshold faster than THRESHOLD_CUT_PER_HOUR. Risk manager only.
    /// @dev Reverts with `NotRiskModule`, `AssetNotListed`, `ThresholdCapTooLow`.
    function setRiskCaps(address asset, uint64 ltvCap, uint64 thresholdCap) external;

    /// @notice Adds `boost` to the reserve factor (the sum capped at MAX_RESERVE_FACTOR) while reserves rebuild.
    ///         Accrues first. Risk manager only.
    /// @dev Reverts with `NotRiskModule`, `ReserveBoostTooHigh`.
    function setReserveBoost(uint256 boost) external;

    /// @notice Sends `amount` of protocol-owned `asset` to the recovery module, to be sold for the base asset.
    ///         Recovery module only; it must settle in the same transaction.
    /// @dev Reverts with `NotRiskModule`, `ZeroAmount`, `InsufficientProtocolCollateral`.
    function releaseProtocolCollateral(address asset, uint256 amount) external;

    /// @notice Takes back `returned` unsold units of `asset` and `proceeds` of the base asset from the recovery
    ///         module: the collateral is protocol-owned again, the proceeds become cash. They first pay lenders back
    ///         the bad debt they bore beyond reserves (`unrecoveredLoss`: the share price rises), and the rest goes
    ///         to reserves. Recovery only.
    /// @dev Reverts with `NotRiskModule`, `AssetNotListed`, `TransferAmountMismatch`.
    function settleRecovery(address asset, uint256 returned, uint256 proceeds) external;

    /// @notice The effective borrow LTV and liquidation threshold of `asset` now (WAD): what every health check uses.
    function riskParams(address asset) external view returns (uint256 borrowLtv, uint256 liquidationThreshold);

    // ----------------------------------------------------------------- views

    /// @notice Position of `account` at current prices and accrued interest, on the borrow side: collateral at each
    ///         price's `low`, debt at the base's `high` (what a borrow or a withdrawal must pass).
    function accountLiquidity(address account) external view returns (AccountLiquidity memory);

    /// @notice True when `account` has debt, its debt value exceeds its liquidation limit on the liquidation side
    ///         (collateral at each price's `high`, debt at the base's `low`: liquidatable at both bounds of a doubted
    ///         price), and no price it needs is FAILED (no liquidation at an unknown price).
    function isLiquidatable(address account) external view returns (bool);

    /// @notice Debt of `account` in base units with interest accrued to now, rounded up.
    function debtOf(address account) external view returns (uint256);

    /// @notice Everything pricing a liquidation of `account` seizing `asset` needs, in one call (each price read once);
    ///         `liq` is on the liquidation side (see `isLiquidatable`). With an unlisted `asset` (address(0)), only
    ///         the account's side of it.
    function liquidationView(address account, address asset) external view returns (LiquidationView memory);

    /// @notice Collateral `asset` held for `account`, in the asset's base units.
    function collateralOf(address account, address asset) external view returns (uint256);

    /// @notice Total debt in base units with interest accrued to now, rounded up.
    function totalDebt() external view returns (uint256);

    /// @notice Base asset the vault holds on its books (donations excluded).
    function cash() external view returns (uint256);

    /// @notice Protocol reserves in base units with interest accrued to now.
    function reserves() external view returns (uint256);

    /// @notice Borrow index (RAY) with interest accrued to now.
    function borrowIndex() external view returns (uint256);

    /// @notice The word at `slot` of the vault's storage, for `VaultLens` (which knows the layout); no other use.
    function extsload(bytes32 slot) external view returns (bytes32 value);

    /// @notice Running total of debt written off, in base units.
    function badDebt() external view returns (uint256);

    /// @notice Listed collateral assets, in listing order.
    function collateralAssets() external view returns (address[] memory);
}
