// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Math (specification)
/// @notice What Bulwark uses of OpenZeppelin's `Math` (5.7.0), restated in plain Solidity for the model checker, which
///         does not model OpenZeppelin's inline assembly. `npm run prove` compiles a harness file marked `spec` with
///         this file in place of OpenZeppelin's utils/math/Math.sol; nothing deployed uses it.
/// @dev The stated range: `mulDiv` here computes x × y in 256 bits, so it reverts where x × y ≥ 2^256, where
///      OpenZeppelin's 512-bit product goes on. A property proved through this file therefore holds for every input
///      whose products fit in 256 bits. Everywhere both return, they agree: `test/fuzz/MathSpec.t.sol` checks each
///      function against OpenZeppelin's over random and edge inputs.
library Math {
    /// @dev OpenZeppelin's rounding modes, in its order.
    enum Rounding {
        Floor,
        Ceil,
        Trunc,
        Expand
    }

    /// @dev floor(x × y / d); reverts on a zero `d` and where x × y ≥ 2^256 (the stated range).
    function mulDiv(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return (x * y) / d;
    }

    /// @dev x × y / d rounded as `rounding` says (up for Ceil and Expand); same range as above.
    function mulDiv(uint256 x, uint256 y, uint256 d, Rounding rounding) internal pure returns (uint256) {
        uint256 product = x * y;
        uint256 quotient = product / d;
        return unsignedRoundsUp(rounding) && product % d > 0 ? quotient + 1 : quotient;
    }

    /// @dev Whether `rounding` rounds an unsigned result up.
    function unsignedRoundsUp(Rounding rounding) internal pure returns (bool) {
        return rounding == Rounding.Ceil || rounding == Rounding.Expand;
    }

    /// @dev The smaller of `a` and `b`.
    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev The larger of `a` and `b`.
    function max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }

    /// @dev floor(log2 x), 0 for 0: the index of the highest bit set, found bit by bit.
    function log2(uint256 x) internal pure returns (uint256 r) {
        while (x > 1) {
            x >>= 1;
            ++r;
        }
    }

    /// @dev floor(√a), or ceil(√a) when `rounding` rounds up: the largest r with r² ≤ a, found bit by bit from the top.
    function sqrt(uint256 a, Rounding rounding) internal pure returns (uint256) {
        uint256 r;
        for (uint256 bit = 1 << 127; bit > 0; bit >>= 1) {
            uint256 candidate = r | bit;
            if (candidate * candidate <= a) r = candidate;
        }
        return unsignedRoundsUp(rounding) && r * r < a ? r + 1 : r;
    }
}
