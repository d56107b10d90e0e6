// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title FixedPointMath
/// @notice The one place Bulwark does fixed-point arithmetic. Every function names its rounding direction;
///         call sites pick the direction that favours the protocol (debt up, collateral value and shares out down).
/// @dev Scales: WAD = 1e18 (ratios, prices, per-second rates), RAY = 1e27 (the borrow index).
///      All functions revert on overflow of the final result and on a zero divisor (OZ `Math.mulDiv`).
library FixedPointMath {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant RAY = 1e27;

    /// @dev floor(x * y / d) with full 512-bit intermediate precision.
    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return Math.mulDiv(x, y, d, Math.Rounding.Floor);
    }

    /// @dev ceil(x * y / d) with full 512-bit intermediate precision.
    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        return Math.mulDiv(x, y, d, Math.Rounding.Ceil);
    }

    /// @dev floor(x * y / WAD).
    function wadMulDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD, Math.Rounding.Floor);
    }

    /// @dev ceil(x * y / WAD).
    function wadMulUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD, Math.Rounding.Ceil);
    }

    /// @dev floor(x * WAD / y).
    function wadDivDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y, Math.Rounding.Floor);
    }

    /// @dev ceil(x * WAD / y).
    function wadDivUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y, Math.Rounding.Ceil);
    }

    /// @dev Growth factor, in RAY, of a balance compounding continuously at `ratePerSecondWad` for `elapsed`
    ///      seconds: e^(r·t) approximated by its Taylor expansion 1 + x + x²/2 + x³/6 with x = r·t, every term
    ///      rounded up (debt grows, so rounding up favours the protocol). The truncation error is below x⁴/24:
    ///      under 5e-6 for x ≤ 0.1, i.e. a 100% APR left unaccrued for five weeks. Interest accrues on every
    ///      interaction, so x is normally tiny. The vault caps r (MAX_BORROW_RATE), which bounds x per second.
    function compoundFactorUp(uint256 ratePerSecondWad, uint256 elapsed) internal pure returns (uint256) {
        // x in RAY: r (WAD) · t · 1e9.
        uint256 x = ratePerSecondWad * elapsed * 1e9;
        uint256 x2 = Math.mulDiv(x, x, 2 * RAY, Math.Rounding.Ceil);
        uint256 x3 = Math.mulDiv(x2, x, 3 * RAY, Math.Rounding.Ceil);
        return RAY + x + x2 + x3;
    }
}
