// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {FixedPointMath} from "../../contracts/libraries/FixedPointMath.sol";
import {FixedPointMathHarness} from "../doubles/FixedPointMathHarness.sol";

/// @notice Fuzz tests of every math path in FixedPointMath, against plain-arithmetic references on ranges where
///         the reference cannot overflow.
contract FixedPointMathFuzzTest is Test {
    uint256 internal constant RAY = 1e27;
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MAX_RATE = uint256(10e18) / 365 days; // the vault's MAX_BORROW_RATE_PER_SECOND

    /// @dev ln 2 × 1e36, rounded down (0.693147180559945309417232121458176568|0755…).
    uint256 internal constant LN2_36 = 693_147_180_559_945_309_417_232_121_458_176_568;
    /// @dev lnWad's error, k·ln 2 aside: below 26.3 wei from the series (z truncated: < 2.07; 12 term divisions and
    ///      the truncations they carry: < 2 × 12.09) plus 1.74 from the bits x >> k drops. Measured against a 40-digit
    ///      reference (test/unit/FixedPointMath.ln.test.ts): 20.3 wei at worst. The k·ln 2 part adds |k| × 0.4172.
    uint256 internal constant LN_ERROR = 28;
    /// @dev The contract's reduction threshold WAD/√2 and its double, where m switches between the ends of its range.
    uint256 internal constant SQRT_HALF_WAD = 707_106_781_186_547_524;

    function testFuzz_mulDivDown_matchesReference(uint128 x, uint128 y, uint128 d) public pure {
        vm.assume(d != 0);
        assertEq(FixedPointMath.mulDivDown(x, y, d), (uint256(x) * y) / d);
    }

    function testFuzz_mulDivUp_isDownPlusRemainder(uint128 x, uint128 y, uint128 d) public pure {
        vm.assume(d != 0);
        uint256 product = uint256(x) * y;
        uint256 expected = product / d + (product % d == 0 ? 0 : 1);
        assertEq(FixedPointMath.mulDivUp(x, y, d), expected);
    }

    function testFuzz_upNeverBelowDown_fullRange(uint256 x, uint256 y, uint256 d) public pure {
        d = bound(d, 1, type(uint256).max);
        // Keep the result representable: x * y / d < 2^256 when x <= d or y <= d.
        x = bound(x, 0, d);
        uint256 down = FixedPointMath.mulDivDown(x, y, d);
        uint256 up = FixedPointMath.mulDivUp(x, y, d);
        assertGe(up, down);
        assertLe(up - down, 1);
    }

    function testFuzz_wadHelpers_roundInOppositeDirections(uint128 x, uint128 y) public pure {
        vm.assume(y != 0);
        assertEq(FixedPointMath.wadMulDown(x, y), (uint256(x) * y) / WAD);
        assertEq(FixedPointMath.wadMulUp(x, y), (uint256(x) * y + WAD - 1) / WAD);
        assertEq(FixedPointMath.wadDivDown(x, y), (uint256(x) * WAD) / y);
        assertEq(FixedPointMath.wadDivUp(x, y), (uint256(x) * WAD + y - 1) / y);
    }

    /// @dev Protocol-favouring round trip: a value scaled down then up never grows.
    function testFuzz_wadRoundTrip_neverGrows(uint128 x, uint64 y) public pure {
        vm.assume(y != 0);
        uint256 scaled = FixedPointMath.wadDivDown(x, y);
        assertLe(FixedPointMath.wadMulDown(scaled, y), x);
    }

    function testFuzz_compoundFactor_atLeastLinear(uint256 rate, uint256 elapsed) public pure {
        rate = bound(rate, 0, MAX_RATE); // the vault's MAX_BORROW_RATE_PER_SECOND
        elapsed = bound(elapsed, 0, 10 * 365 days);
        uint256 factor = FixedPointMath.compoundFactorUp(rate, elapsed);
        assertGe(factor, RAY + rate * elapsed * 1e9);
    }

    function testFuzz_compoundFactor_monotonicInTime(uint256 rate, uint256 t1, uint256 t2) public pure {
        rate = bound(rate, 0, MAX_RATE);
        t1 = bound(t1, 0, 10 * 365 days);
        t2 = bound(t2, t1, 10 * 365 days);
        assertLe(FixedPointMath.compoundFactorUp(rate, t1), FixedPointMath.compoundFactorUp(rate, t2));
    }

    function testFuzz_compoundFactor_monotonicInRate(uint256 r1, uint256 r2, uint256 elapsed) public pure {
        r1 = bound(r1, 0, MAX_RATE);
        r2 = bound(r2, r1, MAX_RATE);
        elapsed = bound(elapsed, 0, 10 * 365 days);
        assertLe(FixedPointMath.compoundFactorUp(r1, elapsed), FixedPointMath.compoundFactorUp(r2, elapsed));
    }

    /// @dev Against exact per-second compounding (1 + r)^t by binary exponentiation: within 1e-5 relative while
    ///      x = r·t ≤ 0.1 (the Taylor remainder is below x⁴/24 ≈ 4.2e-6 there).
    function testFuzz_compoundFactor_closeToExactCompounding(uint256 rate, uint256 elapsed) public pure {
        elapsed = bound(elapsed, 1, 365 days);
        // Within the vault's rate cap, discrete per-second and continuous compounding differ by < x·r/2 ≈ 2e-8.
        uint256 maxRate = 0.1e18 / elapsed;
        if (maxRate > MAX_RATE) maxRate = MAX_RATE;
        rate = bound(rate, 0, maxRate);
        uint256 taylor = FixedPointMath.compoundFactorUp(rate, elapsed);
        uint256 exact = _rpow(RAY + rate * 1e9, elapsed);
        uint256 diff = taylor > exact ? taylor - exact : exact - taylor;
        assertLe(diff, exact / 1e5);
    }

    // ============================================================ lnWad and sqrtWadDown

    function test_lnWad_ofWadIsZero() public pure {
        assertEq(FixedPointMath.lnWad(WAD), 0);
    }

    function test_lnWad_revertsLnOfZero() public {
        FixedPointMathHarness harness = new FixedPointMathHarness();
        vm.expectRevert(FixedPointMath.LnOfZero.selector);
        harness.lnWad(0);
    }

    /// @dev Defined on all of [1, 2^256 − 1], and inside [lnWad(1), lnWad(max)] = [−41.45, 136.0] WAD.
    function testFuzz_lnWad_neverRevertsOnPositive(uint256 x) public pure {
        x = bound(x, 1, type(uint256).max);
        int256 y = FixedPointMath.lnWad(x);
        assertGe(y, FixedPointMath.lnWad(1));
        assertLe(y, FixedPointMath.lnWad(type(uint256).max));
    }

    /// @dev Negative below WAD, positive above: every step truncates towards zero, so the sign is never wrong, but
    ///      every x in [WAD − 1, WAD + 2] gives 0. ln((WAD − 1)/WAD) = −1.0000000000000000005 wei comes out 0,
    ///      the one exception to "lnWad(x) < 0 iff x < WAD" (see test_lnWad_oneWeiBelowWadRoundsToZero).
    function testFuzz_lnWad_negativeIffBelowWad(uint256 x) public pure {
        x = bound(x, 1, type(uint256).max);
        int256 y = FixedPointMath.lnWad(x);
        if (x != WAD - 1) assertEq(y < 0, x < WAD);
        assertEq(y > 0, x > WAD + 2);
    }

    function test_lnWad_oneWeiBelowWadRoundsToZero() public pure {
        assertEq(FixedPointMath.lnWad(WAD - 2), -2);
        assertEq(FixedPointMath.lnWad(WAD - 1), 0);
        assertEq(FixedPointMath.lnWad(WAD + 2), 0);
        assertEq(FixedPointMath.lnWad(WAD + 3), 2);
    }

    function testFuzz_lnWad_monotonic(uint256 a, uint256 b) public pure {
        a = bound(a, 1, type(uint256).max);
        b = bound(b, 1, type(uint256).max);
        if (a > b) (a, b) = (b, a);
        assertLe(FixedPointMath.lnWad(a), FixedPointMath.lnWad(b));
    }

    /// @dev Monotonic across the seams of the reduction (m jumps from the top of its range to the bottom), where the
    ///      truncation error flips sign: WAD/√2 and 2^59 times any power of two, a few hundred wei either side.
    function testFuzz_lnWad_monotonicAcrossSeams(uint256 seam, uint256 shift, uint256 offset, uint256 gap) public pure {
        uint256 base = [SQRT_HALF_WAD, 2 * SQRT_HALF_WAD, uint256(1) << 59, uint256(1) << 60][bound(seam, 0, 3)];
        shift = bound(shift, 0, 250);
        // 2^-59 … 2^191 around the seam (left shifts stay below 2^256: every seam is below 2^61).
        base = shift <= 59 ? base >> (59 - shift) : base << (shift - 59);
        uint256 a = base > 500 ? base - 500 + bound(offset, 0, 1000) : bound(offset, 1, 1000);
        uint256 b = a + bound(gap, 0, 500);
        assertLe(FixedPointMath.lnWad(a), FixedPointMath.lnWad(b));
    }

    /// @dev ln a + ln b = ln(a·b/WAD) while c = a·b/WAD ≥ WAD, so its floor moves ln c by < 1 wei. Each of the three
    ///      logs is within LN_ERROR wei plus its k·0.4172 wei; k_a + k_b − k_c is −1, 0 or 1, so the ln 2 parts cancel
    ///      to within 0.42 wei. Tolerance: 3·28 + 1 + 1 = 86 wei (measured on 300k pairs: 41).
    function testFuzz_lnWad_productRule(uint256 a, uint256 b) public pure {
        a = bound(a, 1e9, 2 ** 100);
        b = bound(b, (1e36 + a - 1) / a, 2 ** 100);
        uint256 c = (a * b) / WAD;
        int256 lhs = FixedPointMath.lnWad(a) + FixedPointMath.lnWad(b);
        assertApproxEqAbs(lhs, FixedPointMath.lnWad(c), 3 * LN_ERROR + 2);
    }

    /// @dev The same on price ratios, the inputs the volatility estimator feeds it: a, b in [0.5, 2] WAD.
    function testFuzz_lnWad_productRuleOnRatios(uint256 a, uint256 b) public pure {
        a = bound(a, WAD / 2, 2 * WAD);
        b = bound(b, WAD / 2, 2 * WAD);
        // Here c can be as low as WAD/4: its floor moves ln c by < WAD/c ≤ 4 wei.
        int256 lhs = FixedPointMath.lnWad(a) + FixedPointMath.lnWad(b);
        assertApproxEqAbs(lhs, FixedPointMath.lnWad((a * b) / WAD), 3 * LN_ERROR + 5);
    }

    /// @dev WAD·2^k reduces to m = WAD exactly (z = 0), so lnWad is k·LN2_WAD to the wei, within |k|·0.4172 wei
    ///      (plus one for the rounding of the reference) of k·ln 2.
    function testFuzz_lnWad_powersOfTwo(uint256 seed) public pure {
        int256 k = int256(bound(seed, 0, 214)) - 18;
        uint256 x = k >= 0 ? WAD << uint256(k) : WAD >> uint256(-k);
        int256 y = FixedPointMath.lnWad(x);
        assertEq(y, k * FixedPointMath.LN2_WAD);
        uint256 absK = uint256(k >= 0 ? k : -k);
        int256 exact = (k >= 0 ? int256(1) : int256(-1)) * int256((absK * LN2_36) / 1e18);
        assertApproxEqAbs(y, exact, (absK * 41_724) / 100_000 + 1);
    }

    /// @dev Below 2^60 no bit is lost to the reduction: doubling x changes only k, by exactly LN2_WAD.
    function testFuzz_lnWad_doublingAddsLn2Exactly(uint256 x, uint256 j) public pure {
        x = bound(x, 1, 1 << 59);
        uint256 room = 59 - _log2(x);
        j = bound(j, 0, room);
        assertEq(FixedPointMath.lnWad(x << j) - FixedPointMath.lnWad(x), int256(j) * FixedPointMath.LN2_WAD);
    }

    /// @dev r = sqrtWadDown(x): r² ≤ x·WAD < (r + 1)², the latter as x·WAD − r² ≤ 2r (no overflow at r = 2^128 − 1).
    function testFuzz_sqrtWadDown_isFloorSqrt(uint256 x) public pure {
        x = bound(x, 0, type(uint256).max / WAD);
        uint256 r = FixedPointMath.sqrtWadDown(x);
        uint256 p = x * WAD;
        assertLe(r * r, p);
        assertLe(p - r * r, 2 * r);
    }

    function test_sqrtWadDown_exactSquares() public pure {
        assertEq(FixedPointMath.sqrtWadDown(0), 0);
        assertEq(FixedPointMath.sqrtWadDown(WAD), WAD);
        assertEq(FixedPointMath.sqrtWadDown(0.64e18), 0.8e18);
        assertEq(FixedPointMath.sqrtWadDown(100e18), 10e18);
    }

    function _log2(uint256 x) private pure returns (uint256 n) {
        while (x > 1) {
            x >>= 1;
            ++n;
        }
    }

    /// @dev Reference: base^n in RAY, rounded down at each step.
    function _rpow(uint256 base, uint256 n) private pure returns (uint256 z) {
        z = RAY;
        while (n != 0) {
            if (n & 1 != 0) z = (z * base) / RAY;
            base = (base * base) / RAY;
            n >>= 1;
        }
    }
}
