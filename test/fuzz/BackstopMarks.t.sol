// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {BackstopRecovery} from "../../contracts/backstop/BackstopRecovery.sol";

/// @notice The recovery's price marks under fuzzing (issue 26): whatever the prices sighted and whenever, a price is
///         marked only if it held (sighted throughout the two hours before, no sighting lower, none more than 90
///         minutes apart), a mark is kept for at least one mark period and never past two, and a price that holds is
///         marked. The properties are stated on the sightings alone, not on how the library keeps its spans and
///         buckets.
contract BackstopMarksFuzzTest is Test {
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant STEPS = 24;
    /// @dev How long a price must hold, and the longest gap between sightings of it: stated here, not read from the
    ///      library, so a change there fails.
    uint256 internal constant HOLD = 2 hours;
    uint256 internal constant GAP = 90 minutes;

    BackstopRecovery.Mark internal mark;

    uint256[] internal sightedAt;
    uint256[] internal sightedPrice;
    uint256[] internal markedAt;
    uint256[] internal markedPrice;

    /// @dev One sighting, as `BackstopRecovery.mark` does it: load, sight, store; every sighting and mark recorded.
    function _sight(uint104 price, uint256 period) internal returns (uint256 held) {
        BackstopRecovery.Mark memory m = mark;
        held = BackstopRecovery.sight(m, price, period);
        mark = m;
        sightedAt.push(block.timestamp);
        sightedPrice.push(price);
        if (held != 0) {
            markedAt.push(block.timestamp);
            markedPrice.push(held);
        }
    }

    function _high(uint256 period) internal view returns (uint256) {
        return BackstopRecovery.markedHigh(mark, period);
    }

    /// @dev Prices from a few levels (so equal and crossing prices are common), or anywhere up to uint104's top.
    function _price(uint256 seed) internal pure returns (uint104) {
        if (seed % 4 != 0) return uint104(1_000e18 + (seed % 5) * 200e18);
        return uint104(bound(seed >> 8, 1, type(uint104).max));
    }

    /// A marked price held: going back from the sighting that marks it, sightings no more than 90 minutes apart and
    /// none lower than it reach back two hours. One round, however high, that the feed corrects within two hours is
    /// never marked, nor is a price nobody sighted in between.
    function testFuzz_aMarkedPriceHeldForTwoHours(
        uint256 periodSeed,
        uint256[STEPS] memory prices,
        uint24[STEPS] memory gaps
    ) public {
        uint256 period = bound(periodSeed, HOLD, 60 days);
        vm.warp(T0);
        for (uint256 i; i < STEPS; ++i) {
            vm.warp(block.timestamp + (gaps[i] % 3 hours));
            uint256 held = _sight(_price(prices[i]), period);
            if (held == 0) continue;
            uint256 j = sightedAt.length - 1;
            while (sightedAt[j] + HOLD > block.timestamp) {
                assertGe(sightedPrice[j], held, "marked above a price sighted in the two hours before");
                assertGt(j, 0, "marked before two hours of sightings");
                assertLe(sightedAt[j] - sightedAt[j - 1], GAP, "marked across a gap in sightings");
                --j;
            }
            assertGe(sightedPrice[j], held, "marked above the price sighted two hours before");
        }
    }

    /// What the mark holds is the highest price marked over the last one to two periods: every price marked within
    /// the last period is kept; none marked two periods ago or more is. Read right after a sighting, and again at a
    /// later time with no sighting in between (as a stake is priced before its own sighting).
    function testFuzz_aMarkIsKeptOneToTwoPeriods(
        uint256 periodSeed,
        uint256[STEPS] memory prices,
        uint32[STEPS] memory gaps,
        uint32[STEPS] memory waits
    ) public {
        uint256 period = bound(periodSeed, 1 hours, 20 days);
        vm.warp(T0);
        for (uint256 i; i < STEPS; ++i) {
            vm.warp(block.timestamp + (gaps[i] % (period + 2 hours)));
            _sight(_price(prices[i]), period);
            _checkKept(period);
            vm.warp(block.timestamp + (waits[i] % (3 * period)));
            _checkKept(period);
        }
    }

    function _checkKept(uint256 period) internal view {
        uint256 kept; // the highest marked within the last period: must be held
        uint256 most; // the highest marked within the last two periods: the most that may be held
        for (uint256 j; j < markedAt.length; ++j) {
            uint256 age = block.timestamp - markedAt[j];
            if (age < period && markedPrice[j] > kept) kept = markedPrice[j];
            if (age < 2 * period && markedPrice[j] > most) most = markedPrice[j];
        }
        uint256 high = _high(period);
        assertGe(high, kept, "a price marked within the last period was dropped");
        assertLe(high, most, "a price marked two periods ago or more was kept");
    }

    /// A price sighted at least hourly for eight hours is marked, whatever came before it.
    function testFuzz_aPriceThatHoldsIsMarked(
        uint256 periodSeed,
        uint256[STEPS] memory prices,
        uint24[STEPS] memory gaps,
        uint256 holdSeed,
        uint16[8] memory holdGaps
    ) public {
        uint256 period = bound(periodSeed, 8 hours, 60 days);
        vm.warp(T0);
        for (uint256 i; i < STEPS; ++i) {
            vm.warp(block.timestamp + (gaps[i] % 3 hours));
            _sight(_price(prices[i]), period);
        }
        uint104 p = _price(holdSeed);
        uint256 since = block.timestamp + 1;
        vm.warp(since);
        _sight(p, period);
        for (uint256 k; block.timestamp < since + 8 hours; ++k) {
            vm.warp(block.timestamp + 1 + (holdGaps[k % holdGaps.length] % 1 hours));
            _sight(p, period);
        }
        assertGe(_high(period), p, "a price that held eight hours was not marked");
    }

    /// The worked case: a round 20% high, OK for 70 minutes (heartbeat 1 h + grace 10 min, the longest one WETH round
    /// stays OK) and sighted every 10 of them, then corrected, is never marked.
    function test_oneHighRoundIsNeverMarked() public {
        vm.warp(T0);
        uint256 period = 9 days;
        for (uint256 h = 0; h <= 2; ++h) {
            vm.warp(T0 + h * 1 hours);
            _sight(2_000e18, period);
        }
        assertEq(_high(period), 2_000e18);
        for (uint256 m = 0; m <= 70; m += 10) {
            vm.warp(T0 + 2 hours + 1 + m * 1 minutes);
            _sight(2_400e18, period);
            assertEq(_high(period), 2_000e18);
        }
        for (uint256 h = 4; h < 10; ++h) {
            vm.warp(T0 + h * 1 hours);
            _sight(2_000e18, period);
            assertEq(_high(period), 2_000e18);
        }
    }

    /// A low round sighted at the end of a span and corrected at once lowers that span only: the sighting after it
    /// starts the next span, and the price that holds is marked two hours later.
    function test_aLowRoundCorrectedAtASpansEndSpoilsThatSpanOnly() public {
        vm.warp(T0);
        uint256 period = 9 days;
        _sight(2_000e18, period);
        vm.warp(T0 + 1 hours);
        _sight(2_000e18, period);
        vm.warp(T0 + 2 hours);
        assertEq(_sight(1_600e18, period), 1_600e18); // one round 20% low, sighted as the span ends
        _sight(2_000e18, period); // corrected in the same block: the next span starts at $2,000
        vm.warp(T0 + 3 hours);
        _sight(2_000e18, period);
        vm.warp(T0 + 4 hours);
        assertEq(_sight(2_000e18, period), 2_000e18);
        assertEq(_high(period), 2_000e18);
    }

    /// A low round sighted as a span ends and again by the next span's first sighting (a round stays OK up to 70
    /// minutes) lowers both spans, no more: the keeper's hourly sightings mark the price that holds at the third.
    function test_aLowRoundSightedAgainSpoilsTwoSpansAtMost() public {
        uint256 period = 9 days;
        vm.warp(T0);
        _sight(2_000e18, period);
        vm.warp(T0 + 1 hours);
        _sight(2_000e18, period);
        vm.warp(T0 + 2 hours);
        assertEq(_sight(1_600e18, period), 1_600e18); // span A ends in the round
        vm.warp(T0 + 3 hours);
        _sight(1_600e18, period); // the round is still OK: span B starts in it
        for (uint256 h = 4; h <= 8; ++h) {
            vm.warp(T0 + h * 1 hours);
            uint256 held = _sight(2_000e18, period);
            if (h == 5) assertEq(held, 1_600e18); // span B
            if (h < 8) assertEq(_high(period), 1_600e18);
        }
        assertEq(_high(period), 2_000e18); // span C: 6 h to 8 h
    }

    /// The rule's edges: a span of exactly two hours marks, one second shorter does not; sightings exactly 90 minutes
    /// apart continue a span, one second further apart start it again.
    function test_edges() public {
        uint256 period = 9 days;
        vm.warp(T0);
        _sight(2_000e18, period);
        vm.warp(T0 + 90 minutes);
        _sight(2_000e18, period);
        vm.warp(T0 + 2 hours - 1);
        assertEq(_sight(2_000e18, period), 0);
        vm.warp(T0 + 2 hours);
        assertEq(_sight(2_000e18, period), 2_000e18);
        // The next span: its second sighting 90 minutes and a second after the first starts it again.
        vm.warp(T0 + 3 hours);
        _sight(2_100e18, period);
        vm.warp(T0 + 4 hours + 30 minutes + 1);
        assertEq(_sight(2_100e18, period), 0);
        vm.warp(T0 + 6 hours);
        assertEq(_sight(2_100e18, period), 0); // 90 minutes into the restarted span
        vm.warp(T0 + 6 hours + 30 minutes + 1);
        assertEq(_sight(2_100e18, period), 2_100e18);
        // Read with no sighting, two periods after the last mark's bucket began: nothing is kept.
        vm.warp(T0 + 2 * period + 7 hours);
        assertEq(_high(period), 0);
    }
}
