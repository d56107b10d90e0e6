// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "../../contracts/libraries/FixedPointMath.sol";

/// @notice Exposes FixedPointMath's logarithm and square root to the TypeScript tests (the differential test of
///         `lnWad` against an off-chain high-precision reference). Test helper only.
contract FixedPointMathHarness {
    /// @notice `FixedPointMath.lnWad(x)`: ln(x / WAD) × WAD; reverts `LnOfZero` on 0.
    function lnWad(uint256 x) external pure returns (int256) {
        return FixedPointMath.lnWad(x);
    }

    /// @notice `FixedPointMath.sqrtWadDown(x)`: floor(√(x / WAD) × WAD).
    function sqrtWadDown(uint256 x) external pure returns (uint256) {
        return FixedPointMath.sqrtWadDown(x);
    }
}
