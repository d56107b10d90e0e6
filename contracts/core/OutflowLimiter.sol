// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RateLimit} from "../libraries/RateLimit.sol";
import {BreakerState} from "./BreakerState.sol";

/// @title OutflowLimiter
/// @notice The circuit breaker's rate limits: each asset's net outflow over a rolling window (RateLimit), with
///         per-account credit so that an account's own inflows pay only for its own outflows. Credit for withdrawals
///         (a lender's supply, a collateral deposit) is kept by the vault beside the balance it credits, as a credit
///         word (ICircuitBreaker.onSupply) that each hook takes and returns: the deposit then writes one slot, not
///         two. Credit for borrowing (repayments) is kept the same way, apart, in the borrower's position word: it
///         covers only borrows, so an inflow that can leave again (a deposit) never pays for an outflow that stays
///         out (a borrow).
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

    /// @dev Whether withdrawals of `asset` are stopped now (they queue), after resetting an outflow trip that has
    ///      cleared. While every entry is calm there is no trip to reset and nothing stops them: no status is read.
    function _outflowStopped(
        address asset,
        RateLimit.Window memory window,
        AssetParams memory triggers
    ) internal returns (bool) {
        if (_calm()) return false;
        Status storage status = _status[asset];
        if (_has(status, Reason.OUTFLOW)) _resetOutflow(asset, status, window, triggers);
        return _mask(status, _status[GLOBAL]) & (asset == _base ? WITHDRAW : WITHDRAW_COLLATERAL) != 0;
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
    function _payableNow(address asset, uint128 creditWord, uint256 balanceBefore) internal view returns (uint256) {
        (RateLimit.Window memory window, AssetParams memory triggers) = _flow(asset, balanceBefore);
        Status memory status = _status[asset];
        uint16 outflow = uint16(1 << uint8(Reason.OUTFLOW));
        if (status.reasons & outflow != 0 && _outflowResumes(asset, status, window, triggers))
            status.reasons &= ~outflow;
        if (_mask(status, _status[GLOBAL]) & (asset == _base ? WITHDRAW : WITHDRAW_COLLATERAL) != 0) return 0;
        uint256 credit = _creditOf(_unpack(creditWord), window.start);
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

    /// @dev What an outflow of `amount` by an account whose credit is `stored` adds to the shared count (the part its
    ///      own credit does not cover), and its net after it. Saturates.
    function _debit(
        RateLimit.Window memory window,
        Credit memory stored,
        uint256 amount
    ) internal pure returns (uint256 uncovered, int256 netAfter) {
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 credit = net < 0 ? uint256(-net) : 0;
        uncovered = amount > credit ? amount - credit : 0;
        netAfter = _clamp(net + _toInt(amount));
    }

    /// @dev Records a debited outflow (`_debit`'s result) in `window` and returns the account's credit after it.
    function _commit(
        RateLimit.Window memory window,
        uint256 uncovered,
        int256 netAfter
    ) internal pure returns (Credit memory) {
        if (uncovered != 0) window.record(uncovered, true);
        return Credit(window.start, int224(netAfter));
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

    /// @dev An inflow of `amount` by an account whose credit is `stored`: refunds the shared count for its own earlier
    ///      outflows in this bucket (half a window), and the rest becomes its credit, returned.
    function _in(
        RateLimit.Window memory window,
        Credit memory stored,
        uint256 amount
    ) internal pure returns (Credit memory) {
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 refund = net > 0 ? (amount < uint256(net) ? amount : uint256(net)) : 0;
        if (refund != 0) window.record(refund, false);
        return Credit(window.start, int224(_clamp(net - _toInt(amount))));
    }

    /// @dev The credit word after a withdrawal of `amount` that queues: the claim counts nothing against the limit, but
    ///      it uses up the credit the account's deposits earned in this bucket, which no later paid exit may then spend
    ///      again; a net outflow the word records (the account's counted exits) stays as it is.
    function _spend(RateLimit.Window memory window, uint128 word, uint256 amount) internal pure returns (uint128) {
        Credit memory stored = _unpack(word);
        if (stored.start != window.start || stored.net >= 0) return word;
        int256 net = int256(stored.net) + _toInt(amount);
        return _pack(Credit(window.start, int224(net > 0 ? int256(0) : net)));
    }

    /// @dev A credit word (ICircuitBreaker.onSupply: bits 96–127 the bucket start, 0–95 the net as an int96) read.
    function _unpack(uint128 word) internal pure returns (Credit memory) {
        return Credit(uint32(word >> 96), int224(int96(uint96(word))));
    }

    /// @dev `credit` as a credit word; its net is within int96 (`_clamp`).
    function _pack(Credit memory credit) internal pure returns (uint128) {
        return (uint128(credit.start) << 96) | uint128(uint96(int96(credit.net)));
    }

    function _toInt(uint256 value) internal pure returns (int256) {
        return value > uint256(int256(type(int224).max)) ? type(int224).max : int256(value);
    }

    /// @dev Nets saturate at ±2^95 (a credit word's int96), on the protocol's side either way: a saturated outflow
    ///      is refunded less by later inflows, a saturated inflow credits less.
    function _clamp(int256 value) internal pure returns (int256) {
        if (value > type(int96).max) return type(int96).max;
        if (value < type(int96).min) return type(int96).min;
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
