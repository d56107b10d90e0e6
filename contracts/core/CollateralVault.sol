// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IFlashLiquidator} from "../interfaces/IFlashLiquidator.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title CollateralVault
/// @notice Bulwark's core ledger: an ERC-4626 vault over one base asset that lends it against several collateral assets.
/// @dev Invariants (IDs from InvariantsSpec.sol, tested in test/invariant):
///      - INV-03 per token, what the books say the vault holds (cash; collateral) ≤ balanceOf(vault).
///      - INV-01 total debt ≤ Σ account debts < total debt + number of borrowers (each debt rounds up on its own).
///      - INV-11/12 no borrow or collateral withdrawal leaves its account above its borrow limit.
///      - INV-06 the borrow index never decreases; the share price decreases only through a bad-debt provision or
///        write-off, both event-logged and both made by the liquidation engine.
///      - INV-04 totalAssets == cash + total debt − max(reserves, Σ provisions): reserves take losses first.
///      - INV-16 a write-off leaves its account with neither debt nor collateral.
///      - Only the liquidation engine seizes collateral, writes off debt or records provisions.
///      - INV-07 donations change nothing: cash and collateral are booked, never read from balanceOf.
///      - INV-35 an account with no debt withdraws its collateral without any price being read.
///      - INV-27 the circuit breaker is consulted on every action but can never stop repay or depositCollateral (its
///        hook runs in a try/catch there), and it queues withdrawals rather than refusing them; once set, it cannot
///        be removed.
///      - INV-38 every health check uses each collateral's effective LTV and threshold, which move only along the
///        bounded ramp (`RiskRamp`): a threshold at most THRESHOLD_CUT_PER_HOUR down, whoever changes its target; the
///        risk manager's caps never raise them above the governance config.
///      - Protocol-owned collateral leaves only to the recovery module; its proceeds repay lenders' unrecovered loss
///        before they reach reserves.
///      Debt is stored index-scaled: debt = scaledDebt × borrowIndex / RAY, rounded up.
///      Parameters change only through `owner` (the timelock) and inside the MAX_* bounds below.
contract CollateralVault is ICollateralVault, ERC4626, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using FixedPointMath for uint256;

    // ----------------------------------------------------------------- bounds

    /// @notice Collateral assets per vault; bounds every loop over an account's collateral.
    uint256 public constant MAX_COLLATERALS = 16;
    /// @notice Highest liquidation threshold: keeps at least a 5% equity cushion for liquidators.
    uint256 public constant MAX_LIQUIDATION_THRESHOLD = 0.95e18;
    /// @notice Highest liquidation bonus: above 20% a liquidation destroys more value than it saves.
    uint256 public constant MAX_LIQUIDATION_BONUS = 0.2e18;
    /// @notice Highest reserve factor: lenders keep at least half of the interest.
    uint256 public constant MAX_RESERVE_FACTOR = 0.5e18;
    /// @notice Highest borrow rate honoured, 1000% APR per second: a faulty rate model cannot explode debt.
    uint256 public constant MAX_BORROW_RATE_PER_SECOND = uint256(10e18) / 365 days;
    /// @notice Highest token decimals supported (prices and values are WAD).
    uint8 public constant MAX_DECIMALS = 18;
    /// @dev Virtual shares (10**6 per unit) against the first-depositor inflation attack (INV-08).
    uint8 private constant DECIMALS_OFFSET = 6;
    /// @notice What a flash liquidation's receiver must return from its callback.
    bytes32 public constant FLASH_CALLBACK_SUCCESS = keccak256("Bulwark.onFlashLiquidation");
    /// @notice Longest a queued withdrawal can wait, whatever a breaker says: a delay, never a lock-up.
    uint256 public constant MAX_QUEUE_DELAY = 3 days;
    /// @notice Fastest a liquidation threshold falls: 1 point (0.01) an hour, so no parameter change (governance's or
    ///         the risk manager's) liquidates an account at once; a top-up or repayment has hours to land.
    uint256 public constant THRESHOLD_CUT_PER_HOUR = 0.01e18;
    /// @notice Fastest a liquidation threshold rises: a quarter of the cut rate; loosening is slower than tightening.
    uint256 public constant THRESHOLD_RAISE_PER_HOUR = 0.0025e18;
    /// @notice Fastest a borrow LTV rises (it falls at once): half a point an hour.
    uint256 public constant LTV_RAISE_PER_HOUR = 0.005e18;
    /// @notice Lowest threshold cap the risk manager may set, as a share of the governance threshold.
    uint256 public constant MIN_THRESHOLD_CAP_SHARE = 0.5e18;
    /// @notice Most the risk manager may add to the reserve factor while reserves rebuild.
    uint256 public constant MAX_RESERVE_BOOST = 0.25e18;

    // ----------------------------------------------------------------- state

    struct CollateralState {
        CollateralConfig config;
        uint8 decimals;
        uint8 index; // bit position in an account's collateral mask
        bool listed;
        uint40 rampStart; // when `ramp` last restarted
        uint64 ltvCap; // the risk manager's caps (type(uint64).max: none)
        uint64 thresholdCap;
        uint256 totalDeposited;
        RiskRamp ramp;
    }

    IPriceOracle private _oracle;
    IInterestRateModel private _rateModel;
    uint256 private _borrowCap;
    // One slot, read together by every accrual: the reserve factor, the risk manager's boost, the last accrual time.
    uint64 private _reserveFactor;
    uint64 private _reserveBoost;
    uint64 private _lastAccrual;
    uint8 private immutable _baseDecimals;

    uint256 private _cash;
    uint256 private _reserves;
    uint256 private _totalScaledDebt;
    uint256 private _borrowIndex = FixedPointMath.RAY;

    address[] private _collateralList;
    mapping(address asset => CollateralState) private _collaterals;
    mapping(address account => uint256) private _collateralMask;
    mapping(address account => mapping(address asset => uint256)) private _collateralBalance;
    mapping(address account => uint256) private _scaledDebt;

    address private _engine;
    uint256 private _badDebt;
    uint256 private _unrecoveredLoss; // bad debt lenders bore (beyond reserves) that recovery has not paid back
    uint256 private _totalProvision;
    mapping(address account => uint256) private _provision;
    mapping(address asset => uint256) private _protocolCollateral;

    ICircuitBreaker private _breaker;
    IWithdrawalQueue private _queue;

    address private _riskManager;
    address private _recovery;

    /// @param baseAsset The asset lenders supply and borrowers borrow (0–18 decimals).
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    /// @param oracle Price source for the base and collateral assets.
    /// @param rateModel Borrow rate model.
    /// @param reserveFactor_ Share of interest credited to reserves (WAD, ≤ MAX_RESERVE_FACTOR).
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
    ) ERC20(name_, symbol_) ERC4626(baseAsset) Ownable(owner_) {
        if (address(oracle) == address(0) || address(rateModel) == address(0)) revert ZeroAddress();
        if (reserveFactor_ > MAX_RESERVE_FACTOR) revert ReserveFactorTooHigh(reserveFactor_, MAX_RESERVE_FACTOR);
        _baseDecimals = _readDecimals(address(baseAsset));
        _oracle = oracle;
        _rateModel = rateModel;
        _reserveFactor = uint64(reserveFactor_); // ≤ MAX_RESERVE_FACTOR, checked above
        _borrowCap = borrowCap_;
        _lastAccrual = uint64(block.timestamp);
    }

    // ================================================================= lender side (ERC-4626)

    /// @inheritdoc ERC4626
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256) {
        _accrue();
        return super.deposit(assets, receiver);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256) {
        _accrue();
        return super.mint(shares, receiver);
    }

    /// @inheritdoc ERC4626
    function withdraw(uint256 assets, address receiver, address owner_) public override nonReentrant returns (uint256) {
        _accrue();
        return super.withdraw(assets, receiver, owner_);
    }

    /// @inheritdoc ERC4626
    function redeem(uint256 shares, address receiver, address owner_) public override nonReentrant returns (uint256) {
        _accrue();
        return super.redeem(shares, receiver, owner_);
    }

    /// @notice cash + total debt − max(reserves, Σ provisions), with interest accrued to now (INV-04). Reserves are
    ///         the first loss: a provisioned loss lowers lenders' claims only by what reserves do not cover, and it
    ///         does so as soon as the engine records it, so no lender leaves at a price that ignores it.
    function totalAssets() public view override returns (uint256) {
        (, uint256 debt, uint256 reserves_) = _accrued();
        uint256 held = reserves_ > _totalProvision ? reserves_ : _totalProvision;
        uint256 gross = _cash + debt;
        return gross > held ? gross - held : 0;
    }

    /// @notice Lenders withdraw against available cash only: min(claim rounded down, cash).
    function maxWithdraw(address owner_) public view override returns (uint256) {
        uint256 claim = _convertToAssets(balanceOf(owner_), Math.Rounding.Floor);
        return claim < _cash ? claim : _cash;
    }

    /// @notice Lenders redeem against available cash only; when cash binds, shares are rounded down.
    function maxRedeem(address owner_) public view override returns (uint256) {
        uint256 shares = balanceOf(owner_);
        if (_convertToAssets(shares, Math.Rounding.Floor) <= _cash) return shares;
        return _convertToShares(_cash, Math.Rounding.Floor);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev OZ flow with the amount measured by balance delta and booked into cash. Shares were rounded down.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        if (address(_breaker) != address(0)) _breaker.onSupply(receiver, assets, _cash);
        _pullExact(IERC20(asset()), caller, assets);
        _cash += assets;
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    /// @dev OZ flow against booked cash (maxWithdraw/maxRedeem already capped `assets` at cash). Shares were rounded up.
    function _withdraw(
        address caller,
        address receiver,
        address owner_,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        if (caller != owner_) _spendAllowance(owner_, caller, shares);
        _burn(owner_, shares);
        uint256 cashBefore = _cash;
        _cash = cashBefore - assets;
        _payOut(asset(), owner_, receiver, assets, cashBefore);
        emit Withdraw(caller, receiver, owner_, assets, shares);
    }

    // ================================================================= borrower side

    /// @inheritdoc ICollateralVault
    function depositCollateral(address collateral, uint256 amount, address onBehalfOf) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (onBehalfOf == address(0)) revert ZeroAddress();
        CollateralState storage c = _listedCollateral(collateral);
        uint256 totalAfter = c.totalDeposited + amount;
        if (totalAfter > c.config.supplyCap) revert SupplyCapExceeded(collateral, c.config.supplyCap, totalAfter);
        _pullExact(IERC20(collateral), msg.sender, amount);
        _notifyInflow(collateral, onBehalfOf, amount, c.totalDeposited);
        _increaseCollateral(onBehalfOf, collateral, c, amount);
        emit CollateralDeposited(msg.sender, onBehalfOf, collateral, amount);
    }

    /// @inheritdoc ICollateralVault
    function withdrawCollateral(address collateral, uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        CollateralState storage c = _listedCollateral(collateral);
        uint256 balance = _collateralBalance[msg.sender][collateral];
        if (amount == type(uint256).max) amount = balance;
        if (amount == 0 || amount > balance) revert InsufficientCollateral(collateral, balance, amount);
        uint256 totalBefore = c.totalDeposited;
        _decreaseCollateral(msg.sender, collateral, c, amount);
        // INV-35: an account without debt needs neither a price nor accrued interest to leave (it touches no debt).
        if (_scaledDebt[msg.sender] != 0) {
            _accrue();
            // A doubted price moves no collateral out of an indebted account.
            _requireOkPrice(collateral);
            _requireWithinBorrowLimit(msg.sender);
        }
        _payOut(collateral, msg.sender, to, amount, totalBefore);
        emit CollateralWithdrawn(msg.sender, to, collateral, amount);
    }

    /// @inheritdoc ICollateralVault
    function borrow(uint256 amount, address to) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _accrue();
        if (amount > _cash) revert InsufficientLiquidity(_cash, amount);
        uint256 scaled = _increaseDebt(msg.sender, amount);
        uint256 debtAfter = _totalScaledDebt.mulDivUp(_borrowIndex, FixedPointMath.RAY);
        if (debtAfter > _borrowCap) revert BorrowCapExceeded(_borrowCap, debtAfter);
        _requireWithinBorrowLimit(msg.sender);
        if (address(_breaker) != address(0)) _breaker.beforeBorrow(msg.sender, amount, _cash);
        _cash -= amount;
        IERC20(asset()).safeTransfer(to, amount);
        emit Borrowed(msg.sender, to, amount, scaled);
    }

    /// @inheritdoc ICollateralVault
    function repay(uint256 amount, address onBehalfOf) external nonReentrant returns (uint256 repaid) {
        if (amount == 0) revert ZeroAmount();
        if (onBehalfOf == address(0)) revert ZeroAddress();
        _accrue();
        uint256 debt = _debtOf(onBehalfOf, _borrowIndex);
        if (debt == 0) revert NoDebt(onBehalfOf);
        if (amount == type(uint256).max) amount = debt;
        else if (amount > debt) revert RepayExceedsDebt(debt, amount);
        uint256 scaled = _decreaseDebt(onBehalfOf, amount, amount == debt);
        // Every unit repaid is a unit of the provisioned loss that will not happen.
        _reduceProvision(onBehalfOf, amount);
        _notifyInflow(asset(), onBehalfOf, amount, _cash);
        // Effects before the pull: a token hook reading the vault mid-transfer sees whole books (the debt gone and
        // its cash in), never a share price lowered by `amount`. `_pullExact` reverts unless `amount` arrives.
        _cash += amount;
        _pullExact(IERC20(asset()), msg.sender, amount);
        emit Repaid(msg.sender, onBehalfOf, amount, scaled);
        return amount;
    }

    // ================================================================= liquidation engine hooks

    modifier onlyEngine() {
        if (msg.sender != _engine || msg.sender == address(0)) revert NotLiquidationEngine(msg.sender);
        _;
    }

    /// @inheritdoc ICollateralVault
    function executeLiquidation(Settlement calldata o, bytes calldata data) external onlyEngine nonReentrant {
        if (o.repay == 0 || o.seize == 0) revert ZeroAmount();
        CollateralState storage c = _listedCollateral(o.asset);
        _accrue();
        uint256 debt = _debtOf(o.borrower, _borrowIndex);
        uint256 held = _collateralBalance[o.borrower][o.asset];
        if (o.repay > debt || o.seize > held) revert LiquidationExceedsPosition(debt, o.repay, held, o.seize);

        // Effects first: the books are whole (debt gone, cash and fee in) before any token moves or callback runs.
        _decreaseDebt(o.borrower, o.repay, o.repay == debt);
        _decreaseCollateral(o.borrower, o.asset, c, o.seize);
        uint256 owed = o.repay + o.fee;
        _cash += owed;
        _reserves += o.fee;
        _clearProvision(o.borrower);

        IERC20(o.asset).safeTransfer(o.receiver, o.seize);
        if (data.length != 0) _flashCallback(o, owed, data);
        _pullExact(IERC20(asset()), o.payer, owed);
        emit Liquidated(o.borrower, o.asset, o.receiver, o.payer, o.repay, o.seize, o.fee);
    }

    /// @inheritdoc ICollateralVault
    function writeOffBadDebt(address account) external onlyEngine nonReentrant returns (uint256 amount) {
        _accrue();
        amount = _debtOf(account, _borrowIndex);
        if (amount == 0) revert NoDebt(account);
        // INV-16: the account ends with neither debt nor collateral; its dust becomes the protocol's. ≤ 16 assets.
        uint256 mask = _collateralMask[account];
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                address collateral = _collateralList[i];
                uint256 held = _collateralBalance[account][collateral];
                _decreaseCollateral(account, collateral, _collaterals[collateral], held);
                _protocolCollateral[collateral] += held;
            }
            mask >>= 1;
        }
        _decreaseDebt(account, amount, true);
        _clearProvision(account);
        uint256 absorbed = amount < _reserves ? amount : _reserves;
        _reserves -= absorbed;
        _badDebt += amount;
        _unrecoveredLoss += amount - absorbed;
        emit BadDebtWrittenOff(account, amount, absorbed, amount - absorbed);
        // A failing breaker never blocks a write-off; `poke(address(0))` re-reads the bad debt anyway.
        if (address(_breaker) != address(0)) try _breaker.onBadDebt(amount, totalAssets()) {} catch {}
    }

    /// @inheritdoc ICollateralVault
    function setProvision(address account, uint256 amount) external onlyEngine nonReentrant {
        _accrue();
        uint256 debt = _debtOf(account, _borrowIndex);
        if (amount > debt) revert ProvisionExceedsDebt(debt, amount);
        _totalProvision = _totalProvision - _provision[account] + amount;
        _provision[account] = amount;
        emit BadDebtProvisioned(account, amount, _totalProvision);
    }

    // ================================================================= governance

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less contract could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc ICollateralVault
    function setLiquidationEngine(address engine) external onlyOwner {
        if (engine == address(0)) revert ZeroAddress();
        _engine = engine;
        emit LiquidationEngineSet(engine);
    }

    /// @inheritdoc ICollateralVault
    function setCircuitBreaker(ICircuitBreaker breaker, IWithdrawalQueue queue) external onlyOwner {
        if (address(breaker) == address(0) || address(queue) == address(0)) revert ZeroAddress();
        if (breaker.vault() != address(this)) revert WrongVault(address(breaker));
        if (queue.vault() != address(this)) revert WrongVault(address(queue));
        _breaker = breaker;
        _queue = queue;
        emit CircuitBreakerSet(address(breaker), address(queue));
    }

    /// @inheritdoc ICollateralVault
    function listCollateral(address collateral, CollateralConfig calldata config) external onlyOwner {
        if (collateral == address(0)) revert ZeroAddress();
        if (collateral == asset()) revert BaseAssetNotCollateral(collateral);
        CollateralState storage c = _collaterals[collateral];
        if (c.listed) revert AssetAlreadyListed(collateral);
        if (_collateralList.length >= MAX_COLLATERALS) revert TooManyCollaterals(MAX_COLLATERALS);
        _validateConfig(config);
        uint8 decimals_ = _readDecimals(collateral);
        c.config = config;
        c.decimals = decimals_;
        c.index = uint8(_collateralList.length);
        c.listed = true;
        (c.ltvCap, c.thresholdCap) = (type(uint64).max, type(uint64).max);
        _collateralList.push(collateral);
        emit CollateralListed(collateral, decimals_, config);
        _restartRamp(collateral, c);
    }

    /// @inheritdoc ICollateralVault
    function setCollateralConfig(address collateral, CollateralConfig calldata config) external onlyOwner {
        CollateralState storage c = _listedCollateral(collateral);
        _validateConfig(config);
        // INV-17 holds all along the ramp: a threshold still above the new one must keep its buffer with the new bonus.
        (, uint256 lt) = _effective(c);
        if (lt.wadMulUp(FixedPointMath.WAD + config.liquidationBonus) >= FixedPointMath.WAD) {
            revert NoLiquidationBuffer(lt, config.liquidationBonus);
        }
        c.config = config;
        emit CollateralConfigUpdated(collateral, config);
        _restartRamp(collateral, c);
    }

    /// @inheritdoc ICollateralVault
    function setBorrowCap(uint256 borrowCap_) external onlyOwner {
        _borrowCap = borrowCap_;
        emit BorrowCapSet(borrowCap_);
    }

    /// @inheritdoc ICollateralVault
    function setReserveFactor(uint256 reserveFactor_) external onlyOwner {
        if (reserveFactor_ > MAX_RESERVE_FACTOR) revert ReserveFactorTooHigh(reserveFactor_, MAX_RESERVE_FACTOR);
        _accrue();
        _reserveFactor = uint64(reserveFactor_); // ≤ MAX_RESERVE_FACTOR, checked above
        emit ReserveFactorSet(reserveFactor_);
    }

    /// @inheritdoc ICollateralVault
    function setInterestRateModel(IInterestRateModel model) external onlyOwner {
        if (address(model) == address(0)) revert ZeroAddress();
        _accrue();
        _rateModel = model;
        emit InterestRateModelSet(address(model));
    }

    /// @inheritdoc ICollateralVault
    function setPriceOracle(IPriceOracle oracle) external onlyOwner {
        if (address(oracle) == address(0)) revert ZeroAddress();
        _oracle = oracle;
        emit PriceOracleSet(address(oracle));
    }

    /// @inheritdoc ICollateralVault
    function withdrawReserves(address to, uint256 amount) external onlyOwner nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _accrue();
        // Reserves earmarked for a provisioned loss stay in.
        uint256 free = _reserves > _totalProvision ? _reserves - _totalProvision : 0;
        uint256 available = free < _cash ? free : _cash;
        if (amount > available) revert InsufficientReserves(available, amount);
        _reserves -= amount;
        _cash -= amount;
        IERC20(asset()).safeTransfer(to, amount);
        emit ReservesWithdrawn(to, amount);
    }

    // ================================================================= risk modules

    modifier onlyRiskModule(address module) {
        if (msg.sender != module || module == address(0)) revert NotRiskModule(msg.sender);
        _;
    }

    /// @inheritdoc ICollateralVault
    function setRiskModules(address riskManager, address recovery) external onlyOwner {
        (_riskManager, _recovery) = (riskManager, recovery);
        emit RiskModulesSet(riskManager, recovery);
    }

    /// @inheritdoc ICollateralVault
    function setRiskCaps(
        address collateral,
        uint64 ltvCap,
        uint64 thresholdCap
    ) external onlyRiskModule(_riskManager) nonReentrant {
        CollateralState storage c = _listedCollateral(collateral);
        uint256 floor = uint256(c.config.liquidationThreshold).wadMulUp(MIN_THRESHOLD_CAP_SHARE);
        if (thresholdCap < floor) revert ThresholdCapTooLow(thresholdCap, floor);
        if (ltvCap == c.ltvCap && thresholdCap == c.thresholdCap) return;
        (c.ltvCap, c.thresholdCap) = (ltvCap, thresholdCap);
        _restartRamp(collateral, c);
    }

    /// @inheritdoc ICollateralVault
    function setReserveBoost(uint256 boost) external onlyRiskModule(_riskManager) nonReentrant {
        if (boost > MAX_RESERVE_BOOST) revert ReserveBoostTooHigh(boost, MAX_RESERVE_BOOST);
        if (boost == _reserveBoost) return;
        _accrue();
        _reserveBoost = uint64(boost); // ≤ MAX_RESERVE_BOOST, checked above
        emit ReserveBoostSet(boost);
    }

    /// @inheritdoc ICollateralVault
    function releaseProtocolCollateral(
        address collateral,
        uint256 amount
    ) external onlyRiskModule(_recovery) nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 held = _protocolCollateral[collateral];
        if (amount > held) revert InsufficientProtocolCollateral(collateral, held, amount);
        _protocolCollateral[collateral] = held - amount;
        IERC20(collateral).safeTransfer(msg.sender, amount);
        emit ProtocolCollateralReleased(collateral, msg.sender, amount);
    }

    /// @inheritdoc ICollateralVault
    function settleRecovery(
        address collateral,
        uint256 returned,
        uint256 proceeds
    ) external onlyRiskModule(_recovery) nonReentrant {
        _listedCollateral(collateral);
        _accrue();
        if (returned != 0) {
            _pullExact(IERC20(collateral), msg.sender, returned);
            _protocolCollateral[collateral] += returned;
        }
        // Lenders first, up to the loss they bore; the rest rebuilds reserves.
        uint256 toLenders = proceeds < _unrecoveredLoss ? proceeds : _unrecoveredLoss;
        if (proceeds != 0) {
            _pullExact(IERC20(asset()), msg.sender, proceeds);
            _unrecoveredLoss -= toLenders;
            _cash += proceeds;
            _reserves += proceeds - toLenders;
        }
        emit RecoverySettled(collateral, returned, proceeds, toLenders);
    }

    // ================================================================= views

    /// @inheritdoc ICollateralVault
    function accountLiquidity(address account) public view returns (AccountLiquidity memory liq) {
        (uint256 index, , ) = _accrued();
        return _liquidity(account, _debtOf(account, index));
    }

    /// @inheritdoc ICollateralVault
    function healthFactor(address account) external view returns (uint256) {
        (uint256 index, , ) = _accrued();
        uint256 debt = _debtOf(account, index);
        // No debt, no price read: a broken oracle cannot make a debt-free account look unhealthy or revert.
        if (debt == 0) return type(uint256).max;
        AccountLiquidity memory liq = _liquidity(account, debt);
        // Rounded down: an account reads as no healthier than it is.
        return liq.liquidationLimit.wadDivDown(liq.debtValue);
    }

    /// @inheritdoc ICollateralVault
    function isLiquidatable(address account) external view returns (bool) {
        (uint256 index, , ) = _accrued();
        uint256 debt = _debtOf(account, index);
        if (debt == 0) return false;
        AccountLiquidity memory liq = _liquidity(account, debt);
        // No liquidation at an unknown price.
        return liq.priceStatus != IPriceOracle.Status.FAILED && liq.debtValue > liq.liquidationLimit;
    }

    /// @inheritdoc ICollateralVault
    function debtOf(address account) external view returns (uint256) {
        (uint256 index, , ) = _accrued();
        return _debtOf(account, index);
    }

    /// @inheritdoc ICollateralVault
    function liquidationView(address account, address collateral) external view returns (LiquidationView memory v) {
        (v.index, , ) = _accrued();
        (v.oracle, v.breaker) = (_oracle, _breaker);
        v.scaledDebt = _scaledDebt[account];
        uint256 debt = _debtOf(account, v.index);
        if (debt != 0) v.basePrice = _price(asset());
        v.liq = _liquidity(account, debt, v.basePrice, ICircuitBreaker(address(0)));
        CollateralState storage c = _collaterals[collateral];
        if (!c.listed) return v;
        (v.listed, v.config, v.decimals) = (true, c.config, c.decimals);
        (uint256 ltv, uint256 lt) = _effective(c);
        (v.config.borrowLtv, v.config.liquidationThreshold) = (uint64(ltv), uint64(lt));
        v.held = _collateralBalance[account][collateral];
        if (v.held != 0) v.collateralPrice = _price(collateral);
    }

    /// @inheritdoc ICollateralVault
    function scaledDebtOf(address account) external view returns (uint256) {
        return _scaledDebt[account];
    }

    /// @inheritdoc ICollateralVault
    function collateralOf(address account, address collateral) external view returns (uint256) {
        return _collateralBalance[account][collateral];
    }

    /// @inheritdoc ICollateralVault
    function totalDebt() external view returns (uint256 debt) {
        (, debt, ) = _accrued();
    }

    /// @inheritdoc ICollateralVault
    function cash() external view returns (uint256) {
        return _cash;
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
    function lastAccrual() external view returns (uint256) {
        return _lastAccrual;
    }

    /// @inheritdoc ICollateralVault
    function liquidationEngine() external view returns (address) {
        return _engine;
    }

    /// @inheritdoc ICollateralVault
    function circuitBreaker() external view returns (ICircuitBreaker breaker, IWithdrawalQueue queue) {
        return (_breaker, _queue);
    }

    /// @inheritdoc ICollateralVault
    function badDebt() external view returns (uint256) {
        return _badDebt;
    }

    /// @inheritdoc ICollateralVault
    function provisionOf(address account) external view returns (uint256) {
        return _provision[account];
    }

    /// @inheritdoc ICollateralVault
    function totalProvision() external view returns (uint256) {
        return _totalProvision;
    }

    /// @inheritdoc ICollateralVault
    function protocolCollateral(address collateral) external view returns (uint256) {
        return _protocolCollateral[collateral];
    }

    /// @inheritdoc ICollateralVault
    function collateralAssets() external view returns (address[] memory) {
        return _collateralList;
    }

    /// @inheritdoc ICollateralVault
    function collateralInfo(
        address collateral
    ) external view returns (CollateralConfig memory config, uint8 decimals_, uint256 totalDeposited) {
        CollateralState storage c = _listedCollateral(collateral);
        return (c.config, c.decimals, c.totalDeposited);
    }

    /// @inheritdoc ICollateralVault
    function riskParams(address collateral) external view returns (uint256 borrowLtv, uint256 liquidationThreshold) {
        return _effective(_listedCollateral(collateral));
    }

    /// @inheritdoc ICollateralVault
    function riskRamp(
        address collateral
    ) external view returns (RiskRamp memory ramp, uint256 start, uint64 ltvCap, uint64 thresholdCap) {
        CollateralState storage c = _listedCollateral(collateral);
        return (c.ramp, c.rampStart, c.ltvCap, c.thresholdCap);
    }

    /// @inheritdoc ICollateralVault
    function unrecoveredLoss() external view returns (uint256) {
        return _unrecoveredLoss;
    }

    /// @inheritdoc ICollateralVault
    function riskModules() external view returns (address riskManager, address recovery, uint256 reserveBoost) {
        return (_riskManager, _recovery, _reserveBoost);
    }

    /// @inheritdoc ICollateralVault
    function parameters()
        external
        view
        returns (IPriceOracle oracle, IInterestRateModel rateModel, uint256 reserveFactor, uint256 borrowCap)
    {
        return (_oracle, _rateModel, _reserveFactor, _borrowCap);
    }

    // ================================================================= internal: the state-changing core
    // Every change to balances and debt goes through these few functions, so the liquidation engine and the
    // circuit breaker plug in here rather than copying logic.

    /// @dev Brings the borrow index, and with it total debt and reserves, up to now. Idempotent within a block.
    function _accrue() internal {
        if (block.timestamp == _lastAccrual) return;
        uint256 oldIndex = _borrowIndex;
        (uint256 index, uint256 debt, uint256 reserves_) = _accrued();
        _lastAccrual = uint64(block.timestamp);
        if (index == oldIndex) return;
        uint256 reserveIncrease = reserves_ - _reserves;
        uint256 interest = debt - _totalScaledDebt.mulDivUp(oldIndex, FixedPointMath.RAY);
        _borrowIndex = index;
        _reserves = reserves_;
        emit InterestAccrued(index, interest, reserveIncrease);
    }

    function _increaseCollateral(
        address account,
        address collateral,
        CollateralState storage c,
        uint256 amount
    ) internal {
        c.totalDeposited += amount;
        _collateralBalance[account][collateral] += amount;
        _collateralMask[account] |= 1 << c.index;
    }

    function _decreaseCollateral(
        address account,
        address collateral,
        CollateralState storage c,
        uint256 amount
    ) internal {
        c.totalDeposited -= amount;
        uint256 remaining = _collateralBalance[account][collateral] - amount;
        _collateralBalance[account][collateral] = remaining;
        if (remaining == 0) _collateralMask[account] &= ~(1 << c.index);
    }

    /// @dev Adds `amount` of debt at the current index. Scaled debt rounds up: the borrower owes at least `amount`.
    function _increaseDebt(address account, uint256 amount) internal returns (uint256 scaled) {
        scaled = amount.mulDivUp(FixedPointMath.RAY, _borrowIndex);
        _scaledDebt[account] += scaled;
        _totalScaledDebt += scaled;
    }

    /// @dev Removes `amount` of debt at the current index. Scaled debt burned rounds down (the borrower is credited
    ///      no more than paid); `all` burns the whole position, whose debt rounded up equals what was paid.
    function _decreaseDebt(address account, uint256 amount, bool all) internal returns (uint256 scaled) {
        uint256 accountScaled = _scaledDebt[account];
        scaled = all ? accountScaled : amount.mulDivDown(FixedPointMath.RAY, _borrowIndex);
        _scaledDebt[account] = accountScaled - scaled;
        _totalScaledDebt -= scaled;
    }

    /// @dev Calls a flash liquidation's receiver, which must answer with FLASH_CALLBACK_SUCCESS.
    function _flashCallback(Settlement calldata o, uint256 owed, bytes calldata data) internal {
        bytes32 magic = IFlashLiquidator(o.receiver).onFlashLiquidation(
            o.initiator,
            o.borrower,
            o.asset,
            o.seize,
            owed,
            data
        );
        if (magic != FLASH_CALLBACK_SUCCESS) revert FlashCallbackFailed(o.receiver);
    }

    /// @dev Lowers `account`'s provision, if any, by `amount` (floored at zero).
    function _reduceProvision(address account, uint256 amount) internal {
        uint256 p = _provision[account];
        if (p == 0) return;
        uint256 cut = amount < p ? amount : p;
        _provision[account] = p - cut;
        _totalProvision -= cut;
        emit BadDebtProvisioned(account, p - cut, _totalProvision);
    }

    /// @dev Pays `amount` of `account`'s `token` out to `to`, or, when the circuit breaker says so, sends it to the withdrawal queue
    ///      as a claim of `to`'s payable after the breaker's delay (capped at MAX_QUEUE_DELAY). Runs after every effect.
    function _payOut(address token, address account, address to, uint256 amount, uint256 balanceBefore) internal {
        ICircuitBreaker breaker = _breaker;
        uint256 readyAt = address(breaker) == address(0) ? 0 : breaker.onOutflow(token, account, amount, balanceBefore);
        if (readyAt == 0) {
            IERC20(token).safeTransfer(to, amount);
            return;
        }
        if (readyAt > block.timestamp + MAX_QUEUE_DELAY) readyAt = block.timestamp + MAX_QUEUE_DELAY;
        IWithdrawalQueue queue = _queue;
        IERC20(token).safeTransfer(address(queue), amount);
        uint256 id = queue.enqueue(to, token, amount, readyAt);
        emit WithdrawalQueued(id, to, token, amount, readyAt);
    }

    /// @dev Tells the breaker about a repayment or a collateral deposit. INV-27: inside a try/catch, so nothing the
    ///      breaker does can stop either.
    function _notifyInflow(address token, address account, uint256 amount, uint256 balanceBefore) internal {
        ICircuitBreaker breaker = _breaker;
        if (address(breaker) != address(0)) try breaker.onInflow(token, account, amount, balanceBefore) {} catch {}
    }

    /// @dev Share transfers (not mints or burns) move the sender's deposit credit with them. A failing breaker only
    ///      loses that credit (the recipient's exit then counts in full), never blocks the transfer.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == address(0) || to == address(0)) return;
        ICircuitBreaker breaker = _breaker;
        if (address(breaker) == address(0)) return;
        try breaker.onShareTransfer(from, to, value) {} catch {}
    }

    /// @dev Drops `account`'s provision, if any (its loss is being realised or no longer certain).
    function _clearProvision(address account) internal {
        uint256 p = _provision[account];
        if (p == 0) return;
        _provision[account] = 0;
        _totalProvision -= p;
        emit BadDebtProvisioned(account, 0, _totalProvision);
    }

    /// @dev Pulls exactly `amount` of `token` from `from`; a token that delivers anything else is rejected (INV-37).
    function _pullExact(IERC20 token, address from, uint256 amount) internal {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert TransferAmountMismatch(address(token), amount, received);
    }

    // ================================================================= internal: views

    /// @dev Borrow index, total debt and reserves as they would be after accruing to now. Rounds up the index and
    ///      total debt (debt grows), and reserves up (they are carved out of the interest, so never exceed it).
    function _accrued() internal view returns (uint256 index, uint256 debt, uint256 reserves_) {
        index = _borrowIndex;
        reserves_ = _reserves;
        uint256 scaledTotal = _totalScaledDebt;
        debt = scaledTotal.mulDivUp(index, FixedPointMath.RAY);
        uint256 elapsed = block.timestamp - _lastAccrual;
        if (elapsed == 0 || scaledTotal == 0) return (index, debt, reserves_);

        uint256 rate = _rateModel.borrowRatePerSecond(_cash, debt);
        if (rate > MAX_BORROW_RATE_PER_SECOND) rate = MAX_BORROW_RATE_PER_SECOND;
        index = index.mulDivUp(FixedPointMath.compoundFactorUp(rate, elapsed), FixedPointMath.RAY);
        uint256 newDebt = scaledTotal.mulDivUp(index, FixedPointMath.RAY);
        uint256 factor = uint256(_reserveFactor) + _reserveBoost;
        if (factor > MAX_RESERVE_FACTOR) factor = MAX_RESERVE_FACTOR;
        reserves_ += (newDebt - debt).wadMulUp(factor);
        debt = newDebt;
    }

    function _debtOf(address account, uint256 index) internal view returns (uint256) {
        return _scaledDebt[account].mulDivUp(index, FixedPointMath.RAY);
    }

    /// @dev Values the account conservatively: collateral at the oracle's `low` (0 when FAILED), rounded down; debt at
    ///      the base asset's `high`, rounded up (type(uint256).max when FAILED). Only OK prices lend: a DEGRADED or
    ///      FAILED collateral adds nothing to the borrow limit. Loops over the account's own collateral mask: at most
    ///      MAX_COLLATERALS iterations.
    function _liquidity(address account, uint256 debt) internal view returns (AccountLiquidity memory liq) {
        IPriceOracle.Price memory base;
        if (debt != 0) base = _price(asset());
        return _liquidity(account, debt, base, ICircuitBreaker(address(0)));
    }

    /// @dev As above, with the base asset's price already read (ignored when `debt` is 0). With a `guard`, collateral
    ///      the circuit breaker does not let back new borrows (stopped, or fallen beyond its bound) adds nothing to
    ///      the borrow limit.
    function _liquidity(
        address account,
        uint256 debt,
        IPriceOracle.Price memory base,
        ICircuitBreaker guard
    ) internal view returns (AccountLiquidity memory liq) {
        liq.debt = debt;
        uint256 mask = _collateralMask[account];
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                address collateral = _collateralList[i];
                (uint256 value, uint256 ltv, uint256 lt, IPriceOracle.Price memory p) = _valued(account, collateral);
                liq.collateralValue += value;
                liq.liquidationLimit += value.wadMulDown(lt);
                if (
                    p.status == IPriceOracle.Status.OK &&
                    (address(guard) == address(0) || guard.borrowAllowed(collateral, p.low))
                ) liq.borrowLimit += value.wadMulDown(ltv);
                if (p.status > liq.priceStatus) liq.priceStatus = p.status;
            }
            mask >>= 1;
        }
        if (debt != 0) {
            liq.debtValue =
                base.status == IPriceOracle.Status.FAILED
                    ? type(uint256).max
                    : debt.mulDivUp(base.high, 10 ** _baseDecimals);
            if (base.status > liq.priceStatus) liq.priceStatus = base.status;
        }
    }

    /// @dev `account`'s holding of `collateral`: its value at the oracle's low (rounded down; 0 when the price is
    ///      FAILED, whatever the oracle put in the read), the effective LTV and threshold, and the price read.
    function _valued(
        address account,
        address collateral
    ) internal view returns (uint256 value, uint256 ltv, uint256 lt, IPriceOracle.Price memory p) {
        CollateralState storage c = _collaterals[collateral];
        (ltv, lt) = _effective(c);
        p = _price(collateral);
        if (p.status != IPriceOracle.Status.FAILED) {
            value = _collateralBalance[account][collateral].mulDivDown(p.low, 10 ** c.decimals);
        }
    }

    /// @dev INV-11/12: reverts unless the base price is OK and the account's debt value is within its borrow limit.
    function _requireWithinBorrowLimit(address account) internal view {
        IPriceOracle.Price memory base = _price(asset());
        if (base.status != IPriceOracle.Status.OK) revert PriceNotOk(asset(), base.status, base.reason);
        AccountLiquidity memory liq = _liquidity(account, _debtOf(account, _borrowIndex), base, _breaker);
        if (liq.debtValue > liq.borrowLimit) revert BorrowLimitExceeded(account, liq.debtValue, liq.borrowLimit);
    }

    /// @dev A new borrow or a collateral withdrawal never relies on a doubted price.
    function _requireOkPrice(address token) internal view {
        IPriceOracle.Price memory p = _price(token);
        if (p.status != IPriceOracle.Status.OK) revert PriceNotOk(token, p.status, p.reason);
    }

    /// @dev INV-24: a zero price never reaches a solvency computation; FAILED reads carry no price by definition.
    function _price(address token) internal view returns (IPriceOracle.Price memory p) {
        p = _oracle.getPrice(token);
        if (p.status != IPriceOracle.Status.FAILED && (p.low == 0 || p.high < p.low)) revert ZeroPrice(token);
    }

    /// @dev Restarts `c`'s ramp from its effective values now. Threshold target: min(config, cap), never below half
    ///      the config (a cap set under an older config cannot outlive its floor). LTV target: min(config, cap), and
    ///      never above the threshold target less governance's own LTV-to-threshold gap, so nobody borrows at a limit
    ///      the falling threshold will liquidate.
    function _restartRamp(address collateral, CollateralState storage c) internal {
        (uint256 ltvNow, uint256 ltNow) = c.rampStart == 0
            ? (c.config.borrowLtv, c.config.liquidationThreshold)
            : _effective(c);
        uint256 lt0 = c.config.liquidationThreshold;
        uint256 ltTarget = Math.max(Math.min(lt0, c.thresholdCap), lt0.wadMulUp(MIN_THRESHOLD_CAP_SHARE));
        uint256 gap = lt0 - c.config.borrowLtv;
        uint256 ltvTarget = Math.min(Math.min(c.config.borrowLtv, c.ltvCap), ltTarget > gap ? ltTarget - gap : 0);
        c.ramp = RiskRamp(uint64(ltvNow), uint64(ltvTarget), uint64(ltNow), uint64(ltTarget));
        c.rampStart = uint40(block.timestamp);
        emit RiskRampStarted(collateral, c.ramp, c.ltvCap, c.thresholdCap);
    }

    /// @dev The effective borrow LTV and liquidation threshold of `c` now (the formula on `RiskRamp`), rounded
    ///      towards the target: a ramp never overshoots.
    function _effective(CollateralState storage c) internal view returns (uint256 ltv, uint256 lt) {
        RiskRamp memory r = c.ramp;
        uint256 elapsed = block.timestamp - c.rampStart;
        if (r.thresholdTarget < r.thresholdFrom) {
            uint256 cut = (THRESHOLD_CUT_PER_HOUR * elapsed) / 1 hours;
            lt = r.thresholdFrom - r.thresholdTarget > cut ? r.thresholdFrom - cut : r.thresholdTarget;
        } else {
            uint256 raise = (THRESHOLD_RAISE_PER_HOUR * elapsed) / 1 hours;
            lt = r.thresholdTarget - r.thresholdFrom > raise ? r.thresholdFrom + raise : r.thresholdTarget;
        }
        if (r.ltvTarget < r.ltvFrom) {
            ltv = r.ltvTarget;
        } else {
            uint256 raise = (LTV_RAISE_PER_HOUR * elapsed) / 1 hours;
            ltv = r.ltvTarget - r.ltvFrom > raise ? r.ltvFrom + raise : r.ltvTarget;
        }
        if (ltv > lt) ltv = lt;
    }

    function _listedCollateral(address collateral) internal view returns (CollateralState storage c) {
        c = _collaterals[collateral];
        if (!c.listed) revert AssetNotListed(collateral);
    }

    function _validateConfig(CollateralConfig calldata config) internal pure {
        uint256 lt = config.liquidationThreshold;
        if (lt == 0 || lt > MAX_LIQUIDATION_THRESHOLD) revert ThresholdOutOfBounds(lt, MAX_LIQUIDATION_THRESHOLD);
        if (config.borrowLtv > lt) revert LtvAboveThreshold(config.borrowLtv, lt);
        if (config.liquidationBonus > MAX_LIQUIDATION_BONUS) {
            revert BonusTooHigh(config.liquidationBonus, MAX_LIQUIDATION_BONUS);
        }
        // INV-17: (1 + bonus) × LT < 1, rounded up so the check errs on the strict side.
        if (lt.wadMulUp(FixedPointMath.WAD + config.liquidationBonus) >= FixedPointMath.WAD) {
            revert NoLiquidationBuffer(lt, config.liquidationBonus);
        }
    }

    /// @dev Reads decimals with a low-level call: a token without `decimals()` or with more than 18 is unsupported.
    function _readDecimals(address token) internal view returns (uint8) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IERC20Metadata.decimals, ()));
        if (!ok || data.length < 32) revert UnsupportedDecimals(token, type(uint256).max);
        uint256 d = abi.decode(data, (uint256));
        if (d > MAX_DECIMALS) revert UnsupportedDecimals(token, d);
        return uint8(d);
    }
}
