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

    /// @dev ln(2) in WAD, rounded down (0.693147180559945309417…).
    int256 internal constant LN2_WAD = 693_147_180_559_945_309;

    /// @notice Thrown by `lnWad` for a zero argument (the logarithm is −∞).
    error LnOfZero();

    /// @dev ln(x / WAD) × WAD for x > 0: WAD in, signed WAD out; reverts `LnOfZero` on 0.
    ///      Method: x = m·2^k with m in [WAD/√2, WAD·√2), then ln m = 2·atanh(z), z = (m − 1)/(m + 1), |z| < 0.1716,
    ///      summed to the z^25 term (the first term left out is below 1e-20). Every step truncates towards zero, so for
    ///      k = 0 (x in [0.7071, 1.4142] WAD: every price ratio Bulwark takes the log of between two samples) the result
    ///      is never larger in magnitude than the exact value and within 27 wei of it (measured: 20.3 wei over 23 million
    ///      inputs, test/unit/FixedPointMath.ln.test.ts); otherwise within 28 + 0.42·|k| wei (ln 2 is rounded down).
    ///      So ln(WAD − 1) reads 0. No rounding direction favours anyone: the volatility estimator squares the result.
    function lnWad(uint256 x) internal pure returns (int256) {
        if (x == 0) revert LnOfZero();
        // k = floor(log2 x) − 59, so that m = x / 2^k is in [2^59, 2^60) ≈ [0.576, 1.153] WAD; then into [1/√2, √2).
        int256 k = int256(Math.log2(x)) - 59;
        uint256 m = k >= 0 ? x >> uint256(k) : x << uint256(-k);
        if (m < 707_106_781_186_547_524) {
            // One power of two less, taken from x again so that no bit shifted out above is lost.
            k -= 1;
            m = k >= 0 ? x >> uint256(k) : x << uint256(-k);
        }
        int256 w = int256(WAD);
        int256 z = ((int256(m) - w) * w) / (int256(m) + w);
        int256 z2 = (z * z) / w;
        int256 term = z;
        int256 sum = z;
        for (int256 i = 3; i <= 25; i += 2) {
            term = (term * z2) / w;
            sum += term / i;
        }
        return k * LN2_WAD + 2 * sum;
    }

    /// @dev floor(√(x / WAD) × WAD): the square root of a WAD number, as a WAD number, rounded down.
    function sqrtWadDown(uint256 x) internal pure returns (uint256) {
        return Math.sqrt(x * WAD, Math.Rounding.Floor);
    }
}
