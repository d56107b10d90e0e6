// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {RateLimit} from "../libraries/RateLimit.sol";
import {Bounds} from "../libraries/Bounds.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title CircuitBreaker
/// @notice Notices on its own a failed or doubted oracle, a price collapse, money leaving too fast and realised bad
///         debt; limits the damage at once; resumes by itself. The vault and the liquidation engine consult it on
///         every action. Governance (the timelock) sets bounded parameters; the guardian can only restrict, for a
///         bounded time.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-27 no entry, level or role can stop repay or depositCollateral (the vault calls `onInflow` inside a
///        try/catch and nothing here refuses it), and withdrawals are queued, never refused.
///      - INV-28 liquidations stop only at a FAILED price and wait `liquidationGrace` after they resume.
///      - INV-29 tripping or resetting changes no balance, index or health: this contract holds no funds and writes
///        only its own state.
///      - INV-30 every trigger is permissionless (`poke`) or runs inside the action it guards; no reset happens
///        before `cooldownUntil`, and none needs anyone's permission after it.
///      - INV-31/32 parameters change only through `owner` and inside the MIN_/MAX_ bounds below.
contract CircuitBreaker is ICircuitBreaker, Ownable2Step {
    using RateLimit for RateLimit.Window;

    // ----------------------------------------------------------------- actions (bit flags)

    uint8 public constant SUPPLY = 1 << 0;
    uint8 public constant WITHDRAW = 1 << 1;
    uint8 public constant BORROW = 1 << 2;
    uint8 public constant DEPOSIT_COLLATERAL = 1 << 3;
    uint8 public constant WITHDRAW_COLLATERAL = 1 << 4;
    uint8 public constant LIQUIDATE = 1 << 5;
    /// @notice What the guardian may stop: never repay, collateral deposits or liquidations.
    uint8 public constant GUARDIAN_ACTIONS = SUPPLY | WITHDRAW | BORROW | WITHDRAW_COLLATERAL;
    address public constant GLOBAL = address(0);

    // ----------------------------------------------------------------- bounds

    /// @notice A trip holds at least 5 minutes (no flapping) and at most a day (it resumes by itself).
    uint32 public constant MIN_COOLDOWN = 5 minutes;
    uint32 public constant MAX_COOLDOWN = 1 days;
    /// @notice The guardian's restriction holds between an hour and a week; it cannot be undone sooner.
    uint32 public constant MIN_GUARDIAN_COOLDOWN = 1 hours;
    uint32 public constant MAX_GUARDIAN_COOLDOWN = 7 days;
    /// @notice A queued withdrawal waits between 10 minutes and 3 days: long enough to respond, never a lock-up.
    uint32 public constant MIN_CLAIM_DELAY = 10 minutes;
    uint32 public constant MAX_CLAIM_DELAY = 3 days;
    /// @notice Liquidations wait at most an hour after they resume: borrowers get time to react, lenders no loss.
    uint32 public constant MAX_LIQUIDATION_GRACE = 1 hours;
    /// @notice An outflow trip resets once use is back to 10%–90% of the limit.
    uint64 public constant MIN_RESUME_SHARE = 0.1e18;
    uint64 public constant MAX_RESUME_SHARE = 0.9e18;
    /// @notice Realised bad debt that stops borrows: between 0.01% and 10% of supply within BAD_DEBT_WINDOW.
    uint64 public constant MIN_BAD_DEBT_SHARE = 0.0001e18;
    uint64 public constant MAX_BAD_DEBT_SHARE = 0.1e18;
    uint256 public constant BAD_DEBT_WINDOW = 7 days;
    /// @notice Net outflow per window: 1%–100% of the window-start balance, over 5 minutes to 7 days.
    uint64 public constant MIN_OUTFLOW_SHARE = 0.01e18;
    uint64 public constant MAX_OUTFLOW_SHARE = 1e18;
    uint32 public constant MIN_WINDOW = 5 minutes;
    uint32 public constant MAX_WINDOW = 7 days;
    /// @notice A price-fall bound between 2% (a stablecoin) and 90%.
    uint64 public constant MIN_FALL = 0.02e18;
    uint64 public constant MAX_FALL = 0.9e18;
    uint256 private constant WAD = 1e18;
    /// @dev Credit kinds: a deposit credits only withdrawals (of the same asset), a repayment only borrows, so an
    ///      inflow that can leave again (a deposit) can never pay for an outflow that stays out (a borrow).
    uint256 private constant LEND = 0;
    uint256 private constant DEBT = 1;

    // ----------------------------------------------------------------- state

    /// @dev One slot: what the hot paths (borrow, withdraw, liquidate) read.
    struct Status {
        uint16 reasons; // bit i: Reason(i) tripped
        uint8 guardianMask;
        uint32 guardianUntil;
        uint32 cooldownUntil;
        uint32 resumedAt; // when liquidations last resumed
        uint32 floorUntil; // the price-fall floor holds until then (its reference window's end)
        uint104 fallFloor; // reference high × (1 − maxFall)
    }

    /// @dev An account's own net outflow of one kind in the current outflow window (negative: credit from its own
    ///      inflows). Only what its own credit does not cover counts against the shared limit, and only its own
    ///      earlier outflows are refunded by its inflows: nobody's flash loan pays for somebody else's exit, and a
    ///      deposit-then-withdraw (or borrow-then-repay) loop nets to zero in either order.
    struct Credit {
        uint32 start; // the outflow window it belongs to; stale once the window rolls
        int224 net;
    }

    /// @dev The highest accepted price in the current and previous fall windows.
    struct Reference {
        uint32 start;
        uint112 previousHigh;
        uint112 currentHigh;
    }

    /// @inheritdoc ICircuitBreaker
    address public immutable vault;
    address private immutable _base;

    Params private _params;
    address private _guardian;
    mapping(address asset => Status) private _status;
    mapping(address asset => RateLimit.Window) private _flows;
    mapping(address asset => Reference) private _refs;
    mapping(address asset => mapping(address account => mapping(uint256 kind => Credit))) private _credits;
    mapping(address asset => AssetParams) private _assetParams; // address(0): the default
    uint256 private _badDebtSeen; // the vault's bad debt at the start of the current bad-debt window
    uint256 private _badDebtWindowStart;

    /// @param vault_ The vault to guard.
    /// @param params_ Shared policy.
    /// @param defaults Triggers of every asset without its own.
    /// @param owner_ Governance: the timelock.
    constructor(address vault_, Params memory params_, AssetParams memory defaults, address owner_) Ownable(owner_) {
        if (vault_ == address(0)) revert ZeroAddress();
        vault = vault_;
        _base = IERC4626(vault_).asset();
        _setParams(params_);
        _setAssetParams(GLOBAL, defaults);
        _badDebtWindowStart = block.timestamp;
    }

    modifier onlyVault() {
        if (msg.sender != vault) revert NotVault(msg.sender);
        _;
    }

    // ================================================================= permissionless

    /// @inheritdoc ICircuitBreaker
    function poke(address asset) external returns (uint8, Level) {
        Status storage status = _status[asset];
        if (asset == GLOBAL) {
            _pokeBadDebt(status);
        } else {
            _requireKnown(asset);
            _pokePrice(asset, status);
            _pokeOutflow(asset, status);
        }
        if (status.guardianMask != 0 && block.timestamp >= status.guardianUntil) {
            status.guardianMask = 0;
            _emit(asset, status, Reason.GUARDIAN, false);
        }
        return (_mask(status), _level(status));
    }

    // ================================================================= vault hooks

    /// @inheritdoc ICircuitBreaker
    function onSupply(address account, uint256 amount, uint256 cashBefore) external onlyVault {
        _requireOpen(_base, SUPPLY);
        (RateLimit.Window memory window, ) = _flow(_base, cashBefore);
        _in(window, _base, account, LEND, amount);
        _flows[_base] = window;
    }

    /// @inheritdoc ICircuitBreaker
    function onInflow(address asset, address account, uint256 amount, uint256 balanceBefore) external onlyVault {
        (RateLimit.Window memory window, ) = _flow(asset, balanceBefore);
        // The base asset comes in this way only as a repayment: it credits the account's borrowing.
        _in(window, asset, account, asset == _base ? DEBT : LEND, amount);
        _flows[asset] = window;
    }

    /// @inheritdoc ICircuitBreaker
    function beforeBorrow(address account, uint256 amount, uint256 cashBefore) external onlyVault {
        _requireOpen(_base, BORROW);
        (RateLimit.Window memory window, AssetParams memory triggers) = _flow(_base, cashBefore);
        uint256 limit = window.limit(triggers.outflowShare, _tight(_base));
        (uint256 uncovered, int256 netAfter) = _debit(window, _base, account, DEBT, amount);
        if (!window.fits(triggers.outflowWindow, uncovered, limit)) {
            revert OutflowLimitReached(_base, window.used(triggers.outflowWindow), limit, amount);
        }
        _commit(window, _base, account, DEBT, uncovered, netAfter);
        _flows[_base] = window;
    }

    /// @inheritdoc ICircuitBreaker
    function onOutflow(
        address asset,
        address account,
        uint256 amount,
        uint256 balanceBefore
    ) external onlyVault returns (uint256 readyAt) {
        (RateLimit.Window memory window, AssetParams memory triggers) = _flow(asset, balanceBefore);
        Status storage status = _status[asset];
        if (_has(status, Reason.OUTFLOW)) _resetOutflow(asset, status, window, triggers);
        if (_mask(status, _status[GLOBAL]) & (asset == _base ? WITHDRAW : WITHDRAW_COLLATERAL) != 0) {
            readyAt = block.timestamp + _params.claimDelay;
        } else {
            (uint256 uncovered, int256 netAfter) = _debit(window, asset, account, LEND, amount);
            if (window.fits(triggers.outflowWindow, uncovered, window.limit(triggers.outflowShare, _tight(asset)))) {
                _commit(window, asset, account, LEND, uncovered, netAfter);
            } else {
                _trip(asset, status, Reason.OUTFLOW);
                readyAt = block.timestamp + _params.claimDelay;
            }
        }
        _flows[asset] = window;
    }

    /// @inheritdoc ICircuitBreaker
    function onShareTransfer(address from, address to, uint256 shares) external onlyVault {
        RateLimit.Window memory window = _flows[_base];
        Credit memory credit = _credits[_base][from][LEND];
        // Credit lives only in the window it was earned in (one that is due to roll is over).
        if (
            credit.start != window.start ||
            credit.net >= 0 ||
            block.timestamp >= window.start + _paramsOf(_base).outflowWindow
        ) return;
        // The credit follows the shares, so a deposit made by one account and withdrawn by another nets out too.
        // Priced only here, for the few transfers that carry credit (rounded down: credit never grows in transit).
        uint256 assets = IERC4626(vault).convertToAssets(shares);
        uint256 moved = uint256(-int256(credit.net));
        if (assets < moved) moved = assets;
        _credits[_base][from][LEND] = Credit(window.start, int224(int256(credit.net) + int256(moved)));
        _in(window, _base, to, LEND, moved);
        _flows[_base] = window;
    }

    /// @inheritdoc ICircuitBreaker
    function onBadDebt(uint256 amount, uint256 supply) external onlyVault {
        Status storage status = _status[GLOBAL];
        // A window that rolls now starts before this write-off: it counts in the new window, not in the baseline.
        _rollBadDebtWindow(status, amount);
        if (_recentBadDebtTrips(supply)) _trip(GLOBAL, status, Reason.BAD_DEBT);
    }

    // ================================================================= guardian and governance

    /// @inheritdoc ICircuitBreaker
    function guardianTrip(address asset, uint8 mask) external {
        if (msg.sender != _guardian || msg.sender == address(0)) revert NotGuardian(msg.sender);
        if (mask == 0 || mask & ~GUARDIAN_ACTIONS != 0) revert InvalidActionMask(mask);
        if (asset != GLOBAL) _requireKnown(asset);
        Status storage status = _status[asset];
        uint256 until = block.timestamp + _params.guardianCooldown;
        status.guardianMask = (block.timestamp < status.guardianUntil ? status.guardianMask : 0) | mask;
        if (until > status.guardianUntil) status.guardianUntil = uint32(until);
        _emit(asset, status, Reason.GUARDIAN, true);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less contract could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc ICircuitBreaker
    function setGuardian(address guardian_) external onlyOwner {
        _guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @inheritdoc ICircuitBreaker
    function setParams(Params calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc ICircuitBreaker
    function setAssetParams(address asset, AssetParams calldata params_) external onlyOwner {
        if (asset != GLOBAL) _requireKnown(asset);
        _setAssetParams(asset, params_);
    }

    // ================================================================= views

    /// @inheritdoc ICircuitBreaker
    function borrowAllowed(address collateral, uint256 price) external view returns (bool) {
        Status memory status = _status[collateral];
        if (_mask(status) & BORROW != 0) return false;
        // The price-fall trigger, checked inside the borrow before anyone pokes: at the floor, the fall is the bound.
        return block.timestamp >= status.floorUntil || price > status.fallFloor;
    }

    /// @inheritdoc ICircuitBreaker
    function checkLiquidation(address collateral) external view {
        _requireLiquidatable(collateral);
        _requireLiquidatable(_base);
        _requireLiquidatable(GLOBAL);
    }

    /// @inheritdoc ICircuitBreaker
    function actionMask(address asset) external view returns (uint8) {
        return _mask(_status[asset], _status[GLOBAL]);
    }

    /// @inheritdoc ICircuitBreaker
    function entry(address asset) public view returns (EntryView memory entryView) {
        Status memory status = _status[asset];
        entryView.asset = asset;
        entryView.actionMask = _mask(status);
        entryView.level = _level(status);
        entryView.reasons = status.reasons;
        entryView.cooldownUntil = status.cooldownUntil;
        entryView.guardianUntil = status.guardianUntil;
        entryView.liquidationsFrom = status.resumedAt == 0 ? 0 : uint256(status.resumedAt) + _params.liquidationGrace;
        if (block.timestamp < status.floorUntil) entryView.fallFloor = status.fallFloor;
        if (asset != GLOBAL) {
            // What a flow now would see: the window rolled to now over the vault's booked balance.
            (RateLimit.Window memory window, AssetParams memory triggers) = _flow(asset, _bookedBalance(asset));
            entryView.outflowUsed = window.used(triggers.outflowWindow);
            entryView.outflowLimit = window.limit(triggers.outflowShare, _tight(asset));
        }
    }

    /// @inheritdoc ICircuitBreaker
    function state() external view returns (EntryView[] memory entries) {
        address[] memory collaterals = ICollateralVault(vault).collateralAssets();
        entries = new EntryView[](collaterals.length + 2);
        entries[0] = entry(GLOBAL);
        entries[1] = entry(_base);
        for (uint256 i; i < collaterals.length; ++i) entries[i + 2] = entry(collaterals[i]);
    }

    /// @inheritdoc ICircuitBreaker
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc ICircuitBreaker
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc ICircuitBreaker
    function assetParams(address asset) external view returns (AssetParams memory) {
        return _paramsOf(asset);
    }

    // ================================================================= internal: triggers

    /// @dev Oracle status and price fall. A FAILED read tells nothing about the fall: those reasons keep their state.
    function _pokePrice(address asset, Status storage status) internal {
        IPriceOracle oracle = VaultStorage.oracle(ICollateralVault(vault));
        IPriceOracle.Price memory price = oracle.getPrice(asset);
        _set(asset, status, Reason.ORACLE_FAILED, price.status == IPriceOracle.Status.FAILED);
        _set(asset, status, Reason.ORACLE_DEGRADED, price.status == IPriceOracle.Status.DEGRADED);
        if (price.status == IPriceOracle.Status.FAILED || price.low == 0) return;
        AssetParams memory triggers = _paramsOf(asset);
        uint256 high = _observe(asset, price.low, triggers.fallWindow);
        // fall = 1 − low / high, rounded up (a trip errs on the safe side).
        uint256 fall = high > price.low ? ((high - price.low) * WAD + high - 1) / high : 0;
        _set(asset, status, Reason.PRICE_FALL, fall >= triggers.maxFall);
        _set(asset, status, Reason.PRICE_FALL_SOFT, fall >= triggers.maxFall / 2);
        // The floor the vault checks inside borrows until the next poke: valid while this reference is.
        uint256 floor = (high * (WAD - triggers.maxFall)) / WAD;
        status.fallFloor = floor > type(uint104).max ? type(uint104).max : uint104(floor);
        status.floorUntil = uint32(uint256(_refs[asset].start) + 2 * uint256(triggers.fallWindow));
    }

    /// @dev An outflow trip resets after its cooldown once use is back under `resumeShare` of the limit.
    function _pokeOutflow(address asset, Status storage status) internal {
        if (_has(status, Reason.OUTFLOW)) _resetOutflow(asset, status, _flows[asset], _paramsOf(asset));
    }

    function _resetOutflow(
        address asset,
        Status storage status,
        RateLimit.Window memory window,
        AssetParams memory triggers
    ) internal {
        if (block.timestamp < status.cooldownUntil) return;
        uint256 resumeAt = (window.limit(triggers.outflowShare, _tight(asset)) * _params.resumeShare) / WAD;
        if (window.used(triggers.outflowWindow) <= resumeAt) _clear(asset, status, Reason.OUTFLOW);
    }

    /// @dev Bad debt realised within the window, re-read from the vault (it only ever grows, so the condition cannot
    ///      clear by itself): once cooled down, the trip resets and the realised loss becomes the new baseline.
    function _pokeBadDebt(Status storage status) internal {
        if (_has(status, Reason.BAD_DEBT)) {
            if (block.timestamp < status.cooldownUntil) return;
            _clear(GLOBAL, status, Reason.BAD_DEBT);
            (_badDebtSeen, _badDebtWindowStart) = (ICollateralVault(vault).badDebt(), block.timestamp);
            return;
        }
        _rollBadDebtWindow(status, 0);
        if (_recentBadDebtTrips(IERC4626(vault).totalAssets())) _trip(GLOBAL, status, Reason.BAD_DEBT);
    }

    /// @dev Opens a new bad-debt window once the last is over; `pending` is bad debt already in the vault's total
    ///      that belongs to the new window (a write-off being reported).
    function _rollBadDebtWindow(Status storage status, uint256 pending) internal {
        if (block.timestamp < _badDebtWindowStart + BAD_DEBT_WINDOW || _has(status, Reason.BAD_DEBT)) return;
        _badDebtWindowStart = block.timestamp;
        _badDebtSeen = ICollateralVault(vault).badDebt() - pending;
    }

    function _recentBadDebtTrips(uint256 supply) internal view returns (bool) {
        uint256 recent = ICollateralVault(vault).badDebt() - _badDebtSeen;
        return recent != 0 && recent * WAD > supply * _params.badDebtShare;
    }

    /// @dev Records `price` in `asset`'s fall reference and returns the reference high (this window's and the last).
    function _observe(address asset, uint256 price, uint32 window) internal returns (uint256 high) {
        Reference memory priceRef = _refs[asset];
        uint256 elapsed = block.timestamp - priceRef.start;
        if (elapsed >= window) {
            // Same two-bucket clock as RateLimit: the last window is kept while it ended less than `window` ago.
            bool adjacent = elapsed < 2 * uint256(window);
            priceRef.previousHigh = adjacent ? priceRef.currentHigh : 0;
            priceRef.currentHigh = 0;
            priceRef.start = adjacent ? priceRef.start + window : uint32(block.timestamp);
        }
        uint112 p = price > type(uint112).max ? type(uint112).max : uint112(price);
        if (p > priceRef.currentHigh) priceRef.currentHigh = p;
        _refs[asset] = priceRef;
        return priceRef.previousHigh > priceRef.currentHigh ? priceRef.previousHigh : priceRef.currentHigh;
    }

    // ================================================================= internal: state

    /// @dev Trips `reason` when `holds`; clears it when it does not and the cooldown has passed.
    function _set(address asset, Status storage status, Reason reason, bool holds) internal {
        if (holds) _trip(asset, status, reason);
        else if (_has(status, reason) && block.timestamp >= status.cooldownUntil) _clear(asset, status, reason);
    }

    function _trip(address asset, Status storage status, Reason reason) internal {
        if (_has(status, reason)) return;
        status.reasons |= uint16(1 << uint8(reason));
        uint256 until = block.timestamp + _params.cooldown;
        if (until > status.cooldownUntil) status.cooldownUntil = uint32(until);
        _emit(asset, status, reason, true);
    }

    function _clear(address asset, Status storage status, Reason reason) internal {
        bool stopped = _mask(status) & LIQUIDATE != 0;
        status.reasons &= ~uint16(1 << uint8(reason));
        // INV-28: liquidations that resume wait the grace period.
        if (stopped && _mask(status) & LIQUIDATE == 0) status.resumedAt = uint32(block.timestamp);
        _emit(asset, status, reason, false);
    }

    function _emit(address asset, Status storage status, Reason reason, bool tripped) internal {
        emit BreakerUpdated(asset, reason, tripped, _mask(status), _level(status), status.cooldownUntil);
    }

    /// @dev The base asset's or the global entry's stop blocks `action` everywhere; withdrawals are checked by
    ///      `onOutflow` (queued), not here.
    function _requireOpen(address asset, uint8 action) internal view {
        Status memory status = _status[asset];
        Status memory globalStatus = _status[GLOBAL];
        if (_mask(status) & action != 0) revert ActionPaused(asset, action, _reasonFor(status, action));
        if (_mask(globalStatus) & action != 0) revert ActionPaused(GLOBAL, action, _reasonFor(globalStatus, action));
    }

    function _requireLiquidatable(address asset) internal view {
        Status memory status = _status[asset];
        if (_mask(status) & LIQUIDATE != 0) revert ActionPaused(asset, LIQUIDATE, Reason.ORACLE_FAILED);
        uint256 from = uint256(status.resumedAt) + _params.liquidationGrace;
        if (status.resumedAt != 0 && block.timestamp < from) revert LiquidationGrace(asset, from);
    }

    /// @dev The vault's booked balance of `asset`: cash for the base asset, deposited collateral for the others.
    function _bookedBalance(address asset) internal view returns (uint256 balance) {
        if (asset == _base) return ICollateralVault(vault).cash();
        return VaultStorage.totalDeposited(ICollateralVault(vault), asset); // zero for an asset not listed
    }

    /// @dev `asset` is the vault's base asset or a listed collateral.
    function _requireKnown(address asset) internal view {
        if (asset == _base) return;
        if (!VaultStorage.isListed(ICollateralVault(vault), asset)) revert UnknownAsset(asset);
    }

    /// @dev What an outflow of `amount` by `account` adds to the shared count (the part its own credit does not
    ///      cover), and the account's net after it. Saturates.
    function _debit(
        RateLimit.Window memory window,
        address asset,
        address account,
        uint256 kind,
        uint256 amount
    ) internal view returns (uint256 uncovered, int256 netAfter) {
        Credit memory stored = _credits[asset][account][kind];
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 credit = net < 0 ? uint256(-net) : 0;
        uncovered = amount > credit ? amount - credit : 0;
        netAfter = _clamp(net + _toInt(amount));
    }

    function _commit(
        RateLimit.Window memory window,
        address asset,
        address account,
        uint256 kind,
        uint256 uncovered,
        int256 netAfter
    ) internal {
        _credits[asset][account][kind] = Credit(window.start, int224(netAfter));
        if (uncovered != 0) window.record(uncovered, true);
    }

    /// @dev An inflow of `amount` by `account`: refunds the shared count for the account's own earlier outflows in
    ///      this window, and the rest becomes the account's credit.
    function _in(
        RateLimit.Window memory window,
        address asset,
        address account,
        uint256 kind,
        uint256 amount
    ) internal {
        Credit memory stored = _credits[asset][account][kind];
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 refund = net > 0 ? (amount < uint256(net) ? amount : uint256(net)) : 0;
        _credits[asset][account][kind] = Credit(window.start, int224(_clamp(net - _toInt(amount))));
        if (refund != 0) window.record(refund, false);
    }

    function _toInt(uint256 x) internal pure returns (int256) {
        return x > uint256(int256(type(int224).max)) ? type(int224).max : int256(x);
    }

    function _clamp(int256 x) internal pure returns (int256) {
        if (x > type(int224).max) return type(int224).max;
        if (x < type(int224).min) return type(int224).min;
        return x;
    }

    /// @dev `asset`'s outflow window rolled to now and its triggers, in memory (the caller stores the window back).
    function _flow(
        address asset,
        uint256 balanceBefore
    ) internal view returns (RateLimit.Window memory window, AssetParams memory triggers) {
        triggers = _paramsOf(asset);
        window = _flows[asset];
        window.roll(triggers.outflowWindow, balanceBefore);
        window.observe(balanceBefore);
    }

    /// @dev Any trip but OUTFLOW itself (price, oracle, bad debt) halves the asset's outflow limit; an OUTFLOW trip
    ///      already queues everything, and its reset is measured against the untightened limit.
    function _tight(address asset) internal view returns (bool) {
        uint16 ignored = uint16(1 << uint8(Reason.OUTFLOW));
        return (_status[asset].reasons | _status[GLOBAL].reasons) & ~ignored != 0;
    }

    function _paramsOf(address asset) internal view returns (AssetParams memory triggers) {
        triggers = _assetParams[asset];
        if (triggers.outflowWindow == 0) triggers = _assetParams[GLOBAL];
    }

    function _has(Status storage status, Reason reason) internal view returns (bool) {
        return status.reasons & (1 << uint8(reason)) != 0;
    }

    // ================================================================= internal: pure

    /// @dev The level a set of reasons implies, and the guardian's actions while they hold.
    function _level(Status memory status) internal view returns (Level level) {
        level = _autoLevel(status.reasons);
        uint8 globalStatus = _guardianMask(status);
        if (globalStatus & (WITHDRAW | WITHDRAW_COLLATERAL) != 0 && level < Level.QUEUE) level = Level.QUEUE;
        else if (globalStatus & (BORROW | SUPPLY) != 0 && level < Level.NO_BORROW) level = Level.NO_BORROW;
    }

    function _mask(Status memory status) internal view returns (uint8) {
        return _levelMask(_autoLevel(status.reasons)) | _guardianMask(status);
    }

    function _mask(Status memory status, Status memory globalStatus) internal view returns (uint8) {
        return _mask(status) | _mask(globalStatus);
    }

    function _guardianMask(Status memory status) internal view returns (uint8) {
        return block.timestamp < status.guardianUntil ? status.guardianMask : 0;
    }

    function _autoLevel(uint16 reasons) internal pure returns (Level) {
        if (reasons & (1 << uint8(Reason.ORACLE_FAILED)) != 0) return Level.NO_LIQUIDATION;
        if (reasons & (1 << uint8(Reason.OUTFLOW)) != 0) return Level.QUEUE;
        uint16 noBorrow = uint16(
            (1 << uint8(Reason.ORACLE_DEGRADED)) | (1 << uint8(Reason.PRICE_FALL)) | (1 << uint8(Reason.BAD_DEBT))
        );
        if (reasons & noBorrow != 0) return Level.NO_BORROW;
        if (reasons & (1 << uint8(Reason.PRICE_FALL_SOFT)) != 0) return Level.TIGHTEN;
        return Level.NONE;
    }

    function _levelMask(Level level) internal pure returns (uint8) {
        if (level == Level.NO_LIQUIDATION) return SUPPLY | BORROW | WITHDRAW | WITHDRAW_COLLATERAL | LIQUIDATE;
        if (level == Level.QUEUE) return SUPPLY | BORROW | WITHDRAW | WITHDRAW_COLLATERAL;
        if (level == Level.NO_BORROW) return BORROW;
        return 0;
    }

    /// @dev The reason an error names: the guardian's if it stops `action`, else the highest tripped one.
    function _reasonFor(Status memory status, uint8 action) internal view returns (Reason reason) {
        if (_guardianMask(status) & action != 0) return Reason.GUARDIAN;
        for (uint8 i = uint8(Reason.BAD_DEBT); i > 0; --i) {
            if (status.reasons & (1 << i) != 0 && _levelMask(_autoLevel(uint16(1 << i))) & action != 0)
                return Reason(i);
        }
    }

    // ================================================================= internal: parameters

    function _setParams(Params memory params_) internal {
        Bounds.check("cooldown", params_.cooldown, MIN_COOLDOWN, MAX_COOLDOWN);
        Bounds.check("guardianCooldown", params_.guardianCooldown, MIN_GUARDIAN_COOLDOWN, MAX_GUARDIAN_COOLDOWN);
        Bounds.check("claimDelay", params_.claimDelay, MIN_CLAIM_DELAY, MAX_CLAIM_DELAY);
        Bounds.check("liquidationGrace", params_.liquidationGrace, 0, MAX_LIQUIDATION_GRACE);
        Bounds.check("resumeShare", params_.resumeShare, MIN_RESUME_SHARE, MAX_RESUME_SHARE);
        Bounds.check("badDebtShare", params_.badDebtShare, MIN_BAD_DEBT_SHARE, MAX_BAD_DEBT_SHARE);
        _params = params_;
        emit ParamsSet(params_);
    }

    function _setAssetParams(address asset, AssetParams memory triggers) internal {
        Bounds.check("outflowShare", triggers.outflowShare, MIN_OUTFLOW_SHARE, MAX_OUTFLOW_SHARE);
        Bounds.check("outflowWindow", triggers.outflowWindow, MIN_WINDOW, MAX_WINDOW);
        Bounds.check("maxFall", triggers.maxFall, MIN_FALL, MAX_FALL);
        Bounds.check("fallWindow", triggers.fallWindow, MIN_WINDOW, MAX_WINDOW);
        _assetParams[asset] = triggers;
        emit AssetParamsSet(asset, triggers);
    }
}
