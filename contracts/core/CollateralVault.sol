// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IVaultBackstop} from "../interfaces/IVaultBackstop.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {TokenTransfers} from "../libraries/TokenTransfers.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {LendingBook} from "./LendingBook.sol";
import {LiquidationSettlement} from "./LiquidationSettlement.sol";
import {LossLedger} from "./LossLedger.sol";
import {AccountValuation} from "./AccountValuation.sol";
import {InterestAccrual} from "./InterestAccrual.sol";
import {VaultShares} from "./VaultShares.sol";
import {VaultModule} from "./VaultModule.sol";
import {VaultState} from "./VaultState.sol";
import {VaultWiring} from "./VaultWiring.sol";

/// @title CollateralVault
/// @notice Bulwark's core ledger: an ERC-4626 vault over one base asset that lends it against several collateral assets.
///         Its collateral records and risk ramps are `CollateralBook`'s, its loss records `LossLedger`'s (libraries
///         over its own storage); its rare code (governance, the risk modules' hooks, the engine's write-offs,
///         remainders and provisions, `accountLiquidity`, `isLiquidatable`) runs in `VaultModule`, which it creates and runs by
///         DELEGATECALL after its own checks; reads that no other contract needs in a transaction are `VaultLens`'s.
/// @dev Invariants (IDs from InvariantsSpec.sol, tested in test/invariant):
///      - INV-03 per token, what the books say the vault holds (cash; collateral) ≤ balanceOf(vault).
///      - INV-01 total debt ≤ Σ account debts < total debt + number of borrowers (each debt rounds up on its own).
///      - INV-11/12 no borrow or collateral withdrawal leaves its account above its borrow limit.
///      - INV-06 the borrow index never decreases; the share price decreases only through a bad-debt provision or
///        write-off, both event-logged and both made by the liquidation engine.
///      - INV-04 totalAssets == cash + total debt − max(reserves, Σ provisions − what the backstop holds for them) −
///        gains held back (issue 26's waterfall: reserves, then the backstop, then lenders): reserves take
///        losses first; gains on the loss side reach lenders over LossLedger.RELEASE_PERIOD (issue 19, property 2).
///      - Only the liquidation engine seizes collateral, writes off debt or records provisions.
///      - INV-07 donations change nothing: cash and collateral are booked, never read from balanceOf.
///      - INV-35 an account with no debt withdraws its collateral without any price being read.
///      - INV-27 the circuit breaker is consulted on every action but can never stop repay or depositCollateral (its
///        hook runs there as a call whose failure or unusable answer changes nothing but the credit word; the books' uint128 totals assume, as Morpho Blue's, a base asset with fewer
///        than 2^128 units in all, below which no repayment can take the cash past its bound), and it queues
///        collateral withdrawals rather than refusing them; a lender's `withdraw`/`redeem` pays now or reverts, and `withdrawOrQueue` is the lender's exit that queues; once set,
///        it cannot be removed.
///      - ERC-4626 limits tell the truth (issue 19, property 8): `maxDeposit`/`maxMint` are 0 while supply is stopped,
///        and a `withdraw` within `maxWithdraw` (a `redeem` within `maxRedeem`) pays in the same transaction.
///      - INV-38 every health check uses each collateral's effective LTV and threshold (`CollateralBook.effective`).
///      - Recovery proceeds repay lenders' unrecovered loss before they reach reserves.
///      Debt is stored index-scaled: debt = scaledDebt × borrowIndex / RAY, rounded up.
///      Parameters change only through `owner` (the timelock) and inside the MAX_* bounds of LendingBook and CollateralBook.
///      Storage layout (VaultState): other contracts read some of it by slot (`VaultStorage`, through `extsload`);
///      test/unit/VaultStorage.test.ts checks the slots.
contract CollateralVault is
    ICollateralVault,
    IVaultBackstop,
    ERC4626,
    Ownable2Step,
    ReentrancyGuardTransient,
    VaultShares,
    InterestAccrual,
    AccountValuation
{
    using SafeERC20 for IERC20;
    using TokenTransfers for IERC20;
    using FixedPointMath for uint256;
    using LendingBook for LendingBook.Book;
    using CollateralBook for CollateralBook.Book;

    /// @dev Virtual shares (10**6 per unit) against the first-depositor inflation attack (INV-08).
    uint8 private constant DECIMALS_OFFSET = 6;
    /// @dev The circuit breaker's SUPPLY action bit (ICircuitBreaker's action bits).
    uint8 private constant SUPPLY_ACTION = 1;

    /// @dev This vault's `VaultModule` (its rarely run code), created in the constructor.
    address private immutable _module;

    /// @param baseAsset The asset lenders supply and borrowers borrow (0–18 decimals).
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    /// @param oracle Price source for the base and collateral assets.
    /// @param rateModel Borrow rate model.
    /// @param reserveFactor_ Share of interest credited to reserves (WAD, ≤ LendingBook.MAX_RESERVE_FACTOR).
    /// @param borrowCap_ Maximum total debt in base units.
    /// @param owner_ Governance: the timelock in production.
    constructor(
        IERC20Metadata baseAsset,
        string memory name_,
        string memory symbol_,
        IPriceOracle oracle,
        IInterestRateModel rateModel,
        uint256 reserveFactor_,
        uint256 borrowCap_,
        address owner_
    ) ERC20(name_, symbol_) ERC4626(baseAsset) Ownable(owner_) VaultState(address(baseAsset)) {
        if (address(oracle) == address(0) || address(rateModel) == address(0)) revert ZeroAddress();
        if (reserveFactor_ > LendingBook.MAX_RESERVE_FACTOR)
            revert ReserveFactorTooHigh(reserveFactor_, LendingBook.MAX_RESERVE_FACTOR);
        _oracle = oracle;
        _rateModel = rateModel;
        _reserveFactor = uint64(reserveFactor_); // ≤ LendingBook.MAX_RESERVE_FACTOR, checked above
        _borrowCap = borrowCap_;
        (_lending.borrowIndex, _lending.lastAccrual) = (uint216(FixedPointMath.RAY), uint40(block.timestamp));
        _module = address(new VaultModule(address(baseAsset)));
    }

    // ================================================================= lender side (ERC-4626)

    /// @inheritdoc ERC4626
    /// @dev `maxDeposit` is not read: it is 0 exactly while the circuit breaker stops supply, and its `onSupply` hook
    ///      refuses then (ActionPaused), so the check would cost every deposit a call and change no outcome.
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256 shares) {
        _accrue();
        shares = previewDeposit(assets);
        _deposit(msg.sender, receiver, assets, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev As `deposit`: supply the breaker stops is refused in its hook.
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256 assets) {
        _accrue();
        assets = previewMint(shares);
        _deposit(msg.sender, receiver, assets, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev Pays in this transaction or reverts (issue 19, property 8): past the claim or cash with
    ///      ERC4626ExceededMaxWithdraw, past what the circuit breaker lets out now with its OutflowLimitReached or
    ///      ActionPaused. `withdrawOrQueue` is the exit that queues instead.
    function withdraw(
        uint256 assets,
        address receiver,
        address owner_
    ) public override nonReentrant returns (uint256 shares) {
        _accrue();
        // OpenZeppelin's conversions (`_convertToAssets` rounded down, `previewWithdraw` up) over one read of the
        // share price: the claim and the shares burnt are priced alike, for one `totalAssets` instead of two.
        (uint256 total, uint256 supply) = (totalAssets() + 1, totalSupply() + 10 ** DECIMALS_OFFSET);
        if (assets > balanceOf(owner_).mulDivDown(total, supply) || assets > _lending.cash) {
            revert ERC4626ExceededMaxWithdraw(owner_, assets, maxWithdraw(owner_));
        }
        shares = assets.mulDivUp(supply, total);
        _exit(receiver, owner_, assets, shares, false);
    }

    /// @inheritdoc ERC4626
    /// @dev Pays in this transaction or reverts, as `withdraw` (ERC4626ExceededMaxRedeem past the shares or cash).
    function redeem(
        uint256 shares,
        address receiver,
        address owner_
    ) public override nonReentrant returns (uint256 assets) {
        _accrue();
        assets = previewRedeem(shares);
        if (shares > balanceOf(owner_) || assets > _lending.cash) {
            revert ERC4626ExceededMaxRedeem(owner_, shares, maxRedeem(owner_));
        }
        _exit(receiver, owner_, assets, shares, false);
    }

    /// @inheritdoc ICollateralVault
    function withdrawOrQueue(
        uint256 assets,
        address receiver,
        address owner_
    ) external nonReentrant returns (uint256 shares) {
        _accrue();
        if (assets > _lending.cash) revert InsufficientLiquidity(_lending.cash, assets);
        shares = previewWithdraw(assets);
        _exit(receiver, owner_, assets, shares, true);
    }

    /// @notice cash + total debt − max(reserves, Σ provisions − what the backstop holds for them) − gains still held
    ///         back, with interest accrued to now
    ///         (INV-04). Reserves are the first loss: a provisioned loss lowers lenders' claims only by what reserves
    ///         do not cover, and it does so as soon as the engine records it, so no lender leaves at a price that
    ///         ignores it; a provision released (or recovery proceeds) reaches them over LossLedger.RELEASE_PERIOD.
    function totalAssets() public view override returns (uint256) {
        return _totalAssets();
    }

    /// @notice 0 while the circuit breaker stops supply (a deposit would revert), else unlimited.
    function maxDeposit(address) public view override returns (uint256) {
        ICircuitBreaker breaker = _wiring.breaker;
        return
            address(breaker) != address(0) && breaker.actionMask(asset()) & SUPPLY_ACTION != 0 ? 0 : type(uint256).max;
    }

    /// @notice 0 while the circuit breaker stops supply (a mint would revert), else unlimited.
    function maxMint(address receiver) public view override returns (uint256) {
        return maxDeposit(receiver);
    }

    /// @notice What a `withdraw` pays in this transaction: min(claim rounded down, cash, what the circuit breaker lets
    ///         `owner_` out now). Past it `withdraw` reverts; `withdrawOrQueue` queues instead.
    function maxWithdraw(address owner_) public view override returns (uint256) {
        return _payableNow(owner_, _convertToAssets(balanceOf(owner_), Math.Rounding.Floor));
    }

    /// @notice The shares a `redeem` pays for in this transaction (`maxWithdraw`'s bound; shares rounded down when it
    ///         binds).
    function maxRedeem(address owner_) public view override returns (uint256) {
        uint256 shares = balanceOf(owner_);
        uint256 claim = _convertToAssets(shares, Math.Rounding.Floor);
        uint256 payable_ = _payableNow(owner_, claim);
        uint256 max = payable_ == claim ? shares : _convertToShares(payable_, Math.Rounding.Floor);
        // Shares that buy nothing would revert (ZeroAmount): they are no limit a redeem can use.
        return _convertToAssets(max, Math.Rounding.Floor) == 0 ? 0 : max;
    }

    /// @dev min(`amount`, cash, the breaker's room for `owner_` now).
    function _payableNow(address owner_, uint256 amount) internal view returns (uint256) {
        uint256 cash_ = _lending.cash;
        if (amount > cash_) amount = cash_;
        ICircuitBreaker breaker = _wiring.breaker;
        if (address(breaker) == address(0)) return amount;
        uint256 room = breaker.outflowRoom(asset(), cash_, _shares[owner_].credit);
        return amount < room ? amount : room;
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev OZ flow with the amount measured by balance delta and booked into cash. Shares were rounded down. The
    ///      receiver's deposit credit is stored before the pull, in the slot its shares then fill: a share transfer
    ///      from a token hook during the pull (share transfers take no lock) moves the credit as it now stands, and
    ///      nothing writes an older word back over it.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        uint256 cashBefore = _lending.cash;
        ICircuitBreaker breaker = _wiring.breaker;
        if (address(breaker) != address(0)) {
            LendingBook.Balance storage lender = _shares[receiver];
            lender.credit = breaker.onSupply(assets, cashBefore, lender.credit);
        }
        IERC20(asset()).pullExact(caller, assets);
        _lending.cash = SafeCast.toUint128(cashBefore + assets);
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    /// @dev A lender's exit of `assets` for `shares` (the caller checked cash; shares were rounded up): pays now, or
    ///      queues when `mayQueue` and the circuit breaker says so (else the breaker refuses).
    function _exit(address receiver, address owner_, uint256 assets, uint256 shares, bool mayQueue) internal {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        if (msg.sender != owner_) _spendAllowance(owner_, msg.sender, shares);
        _burn(owner_, shares);
        uint256 cashBefore = _lending.cash;
        _lending.cash = uint128(cashBefore - assets); // the caller checked assets ≤ cash
        emit Withdraw(msg.sender, receiver, owner_, assets, shares);
        _payOut(asset(), _shares[owner_], receiver, assets, cashBefore, mayQueue);
    }

    // ================================================================= borrower side

    /// @inheritdoc ICollateralVault
    function depositCollateral(address collateral, uint256 amount, address onBehalfOf) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (onBehalfOf == address(0)) revert ZeroAddress();
        CollateralBook.Asset storage record = _collateral.listed(collateral);
        if (msg.sender != onBehalfOf && _collateral.balances[onBehalfOf][collateral].amount == 0) {
            revert UnsolicitedCollateral(onBehalfOf, collateral);
        }
        uint256 totalBefore = record.totalDeposited;
        uint256 totalAfter = totalBefore + amount;
        LendingBook.Position storage position = _lending.positions[onBehalfOf];
        if (totalAfter > record.config.supplyCap) {
            // A full cap never blocks an indebted account's own top-up (issue 19, property 6): the units it adds past
            // the cap protect it but lend it nothing while the asset stays above the cap, and back at most twice its
            // debt (`CollateralBook.addPastCap`; a cap of 0 stays governance's freeze). Only the account itself may
            // go past the cap: nobody can load another's holding with units that do not lend.
            if (position.scaledDebt == 0 || msg.sender != onBehalfOf)
                revert SupplyCapExceeded(collateral, record.config.supplyCap, totalAfter);
            _accrue();
            uint256 debt = _lending.debtOf(onBehalfOf, _lending.borrowIndex);
            _collateral.addPastCap(position, onBehalfOf, collateral, amount, _oracle, debt, _base, _baseDecimals);
        }
        IERC20(collateral).pullExact(msg.sender, amount);
        _collateral.increase(position, onBehalfOf, collateral, record, amount);
        _creditInflow(collateral, _collateral.balances[onBehalfOf][collateral], amount, totalBefore);
        emit CollateralDeposited(msg.sender, onBehalfOf, collateral, amount);
    }

    /// @inheritdoc ICollateralVault
    function withdrawCollateral(address collateral, uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        CollateralBook.Asset storage record = _collateral.listed(collateral);
        LendingBook.Balance storage holding = _collateral.balances[msg.sender][collateral];
        uint256 balance = holding.amount;
        if (amount == type(uint256).max) amount = balance;
        if (amount == 0 || amount > balance) revert InsufficientCollateral(collateral, balance, amount);
        uint256 totalBefore = record.totalDeposited;
        LendingBook.Position storage position = _lending.positions[msg.sender];
        _collateral.decrease(position, msg.sender, collateral, record, balance, amount);
        // INV-35: an account without debt needs neither a price nor accrued interest to leave (it touches no debt).
        if (position.scaledDebt != 0) {
            _accrue();
            // A doubted price moves no collateral out of an indebted account; the limit check reuses this read.
            SharedPrice memory read = SharedPrice(collateral, true, _requireOkPrice(collateral));
            _requireWithinBorrowLimit(msg.sender, _wiring.breaker, read);
        }
        emit CollateralWithdrawn(msg.sender, to, collateral, amount);
        _payOut(collateral, holding, to, amount, totalBefore, true);
    }

    /// @inheritdoc ICollateralVault
    function borrow(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _accrue();
        uint256 cashBefore = _lending.cash;
        if (amount > cashBefore) revert InsufficientLiquidity(cashBefore, amount);
        (uint256 scaled, uint256 debtAfter) = _lending.increaseDebt(msg.sender, amount);
        uint256 cap = _borrowCap;
        if (debtAfter > cap) revert BorrowCapExceeded(cap, debtAfter);
        ICircuitBreaker breaker = _wiring.breaker;
        SharedPrice memory none;
        _requireWithinBorrowLimit(msg.sender, breaker, none);
        if (address(breaker) != address(0)) {
            // The breaker's credit word for this borrower lives in its position word, which the borrow has just set.
            LendingBook.Position storage position = _lending.positions[msg.sender];
            position.borrowCredit = breaker.beforeBorrow(amount, cashBefore, position.borrowCredit);
        }
        _lending.cash = uint128(cashBefore - amount); // amount ≤ cash, checked above
        emit Borrowed(msg.sender, to, amount, scaled);
        IERC20(asset()).safeTransfer(to, amount);
    }

    /// @inheritdoc ICollateralVault
    function repay(uint256 amount, address onBehalfOf) external nonReentrant returns (uint256 repaid) {
        if (amount == 0) revert ZeroAmount();
        if (onBehalfOf == address(0)) revert ZeroAddress();
        _accrue();
        uint256 debt = _lending.debtOf(onBehalfOf, _lending.borrowIndex);
        if (debt == 0) revert NoDebt(onBehalfOf);
        if (amount > debt) amount = debt;
        uint256 scaled = _lending.decreaseDebt(onBehalfOf, amount, amount == debt);
        if (_losses.provision[onBehalfOf] != 0) {
            LossLedger.reduceProvision(_losses, onBehalfOf, amount, _lending.reserves);
        }
        address base = asset();
        uint256 cashBefore = _lending.cash;
        // INV-27: a call whose failure, or whose answer, nothing depends on, so nothing the breaker does can stop a
        // repayment; a word that is not a borrower credit word is not kept.
        address breaker = address(_wiring.breaker);
        if (breaker != address(0)) {
            LendingBook.Position storage position = _lending.positions[onBehalfOf];
            bytes memory data = abi.encodeCall(ICircuitBreaker.onRepay, (amount, cashBefore, position.borrowCredit));
            (bool ok, uint256 credit, ) = _tryCall(breaker, data, 1);
            if (ok && credit <= type(uint128).max) position.borrowCredit = uint128(credit);
        }
        // Effects before the pull: a token hook reading the vault mid-transfer sees whole books (the debt gone and
        // its cash in), never a share price lowered by `amount`. `_pullExact` reverts unless `amount` arrives.
        _lending.cash = SafeCast.toUint128(cashBefore + amount);
        emit Repaid(msg.sender, onBehalfOf, amount, scaled);
        IERC20(base).pullExact(msg.sender, amount);
        return amount;
    }

    // ================================================================= liquidation engine hooks
    // From here on, every entry point but `executeLiquidation` and `renounceOwnership` checks its caller (and takes
    // the lock) here and runs in `VaultModule` (`_runModule`), which decodes the arguments from the calldata: they
    // are named only for the ABI, and the bare statement that names them again only keeps the compiler quiet.

    modifier onlyEngine() {
        _checkEngine();
        _;
    }

    /// @inheritdoc ICollateralVault
    function executeLiquidation(Settlement calldata settlement, bytes calldata data) external onlyEngine nonReentrant {
        _accrue();
        LiquidationSettlement.execute(_lending, _collateral, _losses, settlement, data, IERC20(asset()));
    }

    /// @inheritdoc ICollateralVault
    function writeOffBadDebt(address account) external onlyEngine nonReentrant returns (uint256 amount) {
        account;
        amount = _runModule();
    }

    /// @inheritdoc ICollateralVault
    function closeRemainder(
        address account,
        address collateral,
        uint256 seize
    ) external onlyEngine nonReentrant returns (uint256 amount) {
        (account, collateral, seize);
        amount = _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setProvision(address account, uint256 amount) external onlyEngine nonReentrant {
        (account, amount);
        _runModule();
    }

    // ================================================================= governance

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less contract could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc ICollateralVault
    function setLiquidationEngine(address engine) external onlyOwner {
        engine;
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setCircuitBreaker(ICircuitBreaker breaker, IWithdrawalQueue queue) external onlyOwner {
        (breaker, queue);
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function listCollateral(address collateral, CollateralConfig calldata config) external onlyOwner {
        (collateral, config);
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setCollateralConfig(address collateral, CollateralConfig calldata config) external onlyOwner {
        (collateral, config);
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setBorrowCap(uint256 borrowCap_) external onlyOwner {
        borrowCap_;
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setReserveFactor(uint256 reserveFactor_) external onlyOwner {
        reserveFactor_;
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setInterestRateModel(IInterestRateModel model) external onlyOwner {
        model;
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setPriceOracle(IPriceOracle oracle) external onlyOwner {
        oracle;
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function withdrawReserves(address to, uint256 amount) external onlyOwner nonReentrant {
        (to, amount);
        _runModule();
    }

    /// @inheritdoc IVaultBackstop
    function linkBackstopAndShare(address backstop, uint256 incomeShare) external onlyOwner nonReentrant {
        (backstop, incomeShare);
        _runModule();
    }

    /// @inheritdoc IVaultBackstop
    function settleBackstopIncomeShare() external nonReentrant {
        _runModule();
    }

    // ================================================================= risk modules

    modifier onlyRiskModule(address module) {
        _checkRiskModule(module);
        _;
    }

    /// @inheritdoc ICollateralVault
    function setRiskModules(address riskManager, address recovery) external onlyOwner {
        (riskManager, recovery);
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setRiskCaps(
        address collateral,
        uint64 ltvCap,
        uint64 thresholdCap
    ) external onlyRiskModule(_wiring.riskManager) nonReentrant {
        (collateral, ltvCap, thresholdCap);
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function setReserveBoost(uint256 boost) external onlyRiskModule(_wiring.riskManager) nonReentrant {
        boost;
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function releaseProtocolCollateral(
        address collateral,
        uint256 amount
    ) external onlyRiskModule(_wiring.recovery) nonReentrant {
        (collateral, amount);
        _runModule();
    }

    /// @inheritdoc ICollateralVault
    function settleRecovery(
        address collateral,
        uint256 returned,
        uint256 proceeds
    ) external onlyRiskModule(_wiring.recovery) nonReentrant {
        (collateral, returned, proceeds);
        _runModule();
    }

    // ================================================================= views another contract reads in a transaction

    /// @inheritdoc ICollateralVault
    function accountLiquidity(address account) external view returns (AccountLiquidity memory liq) {
        (account, liq);
        _viewModule();
    }

    /// @inheritdoc ICollateralVault
    function isLiquidatable(address account) external view returns (bool liquidatable) {
        (account, liquidatable);
        _viewModule();
    }

    /// @inheritdoc ICollateralVault
    function debtOf(address account) external view returns (uint256) {
        (uint256 index, , ) = _accrued();
        return _lending.debtOf(account, index);
    }

    /// @inheritdoc ICollateralVault
    function liquidationView(address account, address collateral) external view returns (LiquidationView memory view_) {
        (view_.index, , ) = _accrued();
        (view_.oracle, view_.breaker) = (_oracle, _wiring.breaker);
        view_.scaledDebt = _lending.positions[account].scaledDebt;
        uint256 debt = _lending.debtOf(account, view_.index);
        if (debt != 0) view_.basePrice = _price(asset());
        SharedPrice memory seized;
        seized.asset = collateral;
        view_.liq = _liquidity(account, debt, view_.basePrice, ICircuitBreaker(address(0)), seized, true);
        CollateralBook.Asset storage record = _collateral.assets[collateral];
        if (!record.listed) return view_;
        // The config's first word only: the engine needs no supply cap, and its slot would be one more cold read in
        // every liquidation (`config.supplyCap` stays 0 here; `VaultLens.collateralInfo` has it).
        (view_.listed, view_.decimals, view_.config.liquidationBonus) = (
            true,
            record.decimals,
            record.config.liquidationBonus
        );
        (uint256 ltv, uint256 threshold) = CollateralBook.effective(record);
        (view_.config.borrowLtv, view_.config.liquidationThreshold) = (uint64(ltv), uint64(threshold));
        view_.held = _collateral.balances[account][collateral].amount;
        // Held means in the account's mask (CollateralBook moves both together): the valuation above read this price.
        if (view_.held != 0) view_.collateralPrice = seized.price;
    }

    /// @inheritdoc ICollateralVault
    function collateralOf(address account, address collateral) external view returns (uint256) {
        return _collateral.balances[account][collateral].amount;
    }

    /// @inheritdoc ICollateralVault
    function totalDebt() external view returns (uint256 debt) {
        (, debt, ) = _accrued();
    }

    /// @inheritdoc ICollateralVault
    function cash() external view returns (uint256) {
        return _lending.cash;
    }

    /// @inheritdoc ICollateralVault
    function reserves() external view returns (uint256 reserves_) {
        (, , reserves_) = _accrued();
    }

    /// @inheritdoc ICollateralVault
    function borrowIndex() external view returns (uint256 index) {
        (index, , ) = _accrued();
    }

    /// @inheritdoc ICollateralVault
    function badDebt() external view returns (uint256) {
        return _losses.badDebt;
    }

    /// @inheritdoc ICollateralVault
    function collateralAssets() external view returns (address[] memory) {
        return _collateral.assetList;
    }

    /// @inheritdoc ICollateralVault
    function riskParams(address collateral) external view returns (uint256 borrowLtv, uint256 liquidationThreshold) {
        return CollateralBook.effective(_collateral.listed(collateral));
    }

    /// @inheritdoc ICollateralVault
    function extsload(bytes32 slot) external view returns (bytes32 value) {
        assembly ("memory-safe") {
            value := sload(slot)
        }
    }

    // ================================================================= internal: the state-changing core
    // Every change to balances and debt goes through these few functions, so the liquidation engine and the
    // circuit breaker plug in here rather than copying logic.

    /// @dev Pays `amount` of `token` out of `balance` (a lender's shares or an account's holding; the caller has taken
    ///      it off) to `to`, or, when the circuit breaker says so, sends it to the withdrawal queue as a claim of `to`'s
    ///      payable after the breaker's delay (capped at MAX_QUEUE_DELAY, `VaultWiring.enqueue`); where `mayQueue` is
    ///      false the breaker refuses instead. The breaker debits the balance's deposit credit. Runs after every effect.
    function _payOut(
        address token,
        LendingBook.Balance storage balance,
        address to,
        uint256 amount,
        uint256 balanceBefore,
        bool mayQueue
    ) internal {
        ICircuitBreaker breaker = _wiring.breaker;
        uint256 readyAt;
        if (address(breaker) != address(0)) {
            (readyAt, balance.credit) = breaker.onOutflow(token, amount, balanceBefore, mayQueue, balance.credit);
        }
        if (readyAt == 0) {
            IERC20(token).safeTransfer(to, amount);
            return;
        }
        VaultWiring.enqueue(_wiring, token, to, amount, readyAt);
    }

    /// @dev Tells the breaker about a collateral deposit of `amount` into `balance` and keeps the credit it returns.
    ///      INV-27: nothing the breaker does can stop the deposit: a revert, less return data than one word, or a word
    ///      that is no credit word (past 128 bits) leaves the credit as it was (on the protocol's side: the deposit
    ///      earns no credit), and no more than that word of return data is copied.
    function _creditInflow(
        address token,
        LendingBook.Balance storage balance,
        uint256 amount,
        uint256 balanceBefore
    ) internal {
        address breaker = address(_wiring.breaker);
        if (breaker == address(0)) return;
        bytes memory data = abi.encodeCall(ICircuitBreaker.onInflow, (token, amount, balanceBefore, balance.credit));
        (bool ok, uint256 credit, ) = _tryCall(breaker, data, 1);
        if (ok && credit <= type(uint128).max) balance.credit = uint128(credit);
    }

    // The share token is VaultShares'; OpenZeppelin's ERC20 defines these too, so the compiler asks which one counts.

    /// @notice The lender shares `account` holds.
    function balanceOf(address account) public view override(IERC20, ERC20, VaultShares) returns (uint256) {
        return VaultShares.balanceOf(account);
    }

    /// @notice All lender shares.
    function totalSupply() public view override(IERC20, ERC20, VaultShares) returns (uint256) {
        return VaultShares.totalSupply();
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, VaultShares) {
        VaultShares._update(from, to, value);
    }

    /// @dev Reverts unless the caller is the liquidation engine.
    function _checkEngine() internal view {
        if (msg.sender != _wiring.engine || msg.sender == address(0)) revert NotLiquidationEngine(msg.sender);
    }

    /// @dev Reverts unless the caller is `module` (the risk manager or the recovery module), which is set.
    function _checkRiskModule(address module) internal view {
        if (msg.sender != module || module == address(0)) revert NotRiskModule(msg.sender);
    }

    // ================================================================= internal: the module

    /// @notice Refuses every call to a function the vault does not have (as a contract without a fallback would),
    ///         except its own static call that runs `accountLiquidity` or `isLiquidatable` in its module
    ///         (`_viewModule`): from the vault itself, with one of those selectors in bytes 4–7 (what comes before
    ///         them is not read). Only those two views pass: a call the vault were made to send to itself could run
    ///         nothing else there. The refusal carries no data, as the refusal of a contract without a fallback does
    ///         (callers may rely on it).
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        if (msg.sender != address(this) || msg.data.length < 8) revert(); // solhint-disable-line gas-custom-errors
        bytes4 selector = bytes4(msg.data[4:8]);
        if (selector != this.accountLiquidity.selector && selector != this.isLiquidatable.selector) revert(); // solhint-disable-line gas-custom-errors
        address module = _module;
        assembly ("memory-safe") {
            let p := mload(0x40)
            let size := sub(calldatasize(), 4)
            calldatacopy(p, 4, size)
            let ok := delegatecall(gas(), module, p, size, 0, 0)
            returndatacopy(p, 0, returndatasize())
            if iszero(ok) {
                revert(p, returndatasize())
            }
            return(p, returndatasize())
        }
    }

    /// @dev Runs this call (its checks passed: caller, lock) in the module over the vault's storage, bubbling up its
    ///      revert; returns the first word it returned (0 if none). Returns rather than stops, so the reentrancy
    ///      lock's modifier releases the lock after it.
    function _runModule() private returns (uint256 word) {
        address module = _module;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, 0, calldatasize())
            let ok := delegatecall(gas(), module, p, calldatasize(), 0, 0)
            if iszero(ok) {
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            if gt(returndatasize(), 31) {
                returndatacopy(p, 0, 32)
                word := mload(p)
            }
        }
    }

    /// @dev Answers this view call from the module: a view cannot DELEGATECALL, so the vault makes a static call to
    ///      itself, prefixed with four zero bytes so that it reaches the fallback, which runs the module. Stops the
    ///      call with the module's answer (a view with no modifier: nothing runs after it).
    function _viewModule() private view {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, 0)
            calldatacopy(add(p, 4), 0, calldatasize())
            let ok := staticcall(gas(), address(), p, add(calldatasize(), 4), 0, 0)
            returndatacopy(p, 0, returndatasize())
            if iszero(ok) {
                revert(p, returndatasize())
            }
            return(p, returndatasize())
        }
    }
}
