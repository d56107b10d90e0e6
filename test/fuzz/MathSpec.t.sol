// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {Math as MathSpec} from "../../proofs/spec/Math.sol";

/// @notice The proofs' specification of OpenZeppelin's `Math` (proofs/spec/Math.sol, which `npm run prove` compiles in
///         its place) against OpenZeppelin's own code: wherever the specification returns, both return the same; the
///         specification reverts only where x × y ≥ 2^256 (its stated range) or on a zero divisor. So a property proved
///         through the specification holds for the deployed code on that range.
contract MathSpecFuzzTest is Test {
    /// @dev Calls the specification's 4-argument mulDiv; external, so a revert can be caught.
    function specMulDiv(uint256 x, uint256 y, uint256 d, uint8 rounding) external pure returns (uint256) {
        return MathSpec.mulDiv(x, y, d, MathSpec.Rounding(rounding));
    }

    /// @dev OpenZeppelin's 4-argument mulDiv, external for the same reason.
    function ozMulDiv(uint256 x, uint256 y, uint256 d, uint8 rounding) external pure returns (uint256) {
        return Math.mulDiv(x, y, d, Math.Rounding(rounding));
    }

    /// @dev Checks one input: equal results where the specification returns; where it reverts, the product overflows
    ///      or d is 0.
    function _same(uint256 x, uint256 y, uint256 d, uint8 rounding) internal view {
        rounding %= 4;
        try this.specMulDiv(x, y, d, rounding) returns (uint256 spec) {
            assertEq(spec, this.ozMulDiv(x, y, d, rounding), "spec and OpenZeppelin differ");
        } catch {
            unchecked {
                bool overflows = x != 0 && (x * y) / x != y;
                assertTrue(overflows || d == 0, "spec reverted inside its range");
            }
        }
        if (rounding == 0) {
            try this.specMulDiv(x, y, d, 0) returns (uint256 spec) {
                assertEq(MathSpec.mulDiv(x, y, d), spec, "3-argument spec is not Floor");
                assertEq(Math.mulDiv(x, y, d), spec, "3-argument OpenZeppelin differs");
            } catch {}
        }
    }

    function testFuzz_mulDiv_agreesInRange(uint256 x, uint256 y, uint256 d, uint8 rounding) public view {
        // Mostly inputs inside the range: each factor under 2^128 half the time.
        if (x % 2 == 0) x >>= 128;
        if (y % 3 != 0) y >>= 128;
        _same(x, y, d, rounding);
    }

    /// @dev Inside the range with quotients of every size: the divisor drawn up to the product itself, so the
    ///      rounding of a non-trivial quotient is compared (a uniform divisor makes almost every quotient 0 or 1).
    function testFuzz_mulDiv_agreesOnEveryQuotient(uint128 x, uint128 y, uint256 d, uint8 rounding) public view {
        uint256 product = uint256(x) * y;
        d = bound(d, 1, product > 0 ? product : 1);
        _same(x, y, d, rounding);
        // And the same divisor shifted down, so that quotients near the product are met too.
        _same(x, y, (d >> (rounding % 64)) | 1, rounding);
    }

    function testFuzz_mulDiv_agreesAtEdges(uint256 seed, uint8 rounding) public view {
        uint256[8] memory edges = [
            uint256(0),
            1,
            2,
            1e18,
            1e27,
            type(uint128).max,
            uint256(1) << 128,
            type(uint256).max
        ];
        uint256 x = edges[seed % 8];
        uint256 y = edges[(seed >> 8) % 8];
        uint256 d = edges[(seed >> 16) % 8];
        // Also one off each edge.
        if ((seed >> 24) % 2 == 1 && x > 0) x -= 1;
        if ((seed >> 25) % 2 == 1 && d < type(uint256).max) d += 1;
        _same(x, y, d, rounding);
    }

    function testFuzz_minMax_agree(uint256 a, uint256 b) public pure {
        assertEq(MathSpec.min(a, b), Math.min(a, b));
        assertEq(MathSpec.max(a, b), Math.max(a, b));
    }

    function testFuzz_log2_agrees(uint256 x, uint8 shift) public pure {
        x >>= shift; // every magnitude
        assertEq(MathSpec.log2(x), Math.log2(x));
    }

    function testFuzz_sqrt_agrees(uint256 a, uint8 shift, bool up) public pure {
        a >>= shift;
        Math.Rounding oz = up ? Math.Rounding.Ceil : Math.Rounding.Floor;
        MathSpec.Rounding spec = up ? MathSpec.Rounding.Ceil : MathSpec.Rounding.Floor;
        assertEq(MathSpec.sqrt(a, spec), Math.sqrt(a, oz));
    }

    function test_mulDiv_revertsOnlyPastTheRange() public {
        vm.expectRevert();
        this.specMulDiv(uint256(type(uint128).max) + 2, uint256(type(uint128).max) + 2, 1, 0);
        // OpenZeppelin goes on where the product overflows but the quotient fits.
        assertEq(this.ozMulDiv(uint256(1) << 200, uint256(1) << 100, uint256(1) << 60, 0), uint256(1) << 240);
        assertEq(this.specMulDiv(type(uint128).max, type(uint128).max, type(uint128).max, 1), type(uint128).max);
    }
}
