// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {RateLimit} from "../../contracts/libraries/RateLimit.sol";

/// @notice The outflow window's accounting under fuzzing: no overflow, no draining past the limit by splitting or
///         by timing (issue 19, property 9), inflows credit exactly what they bring, buckets shift on one clock.
contract RateLimitFuzzTest is Test {
    using RateLimit for RateLimit.Window;

    uint256 internal constant LENGTH = 6 hours;
    uint256 internal constant T0 = 1_700_000_000;

    RateLimit.Window internal w;

    // The library works on memory copies; these load, apply and store, as the breaker does.
    function _roll(uint256 length, uint256 balance) internal {
        RateLimit.Window memory m = w;
        m.roll(length, balance);
        w = m;
    }

    function _observe(uint256 balance) internal {
        RateLimit.Window memory m = w;
        m.observe(balance);
        w = m;
    }

    function _record(uint256 amount, bool outflow) internal {
        RateLimit.Window memory m = w;
        m.record(amount, outflow);
        w = m;
    }

    /// @dev Admits `amount` as the breaker does: only if it fits, then records it.
    function _tryOut(uint256 amount, uint256 share) internal returns (bool ok) {
        ok = w.fits(LENGTH, amount, w.limit(share, false));
        if (ok) _record(amount, true);
    }

    /// Splitting a drain into many withdrawals at any times inside one window admits no more than the limit.
    function testFuzz_splitOutflowsStayWithinLimit(
        uint128 base,
        uint64 shareSeed,
        uint256[12] memory amounts,
        uint16[12] memory gaps
    ) public {
        uint256 share = bound(shareSeed, 0.01e18, 1e18);
        vm.warp(T0);
        _roll(LENGTH, base);
        uint256 cap = w.limit(share, false);
        uint256 admitted;
        for (uint256 i; i < amounts.length; ++i) {
            vm.warp(block.timestamp + (gaps[i] % (LENGTH / 12)));
            uint256 a = bound(amounts[i], 1, uint256(type(uint128).max));
            if (_tryOut(a, share)) admitted += a;
        }
        assertLe(admitted, cap, "admitted past the limit");
    }

    /// Issue 19, property 9: over every span of one window length, outflows admitted never exceed one limit, whatever
    /// the timing and split. (The fading two-bucket counter this replaced let 1.75 limits through: a burst at the end
    /// of one bucket, another three quarters into the next.)
    function testFuzz_anySpanAdmitsAtMostOneLimit(
        uint64 baseSeed,
        uint256[16] memory amounts,
        uint32[16] memory gaps
    ) public {
        uint256 share = 0.25e18;
        uint256 base = bound(baseSeed, 1e6, 1e30);
        vm.warp(T0);
        uint256[16] memory times;
        uint256[16] memory outs;
        uint256 balance = base; // no inflows: what has left is gone from the balance the next bucket opens on
        for (uint256 i; i < amounts.length; ++i) {
            vm.warp(block.timestamp + (gaps[i] % LENGTH));
            _roll(LENGTH, balance);
            uint256 a = bound(amounts[i], 1, base);
            times[i] = block.timestamp;
            if (_tryOut(a, share)) (outs[i], balance) = (a, balance - a);
        }
        uint256 cap = (base * share) / 1e18;
        for (uint256 i; i < amounts.length; ++i) {
            uint256 sum;
            for (uint256 j = i; j < amounts.length && times[j] < times[i] + LENGTH; ++j) sum += outs[j];
            assertLe(sum, cap, "a window-length span admitted more than the limit");
        }
    }

    /// The review's timing, exactly: the whole limit at the end of one bucket, then as much as fits at every later
    /// moment; nothing more leaves until the burst is a window length in the past, and a steady stream gets two thirds
    /// of the limit per window (the stated cost).
    function test_burstAtBucketEndThenAnotherLeavesNothingMore() public {
        uint256 base = 1_000_000e6;
        uint256 cap = base / 4;
        vm.warp(T0);
        _roll(LENGTH, base);
        vm.warp(T0 + LENGTH / 2 - 1); // the last second of the first bucket
        assertTrue(_tryOut(cap, 0.25e18), "the first burst");
        for (uint256 t = LENGTH / 2; t < LENGTH / 2 - 1 + LENGTH; t += 15 minutes) {
            vm.warp(T0 + t);
            _roll(LENGTH, base - cap);
            assertFalse(_tryOut(1, 0.25e18), "more within a window length of the burst");
        }
        vm.warp(T0 + (3 * LENGTH) / 2); // the burst's bucket is three buckets back: out of the count
        _roll(LENGTH, base - cap);
        assertTrue(
            _tryOut((base - cap) / 4, 0.25e18),
            "a full limit of what is left once the burst is 1.5 windows old"
        );
    }

    /// A deposit then a withdrawal of the same amount (a value-neutral loop) leaves the counter where it was, in
    /// either order, so loops cannot grief honest users out of the limit.
    function testFuzz_valueNeutralLoopsLeaveNetUnchanged(
        uint128 base,
        uint256 amount,
        int128 startNet,
        uint8 loops
    ) public {
        vm.warp(T0);
        _roll(LENGTH, base);
        amount = bound(amount, 0, 2 ** 100);
        w.current = int112(bound(startNet, -(2 ** 100), 2 ** 100));
        int256 before = w.net(LENGTH);
        for (uint256 i; i < loops % 20; ++i) {
            _record(amount, false);
            _record(amount, true);
            _record(amount, true);
            _record(amount, false);
        }
        assertEq(w.net(LENGTH), before, "a neutral loop moved the counter");
    }

    /// Inflows credit outflows one for one: after an inflow of x, an outflow of limit + x fits and one unit more
    /// does not.
    function testFuzz_inflowCreditIsExact(uint128 base, uint64 shareSeed, uint128 inflowSeed) public {
        uint256 share = bound(shareSeed, 0.01e18, 1e18);
        uint256 inflow = bound(inflowSeed, 0, 2 ** 110); // below the counters' saturation (tested below)
        vm.warp(T0);
        _roll(LENGTH, base);
        _record(inflow, false);
        uint256 cap = w.limit(share, false);
        assertTrue(w.fits(LENGTH, cap + inflow, cap), "credit not honoured");
        assertFalse(w.fits(LENGTH, cap + inflow + 1, cap), "credit over-honoured");
    }

    /// `room` (what the breaker's `maxWithdraw` reads, issue 19, property 8) is, by the counters
    /// themselves, the largest outflow that keeps net outflow within the limit: after arbitrary flows and time,
    /// recording `room` leaves net ≤ limit and recording one unit more passes it; 0 where use is already past it.
    function testFuzz_roomIsTheLargestFit(
        uint128 base,
        uint256[4] memory flows,
        uint32[4] memory gaps,
        uint256 limitSeed
    ) public {
        vm.warp(T0);
        _roll(LENGTH, base);
        for (uint256 i; i < flows.length; ++i) {
            vm.warp(block.timestamp + (gaps[i] % (2 * LENGTH)));
            _roll(LENGTH, base);
            _record(flows[i] % 2 ** 100, flows[i] % 3 != 0); // far below the counters' saturation
        }
        uint256 cap = bound(limitSeed, 0, 2 ** 100);
        uint256 room = w.room(LENGTH, cap);
        int256 before = w.net(LENGTH);
        if (before > int256(cap)) assertEq(room, 0, "room past the limit");
        RateLimit.Window memory paid = w;
        paid.record(room, true);
        if (room != 0) assertLe(paid.net(LENGTH), int256(cap), "recording room passes the limit");
        if (before <= int256(cap)) {
            RateLimit.Window memory more = w;
            more.record(room + 1, true);
            assertGt(more.net(LENGTH), int256(cap), "room is not the largest");
        }
        // And `fits`, which the breaker's hooks use, agrees with it to the unit.
        assertTrue(w.fits(LENGTH, room, cap), "room does not fit");
        assertFalse(w.fits(LENGTH, room + 1, cap), "more than room fits");
        assertTrue(w.fits(LENGTH, 0, cap), "nothing always fits");
    }

    /// Money deposited inside a block (a flash loan) never raises the limit; capital that stayed a block raises it to
    /// a share of that block's opening balance, never more.
    function testFuzz_onlyCapitalThatStayedABlockRaisesLimit(
        uint128 baseSeed,
        uint128 inflowSeed,
        uint32 later
    ) public {
        uint256 base = bound(baseSeed, 0, 2 ** 100);
        uint256 inflow = bound(inflowSeed, 0, 2 ** 100);
        vm.roll(100);
        vm.warp(T0);
        _roll(LENGTH, base);
        _observe(base);
        uint256 cap = w.limit(0.25e18, false);
        _record(inflow, false);
        _observe(base + inflow); // same block: a flash deposit
        assertEq(w.limit(0.25e18, false), cap, "a same-block inflow raised the limit");
        vm.roll(101);
        vm.warp(T0 + (later % LENGTH));
        _roll(LENGTH, base + inflow);
        _observe(base + inflow); // the next block opens with the deposit still in
        assertEq(w.limit(0.25e18, false), ((base + inflow) * 0.25e18) / 1e18, "limit not on the opening balance");
    }

    /// Buckets shift on one clock: without flows, use never rises with time, is the same whether or not the window
    /// was rolled, and is 0 three buckets (1.5 lengths) after the outflow's bucket opened.
    function testFuzz_useNeverRisesWithoutFlowsAndRollInvariant(
        uint128 base,
        uint128 out,
        uint32 dt1Seed,
        uint32 dt2Seed
    ) public {
        vm.warp(T0);
        _roll(LENGTH, base);
        // Below the counters' saturation (which errs towards more use, tested below).
        _record(bound(out, 0, 2 ** 110), true);
        uint256 dt1 = bound(dt1Seed, 0, 3 * LENGTH);
        uint256 dt2 = bound(dt2Seed, dt1, 3 * LENGTH);
        vm.warp(T0 + dt1);
        uint256 u1 = w.used(LENGTH);
        vm.warp(T0 + dt2);
        uint256 u2 = w.used(LENGTH);
        assertLe(u2, u1, "use rose without flows");
        RateLimit.Window memory unrolled = w;
        _roll(LENGTH, base);
        assertEq(w.used(LENGTH), RateLimit.used(unrolled, LENGTH), "rolling changed the reading");
        if (dt2 >= (3 * LENGTH) / 2) assertEq(u2, 0, "still counted three buckets on");
        if (dt2 < LENGTH) assertEq(u2, u1, "dropped within a window length");
    }

    /// Saturation, not overflow: any sequence of extreme flows and rolls never reverts, and a saturated counter
    /// reads as fully used (outflows) or as bounded credit (inflows).
    function testFuzz_extremeFlowsNeverRevert(
        uint256[10] memory amounts,
        bool[10] memory outs,
        uint32[10] memory gaps
    ) public {
        vm.warp(T0);
        for (uint256 i; i < amounts.length; ++i) {
            vm.warp(block.timestamp + (gaps[i] % (3 * LENGTH)));
            _roll(LENGTH, amounts[i]);
            _record(amounts[i], outs[i]);
            w.fits(LENGTH, amounts[i], w.limit(1e18, i % 2 == 0));
            w.used(LENGTH);
        }
        // From any reading, maximal outflows reach the ceiling and stay there.
        for (uint256 i; i < 4; ++i) _record(type(uint256).max, true);
        assertEq(int256(w.current), int256(type(int112).max), "outflow did not saturate");
        // The largest limit there can be is the whole base, itself capped at the counters' ceiling.
        assertFalse(w.fits(LENGTH, 1, w.limit(1e18, false)), "a saturated counter admitted an outflow");
        assertFalse(w.fits(LENGTH, 1, uint256(int256(type(int112).max))), "a saturated counter admitted an outflow");
    }
}
