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
///        window does not cover (`_debit`); credit never outlives its window.
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
        if (block.timestamp < status.cooldownUntil) return;
        uint256 resumeAt = (window.limit(triggers.outflowShare, _tight(asset)) * _params.resumeShare) / WAD;
        if (window.used(triggers.outflowWindow) <= resumeAt) _clear(asset, status, Reason.OUTFLOW);
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
        mapping(uint256 kind => Credit) storage accountCredits = _credits[asset][account];
        Credit memory stored = accountCredits[kind];
        int256 net = stored.start == window.start ? int256(stored.net) : int256(0);
        uint256 refund = net > 0 ? (amount < uint256(net) ? amount : uint256(net)) : 0;
        accountCredits[kind] = Credit(window.start, int224(_clamp(net - _toInt(amount))));
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
