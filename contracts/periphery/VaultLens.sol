// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {FLASH_CALLBACK_SUCCESS as CALLBACK_SUCCESS} from "../interfaces/IFlashLiquidator.sol";
import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IWithdrawalQueue, MAX_QUEUE_DELAY as QUEUE_DELAY_BOUND} from "../interfaces/IWithdrawalQueue.sol";
import {CollateralBook} from "../core/CollateralBook.sol";
import {LendingBook} from "../core/LendingBook.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title VaultLens
/// @notice Every read of a CollateralVault that the vault itself does not serve, for keepers, monitors, the crash
///         simulation, scripts and integrators: the vault keeps only the views another contract needs inside a
///         transaction. Stored words come through the vault's `extsload` (`VaultStorage` knows the slots); anything
///         computed (accrued interest, valuations) comes from the vault's own views. Also reads many accounts in one
///         call. Holds no state and no funds; any vault can be read.
/// @dev Invariants: every read equals what the vault's own view of the same name returned before it moved here, at
///      the same block (test/unit/VaultStorage.test.ts); the bounds below are the vault's own constants. The loops are
///      bounded by the caller's arrays (views, never in a user's transaction path).
contract VaultLens {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    // ----------------------------------------------------------------- the vault's bounds

    /// @notice Collateral assets per vault.
    uint256 public constant MAX_COLLATERALS = CollateralBook.MAX_COLLATERALS;
    /// @notice Highest liquidation threshold.
    uint256 public constant MAX_LIQUIDATION_THRESHOLD = CollateralBook.MAX_LIQUIDATION_THRESHOLD;
    /// @notice Highest liquidation bonus.
    uint256 public constant MAX_LIQUIDATION_BONUS = CollateralBook.MAX_LIQUIDATION_BONUS;
    /// @notice Highest token decimals supported.
    uint8 public constant MAX_DECIMALS = CollateralBook.MAX_DECIMALS;
    /// @notice Fastest a liquidation threshold falls, per hour.
    uint256 public constant THRESHOLD_CUT_PER_HOUR = CollateralBook.THRESHOLD_CUT_PER_HOUR;
    /// @notice Fastest a liquidation threshold rises, per hour.
    uint256 public constant THRESHOLD_RAISE_PER_HOUR = CollateralBook.THRESHOLD_RAISE_PER_HOUR;
    /// @notice Fastest a borrow LTV rises, per hour.
    uint256 public constant LTV_RAISE_PER_HOUR = CollateralBook.LTV_RAISE_PER_HOUR;
    /// @notice Lowest threshold cap the risk manager may set, as a share of the governance threshold.
    uint256 public constant MIN_THRESHOLD_CAP_SHARE = CollateralBook.MIN_THRESHOLD_CAP_SHARE;
    /// @notice Highest reserve factor.
    uint256 public constant MAX_RESERVE_FACTOR = LendingBook.MAX_RESERVE_FACTOR;
    /// @notice Most the risk manager may add to the reserve factor.
    uint256 public constant MAX_RESERVE_BOOST = LendingBook.MAX_RESERVE_BOOST;
    /// @notice Highest borrow rate honoured, per second.
    uint256 public constant MAX_BORROW_RATE_PER_SECOND = LendingBook.MAX_BORROW_RATE_PER_SECOND;
    /// @notice Longest a queued withdrawal can wait.
    uint256 public constant MAX_QUEUE_DELAY = QUEUE_DELAY_BOUND;
    /// @notice What a flash liquidation's receiver must return.
    bytes32 public constant FLASH_CALLBACK_SUCCESS = CALLBACK_SUCCESS;

    // ----------------------------------------------------------------- accounts

    /// @notice Liquidation limit / debt value, WAD, on the vault's liquidation side (collateral at each price's
    ///         `high`, debt at the base's `low`), so 1e18 is the liquidation point even under a doubted price;
    ///         type(uint256).max with no debt (no price read). Collateral with a FAILED price counts 0 here, where the
    ///         engine counts it at the oracle's ceiling: with a FAILED price, ask `previewLiquidation`.
    /// @param vault The vault to read.
    /// @param account The account.
    function healthFactor(ICollateralVault vault, address account) external view returns (uint256) {
        // No debt, no price read: a broken oracle cannot make a debt-free account look unhealthy or revert.
        if (vault.debtOf(account) == 0) return type(uint256).max;
        ICollateralVault.AccountLiquidity memory liq = vault.liquidationView(account, address(0)).liq;
        // Rounded down: an account reads as no healthier than it is.
        return liq.liquidationLimit.wadDivDown(liq.debtValue);
    }

    /// @notice Index-scaled debt of `account` (debt = scaled × borrowIndex / RAY, rounded up).
    /// @param vault The vault to read.
    /// @param account The account.
    function scaledDebtOf(ICollateralVault vault, address account) external view returns (uint256) {
        return vault.scaledDebtOf(account);
    }

    /// @notice Bad-debt provision on `account`, in base units.
    /// @param vault The vault to read.
    /// @param account The account.
    function provisionOf(ICollateralVault vault, address account) external view returns (uint256) {
        return vault.provisionOf(account);
    }

    /// @notice The vault's `accountLiquidity` of each of `accounts`, in order.
    /// @param vault The vault to read.
    /// @param accounts The accounts to read.
    /// @return out One `AccountLiquidity` per account.
    function liquidities(
        ICollateralVault vault,
        address[] calldata accounts
    ) external view returns (ICollateralVault.AccountLiquidity[] memory out) {
        out = new ICollateralVault.AccountLiquidity[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            out[i] = vault.accountLiquidity(accounts[i]);
        }
    }

    /// @notice The raw positions of `accounts`: scaled debt (debt = scaled × `borrowIndex()` / 1e27, rounded up, as
    ///         the vault computes it) and holdings of each of `assets`, in order. No prices and no interest are
    ///         computed: a caller that values many accounts reads each price and the index once.
    /// @param vault The vault to read.
    /// @param assets The collateral assets to report, in order.
    /// @param accounts The accounts to read.
    /// @return scaledDebts The scaled debt of each account.
    /// @return balances `balances[i][j]` is `vault.collateralOf(accounts[i], assets[j])`.
    function positions(
        ICollateralVault vault,
        address[] calldata assets,
        address[] calldata accounts
    ) external view returns (uint256[] memory scaledDebts, uint256[][] memory balances) {
        scaledDebts = new uint256[](accounts.length);
        balances = new uint256[][](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            scaledDebts[i] = vault.scaledDebtOf(accounts[i]);
            uint256[] memory held = new uint256[](assets.length);
            for (uint256 j; j < assets.length; ++j) {
                held[j] = vault.collateralOf(accounts[i], assets[j]);
            }
            balances[i] = held;
        }
    }

    // ----------------------------------------------------------------- market

    /// @notice Current price oracle, interest rate model, reserve factor and borrow cap.
    /// @param vault The vault to read.
    function parameters(
        ICollateralVault vault
    )
        external
        view
        returns (IPriceOracle oracle, IInterestRateModel rateModel, uint256 reserveFactor, uint256 borrowCap)
    {
        (reserveFactor, ) = vault.accrualTerms();
        return (vault.oracle(), vault.rateModel(), reserveFactor, vault.borrowCap());
    }

    /// @notice Timestamp interest was last accrued to storage (never after block.timestamp, INV-10).
    /// @param vault The vault to read.
    function lastAccrual(ICollateralVault vault) external view returns (uint256 timestamp) {
        return vault.lastAccrual();
    }

    /// @notice The liquidation engine, the only address that may seize collateral (zero: none yet).
    /// @param vault The vault to read.
    function liquidationEngine(ICollateralVault vault) external view returns (address) {
        return vault.liquidationEngine();
    }

    /// @notice The circuit breaker and withdrawal queue (zero: none set yet, the vault runs unguarded).
    /// @param vault The vault to read.
    function circuitBreaker(
        ICollateralVault vault
    ) external view returns (ICircuitBreaker breaker, IWithdrawalQueue queue) {
        return (vault.circuitBreaker(), vault.withdrawalQueue());
    }

    /// @notice The risk manager, the recovery module and the reserve-factor boost.
    /// @param vault The vault to read.
    function riskModules(
        ICollateralVault vault
    ) external view returns (address riskManager, address recovery, uint256 reserveBoost) {
        (, reserveBoost) = vault.accrualTerms();
        return (vault.riskManager(), vault.recovery(), reserveBoost);
    }

    /// @notice Σ provisions; the share price carries the part of it reserves do not cover.
    /// @param vault The vault to read.
    function totalProvision(ICollateralVault vault) external view returns (uint256) {
        return vault.totalProvision();
    }

    /// @notice Gains on the loss side (provisions released, recovery proceeds for lenders) still held back from the
    ///         share price, released linearly over LossLedger.RELEASE_PERIOD; `totalAssets` deducts it after
    ///         max(reserves, totalProvision).
    /// @param vault The vault to read.
    function gainsHeldBack(ICollateralVault vault) external view returns (uint256) {
        return vault.gainsHeldBack();
    }

    /// @notice Bad debt lenders bore beyond reserves that recovered collateral has not yet paid back, base units.
    /// @param vault The vault to read.
    function unrecoveredLoss(ICollateralVault vault) external view returns (uint256) {
        return vault.unrecoveredLoss();
    }

    /// @notice The vault's first-loss backstop (zero: none), its share of reserve income (WAD), what it holds for
    ///         provisions reserves do not cover and what it paid on write-offs that recovery has not repaid (base units).
    /// @param vault The vault to read.
    function backstop(
        ICollateralVault vault
    ) external view returns (address backstop_, uint256 incomeShare, uint256 earmarked, uint256 owed) {
        (backstop_, incomeShare) = vault.backstop();
        (earmarked, owed) = vault.backstopBook();
    }

    /// @notice Units of `asset` the protocol owns, swept from written-off accounts.
    /// @param vault The vault to read.
    /// @param asset The collateral asset.
    function protocolCollateral(ICollateralVault vault, address asset) external view returns (uint256) {
        return vault.protocolCollateral(asset);
    }

    // ----------------------------------------------------------------- collateral

    /// @notice Governance risk parameters (the ceilings of the effective ones, the vault's `riskParams`), decimals and
    ///         total deposits of a listed collateral.
    /// @dev Reverts with `AssetNotListed`.
    /// @param vault The vault to read.
    /// @param asset The collateral asset.
    function collateralInfo(
        ICollateralVault vault,
        address asset
    ) external view returns (ICollateralVault.CollateralConfig memory config, uint8 decimals, uint256 totalDeposited) {
        bool listed;
        (config, decimals, listed) = vault.collateral(asset);
        if (!listed) revert ICollateralVault.AssetNotListed(asset);
        totalDeposited = vault.totalDeposited(asset);
    }

    /// @notice `asset`'s ramp, when it started, and the risk manager's caps (type(uint64).max: none).
    /// @dev Reverts with `AssetNotListed`.
    /// @param vault The vault to read.
    /// @param asset The collateral asset.
    function riskRamp(
        ICollateralVault vault,
        address asset
    ) external view returns (ICollateralVault.RiskRamp memory ramp, uint256 start, uint64 ltvCap, uint64 thresholdCap) {
        (ramp, start) = vault.riskRamp(asset);
        (ltvCap, thresholdCap) = vault.riskCaps(asset);
    }
}
