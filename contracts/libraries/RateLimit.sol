// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RateLimit
/// @notice Net outflow of one asset over a rolling window, in the spirit of ERC-7265. Outflows add, inflows subtract
///         (a deposit followed by its withdrawal in the same bucket nets to zero, so loops grief no one), and the limit is a share of the
///         largest balance the asset had *at the start of a block* in the current bucket, plus what the earlier
///         buckets counted still let out: capital that stayed a block raises it, a flash loan (in and out inside one
///         transaction) never does.
/// @dev The window of `length` seconds is kept as buckets of half its length (`bucket`), and what counts now is the
///      sum of the current bucket and the two before it, each in full: any span of `length` seconds lies inside
///      three consecutive buckets, so checking that sum at every outflow bounds the net outflow of *every* such span
///      by the limit (issue 19, property 9; the fading two-bucket counter it replaces let about 1.75 limits out in
///      one span). The cost to honest users: a bucket's outflow counts for between one and one and a half window
///      lengths, so a steady stream gets two thirds of the limit per window, and a burst of the whole limit waits
///      at most 1.5 windows for its successor.
///      Operations work on a memory copy (the caller loads it once and stores it once: two slots); amounts saturate
///      at ±2^111 (never overflow, never revert): a saturated outflow reads as more used, a saturated inflow as less
///      credit, both on the protocol's side.
library RateLimit {
    uint256 internal constant WAD = 1e18;
    int256 private constant MAX_NET = type(int112).max;
    int256 private constant MIN_NET = type(int112).min;

    /// @dev Two slots, laid out so that an ordinary flow (no roll) rewrites only the first: its net, and the base and
    ///      block its first flow in a block observes. A roll rewrites both.
    struct Window {
        int112 current; // net outflow since `start` (negative: net inflow)
        uint112 base; // the largest block-opening balance in this bucket + the earlier buckets' counted outflow
        uint32 baseBlock; // the block whose opening balance `base` last considered
        int112 previous; // net outflow of the bucket before
        int112 older; // net outflow of the bucket before that
        uint32 start; // when the current bucket opened
    }

    /// @dev A bucket's length for a window of `length`: half of it, rounded up, so two buckets cover the window.
    function bucket(uint256 length) internal pure returns (uint256) {
        return (length + 1) / 2;
    }

    /// @dev Opens a new bucket when one bucket length has passed since the current one opened: the buckets shift
    ///      (those that ended a window or more ago are dropped), and `balance` — the balance before the flow being
    ///      recorded — becomes the base. `length` > 0.
    function roll(Window memory w, uint256 length, uint256 balance) internal view {
        uint256 size = bucket(length);
        uint256 shifts = (block.timestamp - w.start) / size;
        if (shifts == 0) return;
        if (shifts == 1) (w.older, w.previous) = (w.previous, w.current);
        else (w.older, w.previous) = (shifts == 2 ? w.current : int112(0), int112(0));
        w.current = 0;
        // Buckets stay on one clock (a view counts them the same way); after a long quiet spell, restart at now.
        w.start = shifts < 3 ? uint32(w.start + shifts * size) : uint32(block.timestamp);
        w.baseBlock = uint32(block.number);
        w.base = uint112(_baseOf(w, balance));
    }

    /// @dev At the first flow of a block, `balance` (the balance before it) is the block's opening balance: the base
    ///      rises to it if larger. Later flows in the block change nothing, so nothing deposited inside the block —
    ///      a flash loan — counts.
    function observe(Window memory w, uint256 balance) internal view {
        if (w.baseBlock == uint32(block.number)) return;
        w.baseBlock = uint32(block.number);
        balance = _baseOf(w, balance);
        if (balance > w.base) w.base = uint112(balance);
    }

    /// @dev Records an outflow (`amount` > 0 adds to use) or an inflow (`outflow` false: subtracts). Saturates.
    function record(Window memory w, uint256 amount, bool outflow) internal pure {
        int256 a = amount > uint256(MAX_NET) ? MAX_NET : int256(amount);
        int256 next = outflow ? int256(w.current) + a : int256(w.current) - a;
        w.current = int112(_clamp(next));
    }

    /// @dev Net outflow counted against the limit now: the current bucket and the two before it, whole. Only the
    ///      current bucket's net can be negative (credit for outflows): an earlier bucket's net inflow counts as 0, as
    ///      the per-account credit it mirrors lives only in its own bucket. Works whether or not the window has been
    ///      rolled to now (a view sees what a roll would leave).
    function net(Window memory w, uint256 length) internal view returns (int256) {
        uint256 shifts = (block.timestamp - w.start) / bucket(length);
        if (shifts == 0) return _positive(w.older) + _positive(w.previous) + w.current;
        if (shifts == 1) return _positive(w.previous) + _positive(w.current);
        return shifts == 2 ? _positive(w.current) : int256(0);
    }

    /// @dev Net outflow counted now, floored at 0 (what monitors see).
    function used(Window memory w, uint256 length) internal view returns (uint256) {
        int256 n = net(w, length);
        return n > 0 ? uint256(n) : 0;
    }

    /// @dev Whether an outflow of `amount` keeps net outflow within `limit_`: credit from inflows counts. Nothing
    ///      (an outflow its account's own credit covers) always fits, even where use is above a limit that shrank.
    function fits(Window memory w, uint256 length, uint256 amount, uint256 limit_) internal view returns (bool) {
        if (amount == 0) return true;
        // |net| < 2^114 and amount, limit_ < 2^256: compare without overflow.
        int256 n = net(w, length);
        if (n < 0) return amount <= limit_ || amount - limit_ <= uint256(-n);
        return uint256(n) <= limit_ && amount <= limit_ - uint256(n);
    }

    /// @dev The largest outflow that `fits` under `limit_` now: the limit less the net use, plus any net inflow it
    ///      carries as credit (saturates at 2^256 − 1). `fits(w, length, a, limit_)` holds exactly when a ≤ this.
    function room(Window memory w, uint256 length, uint256 limit_) internal view returns (uint256) {
        int256 n = net(w, length);
        if (n < 0) return limit_ > type(uint256).max - uint256(-n) ? type(uint256).max : limit_ + uint256(-n);
        return uint256(n) < limit_ ? limit_ - uint256(n) : 0;
    }

    /// @dev The limit now: `share` (WAD) of the window's base, rounded down; halved when `tight`. Callers roll first;
    ///      a view of a window due to roll still sees the old base.
    function limit(Window memory w, uint256 share, bool tight) internal pure returns (uint256 cap) {
        // base < 2^112 and share ≤ WAD: no overflow.
        cap = (uint256(w.base) * share) / WAD;
        if (tight) cap /= 2;
    }

    /// @dev The base for an opening balance of `balance`: it plus the net outflow the earlier buckets still count,
    ///      i.e. about what the asset held before the outflows the limit still counts, so the limit stays a share of
    ///      the balance at the start of the counted span rather than shrinking with every outflow it has let out.
    ///      Capped where the counters saturate.
    function _baseOf(Window memory w, uint256 balance) private pure returns (uint256 base) {
        uint256 carried = uint256(_positive(w.older) + _positive(w.previous));
        uint256 max = uint256(MAX_NET);
        base = carried >= max || balance >= max - carried ? max : balance + carried;
    }

    function _positive(int112 x) private pure returns (int256) {
        return x > 0 ? int256(x) : int256(0);
    }

    function _clamp(int256 x) private pure returns (int256) {
        return
            x < MIN_NET
                ? MIN_NET
                : x > MAX_NET
                    ? MAX_NET
                    : x;
    }
}
