// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title TwapMath
/// @notice Uniswap v3 time-weighted average price math in Solidity 0.8: the mean tick of a window from the pool's
///         tick cumulatives, √(1.0001^tick) in Q64.96, and the price of one whole token in another, WAD-scaled.
/// @dev The constants are 2^128 / √1.0001^(2^i), rounded down, computed with 120-digit decimal arithmetic; a tick's
///      ratio is the product of the constants of its set bits, so every tick costs at most 20 multiplications.
library TwapMath {
    /// @notice Smallest tick a Uniswap v3 pool can reach.
    int24 internal constant MIN_TICK = -887272;
    /// @notice Largest tick a Uniswap v3 pool can reach.
    int24 internal constant MAX_TICK = 887272;

    /// @notice Thrown when a tick is outside [MIN_TICK, MAX_TICK].
    error TickOutOfRange(int256 tick);
    /// @notice Thrown when the averaging window is zero.
    error ZeroWindow();

    /// @dev Arithmetic mean tick over `window` seconds from two tick cumulatives, rounded towards −∞ (as Uniswap's
    ///      oracle library does, so a mean between two ticks never rounds up the price of token0).
    function meanTick(int56 cumulativeStart, int56 cumulativeEnd, uint32 window) internal pure returns (int24) {
        if (window == 0) revert ZeroWindow();
        int256 delta = int256(cumulativeEnd) - int256(cumulativeStart);
        int256 mean = delta / int256(uint256(window));
        if (delta < 0 && delta % int256(uint256(window)) != 0) mean -= 1;
        if (mean < MIN_TICK || mean > MAX_TICK) revert TickOutOfRange(mean);
        return int24(mean);
    }

    /// @dev √(1.0001^tick) as a Q64.96, rounded up in the last step (matching the pool's own convention).
    function sqrtRatioAtTick(int24 tick) internal pure returns (uint160) {
        if (tick < MIN_TICK || tick > MAX_TICK) revert TickOutOfRange(tick);
        uint256 absTick = tick < 0 ? uint256(-int256(tick)) : uint256(int256(tick));
        // ratio = 2^128 × √1.0001^(−|tick|), as a Q128.128, built bit by bit.
        uint256 ratio = 1 << 128;
        for (uint256 i; absTick != 0; ++i) {
            if (absTick & 1 != 0) ratio = (ratio * _inverseSqrtPower(i)) >> 128;
            absTick >>= 1;
        }
        // Positive ticks: invert. type(uint256).max / ratio ≈ 2^256 / ratio, the Q128.128 of √1.0001^tick.
        if (tick > 0) ratio = type(uint256).max / ratio;
        // Q128.128 → Q64.96, rounding up.
        return uint160((ratio >> 32) + (ratio % (1 << 32) == 0 ? 0 : 1));
    }

    /// @dev Price of one whole `base` token in `quote` tokens, WAD-scaled, rounded down, from the pool's √price
    ///      (token1 per token0, raw units). `baseIsToken0` says which side of the pool `base` is.
    function priceWad(
        uint160 sqrtPriceX96,
        bool baseIsToken0,
        uint8 baseDecimals,
        uint8 quoteDecimals
    ) internal pure returns (uint256) {
        // token1 per token0 in raw units, as a Q128: √p² / 2^64 (< 2^256 since √p < 2^160).
        uint256 ratioX128 = Math.mulDiv(sqrtPriceX96, sqrtPriceX96, 1 << 64);
        if (baseIsToken0) {
            // quote per whole base = ratio × 10^baseDecimals / 10^quoteDecimals, in WAD.
            return Math.mulDiv(ratioX128, 10 ** (uint256(baseDecimals) + 18), uint256(10 ** quoteDecimals) << 128);
        }
        // base is token1: quote (token0) per whole base = 10^baseDecimals / (ratio × 10^quoteDecimals), in WAD.
        return Math.mulDiv(1 << 128, 10 ** (uint256(baseDecimals) + 18), ratioX128) / 10 ** quoteDecimals;
    }

    /// @dev 2^128 / √1.0001^(2^i), rounded down, for i in [0, 19].
    function _inverseSqrtPower(uint256 i) private pure returns (uint256) {
        if (i < 10) {
            if (i == 0) return 0xfffcb933bd6fad37aa2d162d1a594001;
            if (i == 1) return 0xfff97272373d413259a46990580e2139;
            if (i == 2) return 0xfff2e50f5f656932ef12357cf3c7fdcb;
            if (i == 3) return 0xffe5caca7e10e4e61c3624eaa0941ccf;
            if (i == 4) return 0xffcb9843d60f6159c9db58835c926643;
            if (i == 5) return 0xff973b41fa98c081472e6896dfb254bf;
            if (i == 6) return 0xff2ea16466c96a3843ec78b326b52860;
            if (i == 7) return 0xfe5dee046a99a2a811c461f1969c3052;
            if (i == 8) return 0xfcbe86c7900a88aedcffc83b479aa3a3;
            return 0xf987a7253ac413176f2b074cf7815e53;
        }
        if (i == 10) return 0xf3392b0822b70005940c7a398e4b70f2;
        if (i == 11) return 0xe7159475a2c29b7443b29c7fa6e889d8;
        if (i == 12) return 0xd097f3bdfd2022b8845ad8f792aa5825;
        if (i == 13) return 0xa9f746462d870fdf8a65dc1f90e061e4;
        if (i == 14) return 0x70d869a156d2a1b890bb3df62baf32f6;
        if (i == 15) return 0x31be135f97d08fd981231505542fcfa5;
        if (i == 16) return 0x9aa508b5b7a84e1c677de54f3e99bc8;
        if (i == 17) return 0x5d6af8dedb81196699c329225ee604;
        if (i == 18) return 0x2216e584f5fa1ea926041bedfe97;
        return 0x48a170391f7dc42444e8fa2;
    }
}
