// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RateLimit} from "../libraries/RateLimit.sol";
import {BreakerState} from "./BreakerState.sol";

/// @title OutflowLimiter
/// @notice The circuit breaker's rate limits: each asset's net outflow over a rolling window (RateLimit), with
///         per-account credit so that an account's own inflows pay only for its own outflows.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-27 an inflow is never refused: `_in` only refunds and credits, it has no failure path.
///      - an outflow counts against the shared limit only for the part its account's own credit in the current
///        window does not cover (`_debit`); credit never outlives its bucket (half a window).
abstract contract OutflowLimiter is BreakerState {
    using RateLimit for RateLimit.Window;

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
        if (_outflowResumes(asset, status, window, triggers)) _clear(asset, status, Reason.OUTFLOW);
    }

    /// @dev Whether an outflow trip of `asset` resets now: its cooldown is over and use is back under `resumeShare` of
    ///      the limit.
    function _outflowResumes(
        address asset,
        Status memory status,
        RateLimit.Window memory window,
        AssetParams memory triggers
    ) internal view returns (bool) {
        if (block.timestamp < status.cooldownUntil) return false;
        uint256 resumeAt = (window.limit(triggers.outflowShare, _tight(asset)) * _params.resumeShare) / WAD;
        return window.used(triggers.outflowWindow) <= resumeAt;
    }

    /// @dev The most of `asset` an outflow by `account` may take now and be paid at once, to the unit what
    ///      `onOutflow` pays rather than queues: 0 while the asset's withdrawals queue (after the reset an outflow
    ///      would make first), else the account's own credit plus the room left in the limit.
    function _payableNow(address asset, address account, uint256 balanceBefore) internal view returns (uint256) {
        (RateLimit.Window memory window, AssetParams memory triggers) = _flow(asset, balanceBefore);
        Status memory status = _status[asset];
        uint16 outflow = uint16(1 << uint8(Reason.OUTFLOW));
        if (status.reasons & outflow != 0 && _outflowResumes(asset, status, window, triggers))
            status.reasons &= ~outflow;
        if (_mask(status, _status[GLOBAL]) & (asset == _base ? WITHDRAW : WITHDRAW_COLLATERAL) != 0) return 0;
        uint256 credit = _creditOf(_credits[asset][account][LEND], window.start);
        uint256 free = window.room(triggers.outflowWindow, window.limit(triggers.outflowShare, _tight(asset)));
        return free > type(uint256).max - credit ? type(uint256).max : credit + free;
    }

    /// @dev The credit (own net inflow) `stored` gives in the bucket that opened at `start` (`_debit`'s coverage).
    function _creditOf(Credit memory stored, uint256 start) internal pure returns (uint256) {
        int256 net = stored.start == start ? int256(stored.net) : int256(0);
        return net < 0 ? uint256(-net) : 0;
    }

    /// @dev Reverts OutflowLimitReached for an outflow of `amount` that does not fit and may not be queued.
    function _refuseOutflow(
        address asset,
        RateLimit.Window memory window,
        AssetParams memory triggers,
        uint256 amount
    ) internal view {
        uint256 limit = window.limit(triggers.outflowShare, _tight(asset));
        revert OutflowLimitReached(asset, window.used(triggers.outflowWindow), limit, amount);
    }

    /// @dev What an outflow of `amount` by the account whose credit records are `credits` adds to the shared count
    ///      (the part its own credit of `kind` does not cover), and its net after it. Saturates. The caller looks the
    ///      account's records up once and passes them to `_debit` and `_commit`.
    function _debit(
        RateLimit.Window memory window,
        mapping(uint256 kind => Credit) storage credits,
        uint256 kind,
        uint256 amount
    ) internal view returns (uint256 uncovered, int256 netAfter) {
        Credit memory stored = credits[kind];
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 credit = net < 0 ? uint256(-net) : 0;
        uncovered = amount > credit ? amount - credit : 0;
        netAfter = _clamp(net + _toInt(amount));
    }

    function _commit(
        RateLimit.Window memory window,
        mapping(uint256 kind => Credit) storage credits,
        uint256 kind,
        uint256 uncovered,
        int256 netAfter
    ) internal {
        credits[kind] = Credit(window.start, int224(netAfter));
        if (uncovered != 0) window.record(uncovered, true);
    }

    /// @dev Whether `uncovered` more outflow of `asset` fits its limit in `window` (halved under any other trip).
    function _fits(
        RateLimit.Window memory window,
        AssetParams memory triggers,
        address asset,
        uint256 uncovered
    ) internal view returns (bool) {
        return window.fits(triggers.outflowWindow, uncovered, window.limit(triggers.outflowShare, _tight(asset)));
    }

    /// @dev An inflow of `amount` by the account whose credit records are `credits`: refunds the shared count for its
    ///      own earlier outflows in this bucket (half a window), and the rest becomes its credit.
    function _in(
        RateLimit.Window memory window,
        mapping(uint256 kind => Credit) storage credits,
        uint256 kind,
        uint256 amount
    ) internal {
        Credit memory stored = credits[kind];
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 refund = net > 0 ? (amount < uint256(net) ? amount : uint256(net)) : 0;
        credits[kind] = Credit(window.start, int224(_clamp(net - _toInt(amount))));
        if (refund != 0) window.record(refund, false);
    }

    function _toInt(uint256 value) internal pure returns (int256) {
        return value > uint256(int256(type(int224).max)) ? type(int224).max : int256(value);
    }

    function _clamp(int256 value) internal pure returns (int256) {
        if (value > type(int224).max) return type(int224).max;
        if (value < type(int224).min) return type(int224).min;
        return value;
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
}
