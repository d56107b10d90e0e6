// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {FixedPointMath} from "../../contracts/libraries/FixedPointMath.sol";

/// @notice Fuzz tests of every math path in FixedPointMath, against plain-arithmetic references on ranges where
///         the reference cannot overflow.
contract FixedPointMathFuzzTest is Test {
    uint256 internal constant RAY = 1e27;
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MAX_RATE = uint256(10e18) / 365 days; // the vault's MAX_BORROW_RATE_PER_SECOND

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
