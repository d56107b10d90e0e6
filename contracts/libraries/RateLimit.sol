// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RateLimit
/// @notice Net outflow of one asset over a rolling window, in the spirit of ERC-7265: a sliding two-bucket
///         counter. Outflows add, inflows subtract (a deposit followed by its withdrawal nets to zero, so loops grief
///         no one), and the limit is a share of the largest balance the asset had *at the start of a block* in this
///         window: capital that stayed a block raises it, a flash loan (in and out inside one transaction) never does.
/// @dev used(t) = previous × (length − (t − start)) / length + current, both signed, rounded up (towards more use),
///      floored at 0. `previous` is the last window's net, fading linearly as the current window ages; so any
///      stretch of `length` seconds sees at most about two limits out, and a single burst at most one.
///      Operations work on a memory copy (the caller loads it once and stores it once: two slots); amounts saturate (never overflow, never revert): a saturated outflow reads as more
///      used, a saturated inflow as less credit, both on the protocol's side.
library RateLimit {
    uint256 internal constant WAD = 1e18;

    struct Window {
        uint32 start; // when the current bucket opened
        uint32 baseBlock; // the block whose opening balance `base` last considered
        int192 current; // net outflow since `start` (negative: net inflow)
        int128 previous; // net outflow of the bucket before, if it ended less than `length` ago
        uint128 base; // the largest opening balance of a block in this bucket: what the limit is a share of
    }

    /// @dev Opens a new bucket when `length` has passed since the current one opened: the old bucket becomes the
    ///      previous one if it ended less than `length` ago (else it has faded out), and `balance` — the balance
    ///      before the flow being recorded — becomes the base. `length` > 0.
    function roll(Window memory w, uint256 length, uint256 balance) internal view {
        uint256 start = w.start;
        uint256 elapsed = block.timestamp - start;
        if (elapsed < length) return;
        int256 previous;
        // The next bucket opens exactly `length` after this one, so `previous` fades on the same clock a view uses.
        if (elapsed < 2 * length) (previous, start) = (w.current, start + length);
        else start = block.timestamp;
        w.start = uint32(start);
        w.baseBlock = uint32(block.number);
        w.current = 0;
        w.previous = int128(_clamp(previous, type(int128).min, type(int128).max));
        // Capped where `previous` saturates, so a saturated previous window always reads as at least the limit.
        uint256 maxBase = uint256(int256(type(int128).max));
        w.base = uint128(balance > maxBase ? maxBase : balance);
    }

    /// @dev At the first flow of a block, `balance` (the balance before it) is the block's opening balance: the base
    ///      rises to it if larger. Later flows in the block change nothing, so nothing deposited inside the block —
    ///      a flash loan — counts.
    function observe(Window memory w, uint256 balance) internal view {
        if (w.baseBlock == uint32(block.number)) return;
        w.baseBlock = uint32(block.number);
        uint256 maxBase = uint256(int256(type(int128).max));
        if (balance > maxBase) balance = maxBase;
        if (balance > w.base) w.base = uint128(balance);
    }

    /// @dev Records an outflow (`amount` > 0 adds to use) or an inflow (`outflow` false: subtracts). Saturates.
    function record(Window memory w, uint256 amount, bool outflow) internal pure {
        int256 a = amount > uint256(int256(type(int192).max)) ? type(int192).max : int256(amount);
        int256 next = outflow ? int256(w.current) + a : int256(w.current) - a;
        w.current = int192(_clamp(next, type(int192).min, type(int192).max));
    }

    /// @dev Net outflow counted against the limit now (negative: net inflow, credit for outflows), rounded up. Works
    ///      whether or not the window has been rolled to now (a view sees what a roll would leave).
    function net(Window memory w, uint256 length) internal view returns (int256) {
        uint256 elapsed = block.timestamp - w.start;
        if (elapsed >= 2 * length) return 0;
        if (elapsed >= length) return _fadeUp(w.current, 2 * length - elapsed, length);
        return _fadeUp(w.previous, length - elapsed, length) + int256(w.current);
    }

    /// @dev Net outflow counted now, floored at 0 (what monitors see).
    function used(Window memory w, uint256 length) internal view returns (uint256) {
        int256 n = net(w, length);
        return n > 0 ? uint256(n) : 0;
    }

    /// @dev Whether an outflow of `amount` keeps net outflow within `limit_`: credit from inflows counts.
    function fits(Window memory w, uint256 length, uint256 amount, uint256 limit_) internal view returns (bool) {
        // |net| < 2^193 and amount, limit_ < 2^256: compare without overflow.
        int256 n = net(w, length);
        if (n < 0) return amount <= limit_ || amount - limit_ <= uint256(-n);
        return uint256(n) <= limit_ && amount <= limit_ - uint256(n);
    }

    /// @dev The limit now: `share` (WAD) of the window's base, rounded down; halved when `tight`. Callers roll first;
    ///      a view of a window due to roll still sees the old base.
    function limit(Window memory w, uint256 share, bool tight) internal pure returns (uint256 cap) {
        // base < 2^128 and share ≤ WAD: no overflow.
        cap = (uint256(w.base) * share) / WAD;
        if (tight) cap /= 2;
    }

    /// @dev ceil(x × num / den) for signed x (towards +∞: more use, less credit). |x| < 2^192, num ≤ den < 2^33.
    function _fadeUp(int256 x, uint256 num, uint256 den) private pure returns (int256) {
        if (x >= 0) return int256((uint256(x) * num + den - 1) / den);
        return -int256((uint256(-x) * num) / den);
    }

    function _clamp(int256 x, int256 lo, int256 hi) private pure returns (int256) {
        return
            x < lo
                ? lo
                : x > hi
                    ? hi
                    : x;
    }
}
