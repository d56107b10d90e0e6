// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IVaultBackstop} from "../interfaces/IVaultBackstop.sol";
import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {AccountValuation} from "./AccountValuation.sol";
import {BackstopLink} from "./BackstopLink.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {InterestAccrual} from "./InterestAccrual.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {LendingBook} from "./LendingBook.sol";
import {LossLedger} from "./LossLedger.sol";
import {VaultState} from "./VaultState.sol";
import {VaultWiring} from "./VaultWiring.sol";

/// @dev The seven slots `CollateralVault` inherits ahead of `VaultState` (OpenZeppelin's ERC20: balances, allowances,
///      supply, name, symbol; Ownable2Step: owner, pending owner). `VaultModule` runs over the vault's storage, so it
///      reserves them, unread, to place `VaultState` at the vault's own slots (test/unit/VaultStorage.test.ts checks it).
abstract contract VaultInheritedSlots {
    uint256[7] private _inheritedSlots;
}

/// @title VaultModule
/// @notice The vault's rarely run code, kept out of its bytecode (EIP-170's 24,576 bytes): governance, the risk
///         modules' hooks, the liquidation engine's write-offs, remainders and provisions, `accountLiquidity` and
///         `isLiquidatable`. The vault creates it in its constructor, one module per vault, and runs it only by
///         DELEGATECALL over its own storage, after the vault's own checks: the caller (owner, risk module or engine)
///         and the reentrancy lock.
///         Each function has the selector of the vault function that forwards to it, so `ICollateralVault` is whole.
/// @dev Invariants:
///      - Runs only in its vault's context (`NotDelegated` otherwise): called directly it would act on a storage of its
///        own that backs nothing, and even that is refused.
///      - Parameters change only inside the bounds of LendingBook and CollateralBook; each change emits its event.
///      - INV-06 a write-off or provision is the only way the share price falls; both come from the engine through
///        the vault (LossLedger's invariants).
///      - Its storage layout is the vault's (`VaultInheritedSlots`, then `VaultState`); it declares no variable of its
///        own, only immutables.
contract VaultModule is VaultInheritedSlots, InterestAccrual, AccountValuation {
    using LendingBook for LendingBook.Book;

    /// @dev The vault that created this module, the only context it runs in.
    address private immutable _vault;

    /// @param base The vault's base asset (the module's copy of `VaultState`'s immutables).
    constructor(address base) VaultState(base) {
        _vault = msg.sender;
    }

    modifier onlyDelegated() {
        _checkDelegated();
        _;
    }

    // ================================================================= governance (the vault checked `owner`)

    /// @notice `ICollateralVault.setLiquidationEngine`, run by the vault.
    /// @param engine The new engine.
    function setLiquidationEngine(address engine) external onlyDelegated {
        VaultWiring.setEngine(_wiring, engine);
    }

    /// @notice `ICollateralVault.setCircuitBreaker`, run by the vault.
    /// @param breaker The new breaker.
    /// @param queue Its withdrawal queue.
    function setCircuitBreaker(ICircuitBreaker breaker, IWithdrawalQueue queue) external onlyDelegated {
        VaultWiring.setBreaker(_wiring, breaker, queue);
    }

    /// @notice `ICollateralVault.listCollateral`, run by the vault.
    /// @param collateral The token to list.
    /// @param config Its risk parameters.
    function listCollateral(
        address collateral,
        ICollateralVault.CollateralConfig calldata config
    ) external onlyDelegated {
        CollateralBook.list(_collateral, collateral, _base, config);
    }

    /// @notice `ICollateralVault.setCollateralConfig`, run by the vault.
    /// @param collateral The listed token.
    /// @param config Its new risk parameters.
    function setCollateralConfig(
        address collateral,
        ICollateralVault.CollateralConfig calldata config
    ) external onlyDelegated {
        CollateralBook.configure(_collateral, collateral, config);
    }

    /// @notice `ICollateralVault.setBorrowCap`, run by the vault.
    /// @param borrowCap The new cap, base units.
    function setBorrowCap(uint256 borrowCap) external onlyDelegated {
        _borrowCap = borrowCap;
        emit ICollateralVault.BorrowCapSet(borrowCap);
    }

    /// @notice `ICollateralVault.setReserveFactor`, run by the vault: interest accrues at the old factor first.
    /// @param reserveFactor The new factor (WAD, ≤ LendingBook.MAX_RESERVE_FACTOR).
    function setReserveFactor(uint256 reserveFactor) external onlyDelegated {
        if (reserveFactor > LendingBook.MAX_RESERVE_FACTOR)
            revert ICollateralVault.ReserveFactorTooHigh(reserveFactor, LendingBook.MAX_RESERVE_FACTOR);
        _accrue();
        _reserveFactor = uint64(reserveFactor); // ≤ LendingBook.MAX_RESERVE_FACTOR, checked above
        emit ICollateralVault.ReserveFactorSet(reserveFactor);
    }

    /// @notice `ICollateralVault.setInterestRateModel`, run by the vault: interest accrues at the old model first.
    /// @param model The new model.
    function setInterestRateModel(IInterestRateModel model) external onlyDelegated {
        if (address(model) == address(0)) revert ICollateralVault.ZeroAddress();
        _accrue();
        _rateModel = model;
        emit ICollateralVault.InterestRateModelSet(address(model));
    }

    /// @notice `ICollateralVault.setPriceOracle`, run by the vault.
    /// @param oracle The new oracle.
    function setPriceOracle(IPriceOracle oracle) external onlyDelegated {
        if (address(oracle) == address(0)) revert ICollateralVault.ZeroAddress();
        _oracle = oracle;
        emit ICollateralVault.PriceOracleSet(address(oracle));
    }

    /// @notice `ICollateralVault.withdrawReserves`, run by the vault: the backstop's income is paid first.
    /// @param to Recipient.
    /// @param amount Base units.
    function withdrawReserves(address to, uint256 amount) external onlyDelegated {
        _accrue();
        _settleIncomeShare();
        LossLedger.withdrawReserves(_losses, _backstop, _lending, to, amount, IERC20(_base));
    }

    /// @notice `ICollateralVault.linkBackstopAndShare`, run by the vault. Income counts from the reserves of the
    ///         moment the backstop is named; before a share changes, the income due at the old one is paid.
    /// @param backstop The backstop (once set, only this one).
    /// @param incomeShare Its share of reserve income (WAD, ≤ BackstopLink.MAX_INCOME_SHARE).
    function linkBackstopAndShare(address backstop, uint256 incomeShare) external onlyDelegated {
        _accrue();
        _settleIncomeShare();
        if (BackstopLink.configure(_backstop, backstop, incomeShare, _base)) _backstop.incomeMark = _lending.reserves;
    }

    /// @notice `ICollateralVault.settleBackstopIncomeShare`, run by the vault: pays the income share, then gives the
    ///         backstop back what it holds for provisions beyond their excess over reserves now (reserves grow with
    ///         interest and fees between two changes of provisions; lenders' value does not move: reserves cover it).
    function settleBackstopIncomeShare() external onlyDelegated {
        _accrue();
        _settleIncomeShare();
        uint256 needed = BackstopLink.shortfall(_losses.totalProvision, _lending.reserves);
        if (needed != _backstop.earmarked)
            LossLedger.retargetEarmark(_losses, _backstop, _lending.reserves, IERC20(_base));
    }

    /// @notice `ICollateralVault.setRiskModules`, run by the vault.
    /// @param riskManager The risk manager (zero: none).
    /// @param recovery The recovery module (zero: none).
    function setRiskModules(address riskManager, address recovery) external onlyDelegated {
        VaultWiring.setRiskModules(_wiring, riskManager, recovery);
    }

    // ================================================================= risk modules (the vault checked which one)

    /// @notice `ICollateralVault.setRiskCaps`, run by the vault.
    /// @param collateral The listed token.
    /// @param ltvCap Cap on its borrow LTV (WAD).
    /// @param thresholdCap Cap on its liquidation threshold (WAD).
    function setRiskCaps(address collateral, uint64 ltvCap, uint64 thresholdCap) external onlyDelegated {
        CollateralBook.setCaps(_collateral, collateral, ltvCap, thresholdCap);
    }

    /// @notice `ICollateralVault.setReserveBoost`, run by the vault: an unchanged boost changes nothing.
    /// @param boost The boost (WAD, ≤ LendingBook.MAX_RESERVE_BOOST).
    function setReserveBoost(uint256 boost) external onlyDelegated {
        if (boost > LendingBook.MAX_RESERVE_BOOST)
            revert ICollateralVault.ReserveBoostTooHigh(boost, LendingBook.MAX_RESERVE_BOOST);
        if (boost == _reserveBoost) return;
        _accrue();
        _reserveBoost = uint64(boost); // ≤ LendingBook.MAX_RESERVE_BOOST, checked above
        emit ICollateralVault.ReserveBoostSet(boost);
    }

    /// @notice `ICollateralVault.releaseProtocolCollateral`, run by the vault.
    /// @param collateral The collateral asset.
    /// @param amount Units sent to the recovery module.
    function releaseProtocolCollateral(address collateral, uint256 amount) external onlyDelegated {
        LossLedger.releaseProtocolCollateral(_losses, collateral, amount);
    }

    /// @notice `ICollateralVault.settleRecovery`, run by the vault.
    /// @param collateral The collateral sold.
    /// @param returned Units handed back unsold.
    /// @param proceeds Base units the sale raised.
    function settleRecovery(address collateral, uint256 returned, uint256 proceeds) external onlyDelegated {
        _accrue();
        LossLedger.settleRecovery(
            _losses,
            _backstop,
            _lending,
            _collateral,
            collateral,
            returned,
            proceeds,
            IERC20(_base)
        );
    }

    // ================================================================= liquidation engine (the vault checked it)

    /// @notice `ICollateralVault.writeOffBadDebt`, run by the vault.
    /// @param account The written-off account.
    /// @return amount Its debt written off, base units.
    function writeOffBadDebt(address account) external onlyDelegated returns (uint256 amount) {
        _accrue();
        // Reserves absorb the loss first; lenders bear the rest through the share price (INV-06's only exception).
        amount = LossLedger.writeOff(_losses, _backstop, _collateral, _lending, account, IERC20(_base));
        // A failing breaker never blocks a write-off; `poke(address(0))` re-reads the bad debt anyway.
        ICircuitBreaker breaker = _wiring.breaker;
        if (address(breaker) != address(0)) try breaker.onBadDebt(amount, _totalAssets()) {} catch {}
    }

    /// @notice `ICollateralVault.closeRemainder`, run by the vault.
    /// @param account The account closed.
    /// @param collateral The collateral taken.
    /// @param seize How much of it, token units.
    /// @return amount The debt closed, base units.
    function closeRemainder(
        address account,
        address collateral,
        uint256 seize
    ) external onlyDelegated returns (uint256 amount) {
        _accrue();
        // Only reserves no provision holds pay it, so totalAssets, and the share price, stay where they were.
        amount = LossLedger.closeRemainder(
            _losses,
            _backstop,
            _collateral,
            _lending,
            account,
            collateral,
            seize,
            IERC20(_base)
        );
    }

    /// @notice `ICollateralVault.setProvision`, run by the vault.
    /// @param account The account.
    /// @param amount The provision, base units (0 clears it).
    function setProvision(address account, uint256 amount) external onlyDelegated {
        _accrue();
        uint256 debt = _lending.debtOf(account, _lending.borrowIndex);
        LossLedger.setProvision(_losses, _backstop, account, amount, debt, _lending.reserves, IERC20(_base));
    }

    // ================================================================= views (the vault forwards them statically)

    /// @notice `ICollateralVault.accountLiquidity`, run by the vault.
    /// @param account The account.
    /// @return liq Its position on the borrow side, with interest accrued to now.
    function accountLiquidity(
        address account
    ) external view onlyDelegated returns (ICollateralVault.AccountLiquidity memory liq) {
        (uint256 index, , ) = _accrued();
        return _liquidity(account, _lending.debtOf(account, index), false);
    }

    /// @notice `ICollateralVault.isLiquidatable`, run by the vault.
    /// @param account The account.
    /// @return liquidatable Whether it has debt, its debt value exceeds its liquidation limit on the liquidation side
    ///         (liquidatable at both bounds of a doubted price), and no price it needs is FAILED.
    function isLiquidatable(address account) external view onlyDelegated returns (bool liquidatable) {
        (uint256 index, , ) = _accrued();
        uint256 debt = _lending.debtOf(account, index);
        if (debt == 0) return false;
        ICollateralVault.AccountLiquidity memory liq = _liquidity(account, debt, true);
        // No liquidation at an unknown price.
        return liq.priceStatus != IPriceOracle.Status.FAILED && liq.debtValue > liq.liquidationLimit;
    }

    /// @dev Pays the backstop its share of reserve income (`BackstopLink.incomeDue`; interest accrued), out of free
    ///      reserves and cash alike, so `totalAssets` does not move; what it does not take stays reserves. Income
    ///      counts on from the growth its payment did not consume. Returns what it took.
    function _settleIncomeShare() private returns (uint256 taken) {
        BackstopLink.Link storage link = _backstop;
        uint256 reserves = _lending.reserves;
        uint256 due = BackstopLink.incomeDue(link, reserves, _losses.totalProvision, _lending.cash);
        // No staker, no income: it would sit under the backstop's virtual shares, or go to a dust first staker.
        if (due == 0 || IERC20(link.backstop).totalSupply() == 0) return 0;
        // Books first: the payment leaves cash and reserves before any call.
        (_lending.cash, _lending.reserves) = (_lending.cash - uint128(due), uint128(reserves - due)); // due ≤ both
        taken = BackstopLink.credit(link, due, IERC20(_base));
        if (taken != due)
            (_lending.cash, _lending.reserves) = (_lending.cash + uint128(due - taken), uint128(reserves - taken));
        // The growth this payment consumed (rounded up: stakers are never paid twice for a unit of it).
        uint256 mark = link.incomeMark;
        uint256 consumed = taken == 0 ? 0 : FixedPointMath.wadDivUp(taken, link.incomeShare);
        uint256 left = reserves - taken;
        link.incomeMark = uint128(mark + consumed >= reserves ? left : mark + consumed - taken); // ≤ left
        emit IVaultBackstop.BackstopIncomePaid(taken, left);
    }

    /// @dev Reverts `NotDelegated` unless this code runs as its vault.
    function _checkDelegated() private view {
        if (address(this) != _vault) revert ICollateralVault.NotDelegated();
    }
}
