// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {RateLimit} from "../libraries/RateLimit.sol";

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
        Status storage s = _status[asset];
        if (asset == GLOBAL) {
            _pokeBadDebt(s);
        } else {
            _requireKnown(asset);
            _pokePrice(asset, s);
            _pokeOutflow(asset, s);
        }
        if (s.guardianMask != 0 && block.timestamp >= s.guardianUntil) {
            s.guardianMask = 0;
            _emit(asset, s, Reason.GUARDIAN, false);
        }
        return (_mask(s), _level(s));
    }

    // ================================================================= vault hooks

    /// @inheritdoc ICircuitBreaker
    function onSupply(address account, uint256 amount, uint256 cashBefore) external onlyVault {
        _requireOpen(_base, SUPPLY);
        (RateLimit.Window memory w, ) = _flow(_base, cashBefore);
        _in(w, _base, account, LEND, amount);
        _flows[_base] = w;
    }

    /// @inheritdoc ICircuitBreaker
    function onInflow(address asset, address account, uint256 amount, uint256 balanceBefore) external onlyVault {
        (RateLimit.Window memory w, ) = _flow(asset, balanceBefore);
        // The base asset comes in this way only as a repayment: it credits the account's borrowing.
        _in(w, asset, account, asset == _base ? DEBT : LEND, amount);
        _flows[asset] = w;
    }

    /// @inheritdoc ICircuitBreaker
    function beforeBorrow(address account, uint256 amount, uint256 cashBefore) external onlyVault {
        _requireOpen(_base, BORROW);
        (RateLimit.Window memory w, AssetParams memory ap) = _flow(_base, cashBefore);
        uint256 limit = w.limit(ap.outflowShare, _tight(_base));
        (uint256 uncovered, int256 netAfter) = _debit(w, _base, account, DEBT, amount);
        if (!w.fits(ap.outflowWindow, uncovered, limit)) {
            revert OutflowLimitReached(_base, w.used(ap.outflowWindow), limit, amount);
        }
        _commit(w, _base, account, DEBT, uncovered, netAfter);
        _flows[_base] = w;
    }

    /// @inheritdoc ICircuitBreaker
    function onOutflow(
        address asset,
        address account,
        uint256 amount,
        uint256 balanceBefore
    ) external onlyVault returns (uint256 readyAt) {
        (RateLimit.Window memory w, AssetParams memory ap) = _flow(asset, balanceBefore);
        Status storage s = _status[asset];
        if (_has(s, Reason.OUTFLOW)) _resetOutflow(asset, s, w, ap);
        if (_mask(s, _status[GLOBAL]) & (asset == _base ? WITHDRAW : WITHDRAW_COLLATERAL) != 0) {
            readyAt = block.timestamp + _params.claimDelay;
        } else {
            (uint256 uncovered, int256 netAfter) = _debit(w, asset, account, LEND, amount);
            if (w.fits(ap.outflowWindow, uncovered, w.limit(ap.outflowShare, _tight(asset)))) {
                _commit(w, asset, account, LEND, uncovered, netAfter);
            } else {
                _trip(asset, s, Reason.OUTFLOW);
                readyAt = block.timestamp + _params.claimDelay;
            }
        }
        _flows[asset] = w;
    }

    /// @inheritdoc ICircuitBreaker
    function onShareTransfer(address from, address to, uint256 shares) external onlyVault {
        RateLimit.Window memory w = _flows[_base];
        Credit memory c = _credits[_base][from][LEND];
        // Credit lives only in the window it was earned in (one that is due to roll is over).
        if (c.start != w.start || c.net >= 0 || block.timestamp >= w.start + _paramsOf(_base).outflowWindow) return;
        // The credit follows the shares, so a deposit made by one account and withdrawn by another nets out too.
        // Priced only here, for the few transfers that carry credit (rounded down: credit never grows in transit).
        uint256 assets = IERC4626(vault).convertToAssets(shares);
        uint256 moved = uint256(-int256(c.net));
        if (assets < moved) moved = assets;
        _credits[_base][from][LEND] = Credit(w.start, int224(int256(c.net) + int256(moved)));
        _in(w, _base, to, LEND, moved);
        _flows[_base] = w;
    }

    /// @inheritdoc ICircuitBreaker
    function onBadDebt(uint256 amount, uint256 supply) external onlyVault {
        Status storage s = _status[GLOBAL];
        // A window that rolls now starts before this write-off: it counts in the new window, not in the baseline.
        _rollBadDebtWindow(s, amount);
        if (_recentBadDebtTrips(supply)) _trip(GLOBAL, s, Reason.BAD_DEBT);
    }

    // ================================================================= guardian and governance

    /// @inheritdoc ICircuitBreaker
    function guardianTrip(address asset, uint8 mask) external {
        if (msg.sender != _guardian || msg.sender == address(0)) revert NotGuardian(msg.sender);
        if (mask == 0 || mask & ~GUARDIAN_ACTIONS != 0) revert InvalidActionMask(mask);
        if (asset != GLOBAL) _requireKnown(asset);
        Status storage s = _status[asset];
        uint256 until = block.timestamp + _params.guardianCooldown;
        s.guardianMask = (block.timestamp < s.guardianUntil ? s.guardianMask : 0) | mask;
        if (until > s.guardianUntil) s.guardianUntil = uint32(until);
        _emit(asset, s, Reason.GUARDIAN, true);
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
        Status memory s = _status[collateral];
        if (_mask(s) & BORROW != 0) return false;
        // The price-fall trigger, checked inside the borrow before anyone pokes: at the floor, the fall is the bound.
        return block.timestamp >= s.floorUntil || price > s.fallFloor;
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
    function entry(address asset) public view returns (EntryView memory e) {
        Status memory s = _status[asset];
        e.asset = asset;
        e.actionMask = _mask(s);
        e.level = _level(s);
        e.reasons = s.reasons;
        e.cooldownUntil = s.cooldownUntil;
        e.guardianUntil = s.guardianUntil;
        e.liquidationsFrom = s.resumedAt == 0 ? 0 : uint256(s.resumedAt) + _params.liquidationGrace;
        if (block.timestamp < s.floorUntil) e.fallFloor = s.fallFloor;
        if (asset != GLOBAL) {
            // What a flow now would see: the window rolled to now over the vault's booked balance.
            (RateLimit.Window memory w, AssetParams memory ap) = _flow(asset, _bookedBalance(asset));
            e.outflowUsed = w.used(ap.outflowWindow);
            e.outflowLimit = w.limit(ap.outflowShare, _tight(asset));
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
    function _pokePrice(address asset, Status storage s) internal {
        (IPriceOracle oracle, , , ) = ICollateralVault(vault).parameters();
        IPriceOracle.Price memory p = oracle.getPrice(asset);
        _set(asset, s, Reason.ORACLE_FAILED, p.status == IPriceOracle.Status.FAILED);
        _set(asset, s, Reason.ORACLE_DEGRADED, p.status == IPriceOracle.Status.DEGRADED);
        if (p.status == IPriceOracle.Status.FAILED || p.low == 0) return;
        AssetParams memory ap = _paramsOf(asset);
        uint256 high = _observe(asset, p.low, ap.fallWindow);
        // fall = 1 − low / high, rounded up (a trip errs on the safe side).
        uint256 fall = high > p.low ? ((high - p.low) * WAD + high - 1) / high : 0;
        _set(asset, s, Reason.PRICE_FALL, fall >= ap.maxFall);
        _set(asset, s, Reason.PRICE_FALL_SOFT, fall >= ap.maxFall / 2);
        // The floor the vault checks inside borrows until the next poke: valid while this reference is.
        uint256 floor = (high * (WAD - ap.maxFall)) / WAD;
        s.fallFloor = floor > type(uint104).max ? type(uint104).max : uint104(floor);
        s.floorUntil = uint32(uint256(_refs[asset].start) + 2 * uint256(ap.fallWindow));
    }

    /// @dev An outflow trip resets after its cooldown once use is back under `resumeShare` of the limit.
    function _pokeOutflow(address asset, Status storage s) internal {
        if (_has(s, Reason.OUTFLOW)) _resetOutflow(asset, s, _flows[asset], _paramsOf(asset));
    }

    function _resetOutflow(address asset, Status storage s, RateLimit.Window memory w, AssetParams memory ap) internal {
        if (block.timestamp < s.cooldownUntil) return;
        uint256 resumeAt = (w.limit(ap.outflowShare, _tight(asset)) * _params.resumeShare) / WAD;
        if (w.used(ap.outflowWindow) <= resumeAt) _clear(asset, s, Reason.OUTFLOW);
    }

    /// @dev Bad debt realised within the window, re-read from the vault (it only ever grows, so the condition cannot
    ///      clear by itself): once cooled down, the trip resets and the realised loss becomes the new baseline.
    function _pokeBadDebt(Status storage s) internal {
        if (_has(s, Reason.BAD_DEBT)) {
            if (block.timestamp < s.cooldownUntil) return;
            _clear(GLOBAL, s, Reason.BAD_DEBT);
            (_badDebtSeen, _badDebtWindowStart) = (ICollateralVault(vault).badDebt(), block.timestamp);
            return;
        }
        _rollBadDebtWindow(s, 0);
        if (_recentBadDebtTrips(IERC4626(vault).totalAssets())) _trip(GLOBAL, s, Reason.BAD_DEBT);
    }

    /// @dev Opens a new bad-debt window once the last is over; `pending` is bad debt already in the vault's total
    ///      that belongs to the new window (a write-off being reported).
    function _rollBadDebtWindow(Status storage s, uint256 pending) internal {
        if (block.timestamp < _badDebtWindowStart + BAD_DEBT_WINDOW || _has(s, Reason.BAD_DEBT)) return;
        _badDebtWindowStart = block.timestamp;
        _badDebtSeen = ICollateralVault(vault).badDebt() - pending;
    }

    function _recentBadDebtTrips(uint256 supply) internal view returns (bool) {
        uint256 recent = ICollateralVault(vault).badDebt() - _badDebtSeen;
        return recent != 0 && recent * WAD > supply * _params.badDebtShare;
    }

    /// @dev Records `price` in `asset`'s fall reference and returns the reference high (this window's and the last).
    function _observe(address asset, uint256 price, uint32 window) internal returns (uint256 high) {
        Reference memory r = _refs[asset];
        uint256 elapsed = block.timestamp - r.start;
        if (elapsed >= window) {
            // Same two-bucket clock as RateLimit: the last window is kept while it ended less than `window` ago.
            bool adjacent = elapsed < 2 * uint256(window);
            r.previousHigh = adjacent ? r.currentHigh : 0;
            r.currentHigh = 0;
            r.start = adjacent ? r.start + window : uint32(block.timestamp);
        }
        uint112 p = price > type(uint112).max ? type(uint112).max : uint112(price);
        if (p > r.currentHigh) r.currentHigh = p;
        _refs[asset] = r;
        return r.previousHigh > r.currentHigh ? r.previousHigh : r.currentHigh;
    }

    // ================================================================= internal: state

    /// @dev Trips `reason` when `holds`; clears it when it does not and the cooldown has passed.
    function _set(address asset, Status storage s, Reason reason, bool holds) internal {
        if (holds) _trip(asset, s, reason);
        else if (_has(s, reason) && block.timestamp >= s.cooldownUntil) _clear(asset, s, reason);
    }

    function _trip(address asset, Status storage s, Reason reason) internal {
        if (_has(s, reason)) return;
        s.reasons |= uint16(1 << uint8(reason));
        uint256 until = block.timestamp + _params.cooldown;
        if (until > s.cooldownUntil) s.cooldownUntil = uint32(until);
        _emit(asset, s, reason, true);
    }

    function _clear(address asset, Status storage s, Reason reason) internal {
        bool stopped = _mask(s) & LIQUIDATE != 0;
        s.reasons &= ~uint16(1 << uint8(reason));
        // INV-28: liquidations that resume wait the grace period.
        if (stopped && _mask(s) & LIQUIDATE == 0) s.resumedAt = uint32(block.timestamp);
        _emit(asset, s, reason, false);
    }

    function _emit(address asset, Status storage s, Reason reason, bool tripped) internal {
        emit BreakerUpdated(asset, reason, tripped, _mask(s), _level(s), s.cooldownUntil);
    }

    /// @dev The base asset's or the global entry's stop blocks `action` everywhere; withdrawals are checked by
    ///      `onOutflow` (queued), not here.
    function _requireOpen(address asset, uint8 action) internal view {
        Status memory s = _status[asset];
        Status memory g = _status[GLOBAL];
        if (_mask(s) & action != 0) revert ActionPaused(asset, action, _reasonFor(s, action));
        if (_mask(g) & action != 0) revert ActionPaused(GLOBAL, action, _reasonFor(g, action));
    }

    function _requireLiquidatable(address asset) internal view {
        Status memory s = _status[asset];
        if (_mask(s) & LIQUIDATE != 0) revert ActionPaused(asset, LIQUIDATE, Reason.ORACLE_FAILED);
        uint256 from = uint256(s.resumedAt) + _params.liquidationGrace;
        if (s.resumedAt != 0 && block.timestamp < from) revert LiquidationGrace(asset, from);
    }

    /// @dev The vault's booked balance of `asset`: cash for the base asset, deposited collateral for the others.
    function _bookedBalance(address asset) internal view returns (uint256 balance) {
        if (asset == _base) return ICollateralVault(vault).cash();
        try ICollateralVault(vault).collateralInfo(asset) returns (
            ICollateralVault.CollateralConfig memory,
            uint8,
            uint256 totalDeposited
        ) {
            return totalDeposited;
        } catch {
            return 0;
        }
    }

    /// @dev `asset` is the vault's base asset or a listed collateral.
    function _requireKnown(address asset) internal view {
        if (asset == _base) return;
        try ICollateralVault(vault).collateralInfo(asset) {} catch {
            revert UnknownAsset(asset);
        }
    }

    /// @dev What an outflow of `amount` by `account` adds to the shared count (the part its own credit does not
    ///      cover), and the account's net after it. Saturates.
    function _debit(
        RateLimit.Window memory w,
        address asset,
        address account,
        uint256 kind,
        uint256 amount
    ) internal view returns (uint256 uncovered, int256 netAfter) {
        Credit memory c = _credits[asset][account][kind];
        int256 n = c.start == w.start ? int256(c.net) : int256(0);
        uint256 credit = n < 0 ? uint256(-n) : 0;
        uncovered = amount > credit ? amount - credit : 0;
        netAfter = _clamp(n + _toInt(amount));
    }

    function _commit(
        RateLimit.Window memory w,
        address asset,
        address account,
        uint256 kind,
        uint256 uncovered,
        int256 netAfter
    ) internal {
        _credits[asset][account][kind] = Credit(w.start, int224(netAfter));
        if (uncovered != 0) w.record(uncovered, true);
    }

    /// @dev An inflow of `amount` by `account`: refunds the shared count for the account's own earlier outflows in
    ///      this window, and the rest becomes the account's credit.
    function _in(RateLimit.Window memory w, address asset, address account, uint256 kind, uint256 amount) internal {
        Credit memory c = _credits[asset][account][kind];
        int256 n = c.start == w.start ? int256(c.net) : int256(0);
        uint256 refund = n > 0 ? (amount < uint256(n) ? amount : uint256(n)) : 0;
        _credits[asset][account][kind] = Credit(w.start, int224(_clamp(n - _toInt(amount))));
        if (refund != 0) w.record(refund, false);
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
    ) internal view returns (RateLimit.Window memory w, AssetParams memory ap) {
        ap = _paramsOf(asset);
        w = _flows[asset];
        w.roll(ap.outflowWindow, balanceBefore);
        w.observe(balanceBefore);
    }

    /// @dev Any trip but OUTFLOW itself (price, oracle, bad debt) halves the asset's outflow limit; an OUTFLOW trip
    ///      already queues everything, and its reset is measured against the untightened limit.
    function _tight(address asset) internal view returns (bool) {
        uint16 ignored = uint16(1 << uint8(Reason.OUTFLOW));
        return (_status[asset].reasons | _status[GLOBAL].reasons) & ~ignored != 0;
    }

    function _paramsOf(address asset) internal view returns (AssetParams memory ap) {
        ap = _assetParams[asset];
        if (ap.outflowWindow == 0) ap = _assetParams[GLOBAL];
    }

    function _has(Status storage s, Reason reason) internal view returns (bool) {
        return s.reasons & (1 << uint8(reason)) != 0;
    }

    // ================================================================= internal: pure

    /// @dev The level a set of reasons implies, and the guardian's actions while they hold.
    function _level(Status memory s) internal view returns (Level level) {
        level = _autoLevel(s.reasons);
        uint8 g = _guardianMask(s);
        if (g & (WITHDRAW | WITHDRAW_COLLATERAL) != 0 && level < Level.QUEUE) level = Level.QUEUE;
        else if (g & (BORROW | SUPPLY) != 0 && level < Level.NO_BORROW) level = Level.NO_BORROW;
    }

    function _mask(Status memory s) internal view returns (uint8) {
        return _levelMask(_autoLevel(s.reasons)) | _guardianMask(s);
    }

    function _mask(Status memory s, Status memory g) internal view returns (uint8) {
        return _mask(s) | _mask(g);
    }

    function _guardianMask(Status memory s) internal view returns (uint8) {
        return block.timestamp < s.guardianUntil ? s.guardianMask : 0;
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
    function _reasonFor(Status memory s, uint8 action) internal view returns (Reason r) {
        if (_guardianMask(s) & action != 0) return Reason.GUARDIAN;
        for (uint8 i = uint8(Reason.BAD_DEBT); i > 0; --i) {
            if (s.reasons & (1 << i) != 0 && _levelMask(_autoLevel(uint16(1 << i))) & action != 0) return Reason(i);
        }
    }

    // ================================================================= internal: parameters

    function _setParams(Params memory p) internal {
        _bound("cooldown", p.cooldown, MIN_COOLDOWN, MAX_COOLDOWN);
        _bound("guardianCooldown", p.guardianCooldown, MIN_GUARDIAN_COOLDOWN, MAX_GUARDIAN_COOLDOWN);
        _bound("claimDelay", p.claimDelay, MIN_CLAIM_DELAY, MAX_CLAIM_DELAY);
        _bound("liquidationGrace", p.liquidationGrace, 0, MAX_LIQUIDATION_GRACE);
        _bound("resumeShare", p.resumeShare, MIN_RESUME_SHARE, MAX_RESUME_SHARE);
        _bound("badDebtShare", p.badDebtShare, MIN_BAD_DEBT_SHARE, MAX_BAD_DEBT_SHARE);
        _params = p;
        emit ParamsSet(p);
    }

    function _setAssetParams(address asset, AssetParams memory p) internal {
        _bound("outflowShare", p.outflowShare, MIN_OUTFLOW_SHARE, MAX_OUTFLOW_SHARE);
        _bound("outflowWindow", p.outflowWindow, MIN_WINDOW, MAX_WINDOW);
        _bound("maxFall", p.maxFall, MIN_FALL, MAX_FALL);
        _bound("fallWindow", p.fallWindow, MIN_WINDOW, MAX_WINDOW);
        _assetParams[asset] = p;
        emit AssetParamsSet(asset, p);
    }

    function _bound(bytes32 name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert ParameterOutOfBounds(name, value, min, max);
    }
}
