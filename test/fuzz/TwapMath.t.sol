// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {TwapMath} from "../../contracts/libraries/TwapMath.sol";

/// @notice Tests of the TWAP math: fixed points published by Uniswap, monotonicity, reciprocal symmetry, mean-tick
///         rounding and the price conversion across decimals and pool sides.
contract TwapMathTest is Test {
    uint256 internal constant Q96 = 1 << 96;

    /// @dev Wrapper so reverts of the internal library surface as external reverts.
    function sqrtAt(int24 tick) external pure returns (uint160) {
        return TwapMath.sqrtRatioAtTick(tick);
    }

    function test_sqrtRatio_fixedPoints() public pure {
        assertEq(TwapMath.sqrtRatioAtTick(0), Q96);
        // Uniswap v3's MIN_SQRT_RATIO and MAX_SQRT_RATIO.
        assertEq(TwapMath.sqrtRatioAtTick(TwapMath.MIN_TICK), 4295128739);
        assertEq(TwapMath.sqrtRatioAtTick(TwapMath.MAX_TICK), 1461446703485210103287273052203988822378723970342);
    }

    function test_sqrtRatio_outOfRangeReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TwapMath.TickOutOfRange.selector, int256(TwapMath.MAX_TICK) + 1));
        this.sqrtAt(TwapMath.MAX_TICK + 1);
        vm.expectRevert(abi.encodeWithSelector(TwapMath.TickOutOfRange.selector, int256(TwapMath.MIN_TICK) - 1));
        this.sqrtAt(TwapMath.MIN_TICK - 1);
    }

    function testFuzz_sqrtRatio_strictlyIncreasing(int24 tick) public pure {
        tick = int24(bound(tick, TwapMath.MIN_TICK, TwapMath.MAX_TICK - 1));
        assertLt(TwapMath.sqrtRatioAtTick(tick), TwapMath.sqrtRatioAtTick(tick + 1));
    }

    /// @dev √1.0001^t × √1.0001^−t = 1: the Q96 product is 2^192 within 1e-12 relative (ticks up to ±400k keep both
    ///      factors far from the Q96 precision floor).
    function testFuzz_sqrtRatio_reciprocal(int24 tick) public pure {
        tick = int24(bound(tick, -400_000, 400_000));
        uint256 product = uint256(TwapMath.sqrtRatioAtTick(tick)) * TwapMath.sqrtRatioAtTick(-tick);
        assertApproxEqRel(product, Q96 * Q96, 1e6);
    }

    /// @dev √1.0001 ratio between neighbouring ticks, to 1e-12.
    function testFuzz_sqrtRatio_step(int24 tick) public pure {
        tick = int24(bound(tick, -400_000, 400_000 - 1));
        uint256 a = TwapMath.sqrtRatioAtTick(tick);
        uint256 b = TwapMath.sqrtRatioAtTick(tick + 1);
        // √1.0001 = 1.00004999875006249609...
        assertApproxEqRel((b * 1e18) / a, 1.000049998750062496e18, 1e6);
    }

    function testFuzz_meanTick_roundsTowardsNegativeInfinity(int56 start, int32 delta, uint32 window) public pure {
        window = uint32(bound(window, 1, 7 days));
        int256 d = int256(delta);
        // Keep the mean inside the tick range.
        vm.assume(d / int256(uint256(window)) > TwapMath.MIN_TICK && d / int256(uint256(window)) < TwapMath.MAX_TICK);
        start = int56(bound(start, type(int56).min / 2, type(int56).max / 2));
        int24 mean = TwapMath.meanTick(start, int56(int256(start) + d), window);
        // mean × window ≤ delta < (mean + 1) × window
        assertLe(int256(mean) * int256(uint256(window)), d);
        assertGt((int256(mean) + 1) * int256(uint256(window)), d);
    }

    function test_priceWad_sidesAndDecimals() public pure {
        uint160 one = uint160(Q96); // 1 raw token1 per raw token0
        assertEq(TwapMath.priceWad(one, true, 18, 18), 1e18);
        assertEq(TwapMath.priceWad(one, false, 18, 18), 1e18);
        // WETH (18) as token1, USDC (6) as token0, at $3000: raw token1 per raw token0 = 1e18 / (3000 × 1e6).
        uint160 sqrtP = uint160(_isqrt((uint256(1e18) << 192) / 3000e6));
        assertApproxEqRel(TwapMath.priceWad(sqrtP, false, 18, 6), 3000e18, 1e9);
        // The same pool read from the USDC side: 1/3000 WETH per USDC.
        assertApproxEqRel(TwapMath.priceWad(sqrtP, true, 6, 18), uint256(1e18) / 3000, 1e9);
    }

    /// @dev Price of token0 in token1 and of token1 in token0 multiply to 1 (WAD²), within rounding.
    function testFuzz_priceWad_inverseSides(int24 tick, uint8 d0, uint8 d1) public pure {
        tick = int24(bound(tick, -200_000, 200_000));
        d0 = uint8(bound(d0, 0, 18));
        d1 = uint8(bound(d1, 0, 18));
        uint160 sqrtP = TwapMath.sqrtRatioAtTick(tick);
        uint256 p0 = TwapMath.priceWad(sqrtP, true, d0, d1);
        uint256 p1 = TwapMath.priceWad(sqrtP, false, d1, d0);
        vm.assume(p0 > 1e6 && p1 > 1e6); // away from the WAD precision floor
        assertApproxEqRel(p0 * p1, 1e36, 1e12);
    }

    function _isqrt(uint256 x) private pure returns (uint256 z) {
        z = x;
        uint256 y = (x + 1) / 2;
        while (y < z) {
            z = y;
            y = (x / y + y) / 2;
        }
    }
}
