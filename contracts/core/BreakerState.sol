// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {RateLimit} from "../libraries/RateLimit.sol";
import {Bounds} from "../libraries/Bounds.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title BreakerState
/// @notice The circuit breaker's state and its rules: per-asset status words (reasons tripped, the guardian's
///         restriction, cooldowns), the levels and action masks they imply, and the bounded parameters. Trips and
///         resets go through `_trip` / `_clear` only, each followed by its `BreakerUpdated` event.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-28 only a FAILED price (NO_LIQUIDATION) stops liquidations, and they wait `liquidationGrace` after
///        they resume (`_clear` stamps `resumedAt`, `_requireLiquidatable` enforces it).
///      - INV-31/32 parameters are written only by `_setParams` / `_setAssetParams`, inside the MIN_/MAX_ bounds.
abstract contract BreakerState is ICircuitBreaker {
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
    /// @notice Net outflow in any window-length span: 1%–100% of the bucket's base balance, over 5 minutes to 7 days.
    uint64 public constant MIN_OUTFLOW_SHARE = 0.01e18;
    uint64 public constant MAX_OUTFLOW_SHARE = 1e18;
    uint32 public constant MIN_WINDOW = 5 minutes;
    uint32 public constant MAX_WINDOW = 7 days;
    /// @notice A price-fall bound between 2% (a stablecoin) and 90%.
    uint64 public constant MIN_FALL = 0.02e18;
    uint64 public constant MAX_FALL = 0.9e18;
    uint256 internal constant WAD = 1e18;

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
        uint32 start; // the outflow bucket (half a window) it belongs to; stale once the bucket rolls
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
    address internal immutable _base;

    Params internal _params;
    address internal _guardian;
    // How many entries hold a tripped reason or a guardian mask (one that has expired counts until a poke clears it),
    // in the guardian's slot. While none does, every entry reads as calm and the hot paths read no status (`_calm`):
    // a deposit, withdrawal or borrow then loads one slot here instead of two.
    uint96 internal _activeEntries;
    mapping(address asset => Status) internal _status;
    mapping(address asset => RateLimit.Window) internal _flows;
    mapping(address asset => Reference) internal _refs;
    mapping(address asset => AssetParams) internal _assetParams; // address(0): the default
    uint256 internal _badDebtSeen; // the vault's bad debt at the start of the current bad-debt window
    uint256 internal _badDebtWindowStart;

    /// @param vault_ The vault to guard.
    constructor(address vault_) {
        if (vault_ == address(0)) revert ZeroAddress();
        vault = vault_;
        _base = IERC4626(vault_).asset();
    }

    // ================================================================= internal: state

    /// @dev Trips `reason` when `holds`; clears it when it does not and the cooldown has passed.
    function _set(address asset, Status storage status, Reason reason, bool holds) internal {
        if (holds) _trip(asset, status, reason);
        else if (_has(status, reason) && block.timestamp >= status.cooldownUntil) _clear(asset, status, reason);
    }

    function _trip(address asset, Status storage status, Reason reason) internal {
        if (_has(status, reason)) return;
        if (!_active(status)) ++_activeEntries;
        status.reasons |= uint16(1 << uint8(reason));
        uint256 until = block.timestamp + _params.cooldown;
        if (until > status.cooldownUntil) status.cooldownUntil = uint32(until);
        _emit(asset, status, reason, true);
    }

    function _clear(address asset, Status storage status, Reason reason) internal {
        bool stopped = _mask(status) & LIQUIDATE != 0;
        bool was = _active(status);
        status.reasons &= ~uint16(1 << uint8(reason));
        if (was && !_active(status)) --_activeEntries;
        // INV-28: liquidations that resume wait the grace period.
        if (stopped && _mask(status) & LIQUIDATE == 0) status.resumedAt = uint32(block.timestamp);
        _emit(asset, status, reason, false);
    }

    function _emit(address asset, Status storage status, Reason reason, bool tripped) internal {
        emit BreakerUpdated(asset, reason, tripped, _mask(status), _level(status), status.cooldownUntil);
    }

    /// @dev The base asset's or the global entry's stop blocks `action` everywhere; withdrawals are checked by
    ///      `onOutflow`, which queues them, or calls this to refuse one the vault may not queue.
    function _requireOpen(address asset, uint8 action) internal view {
        if (_calm()) return;
        Status memory status = _status[asset];
        Status memory globalStatus = _status[GLOBAL];
        if (_mask(status) & action != 0) revert ActionPaused(asset, action, _reasonFor(status, action));
        if (_mask(globalStatus) & action != 0) revert ActionPaused(GLOBAL, action, _reasonFor(globalStatus, action));
    }

    /// @dev Reverts while `asset`'s entry stops liquidations or holds them in their grace; returns since when they
    ///      have been open (0: never stopped).
    function _requireLiquidatable(address asset) internal view returns (uint256 from) {
        Status memory status = _status[asset];
        if (_mask(status) & LIQUIDATE != 0) revert ActionPaused(asset, LIQUIDATE, Reason.ORACLE_FAILED);
        if (status.resumedAt == 0) return 0;
        from = uint256(status.resumedAt) + _params.liquidationGrace;
        if (block.timestamp < from) revert LiquidationGrace(asset, from);
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

    /// @dev Any trip but OUTFLOW itself (price, oracle, bad debt) halves the asset's outflow limit; an OUTFLOW trip
    ///      already queues everything, and its reset is measured against the untightened limit.
    function _tight(address asset) internal view returns (bool) {
        if (_calm()) return false;
        uint16 ignored = uint16(1 << uint8(Reason.OUTFLOW));
        return (_status[asset].reasons | _status[GLOBAL].reasons) & ~ignored != 0;
    }

    function _paramsOf(address asset) internal view returns (AssetParams memory triggers) {
        triggers = _assetParams[asset];
        if (triggers.outflowWindow == 0) triggers = _assetParams[GLOBAL];
    }

    /// @dev No entry holds a reason or a guardian mask: every action is open everywhere and no limit is halved.
    function _calm() internal view returns (bool) {
        return _activeEntries == 0;
    }

    /// @dev `status` counts in `_activeEntries`: it holds a reason or a guardian mask (expired or not).
    function _active(Status storage status) internal view returns (bool) {
        return status.reasons != 0 || status.guardianMask != 0;
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
