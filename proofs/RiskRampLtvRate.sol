// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {CollateralBook} from "../contracts/core/CollateralBook.sol";
import {ICollateralVault} from "../contracts/interfaces/ICollateralVault.sol";

/// @notice INV-38: between any two times `dt` seconds apart, the effective LTV rises at most half a point an hour (plus
///         1 wei), whatever its threshold does (it may fall at once).
///         The ramp is seen at two times: `late` and `early` are two possible starts of it, so now is `now − late`
///         and `now − early` seconds into it, `dt = late − early` apart; through storage only (the checker reads
///         storage a call changed correctly; see proofs/fixtures/Refuted.sol for memory). Full uint64 values and
///         uint40 times. One property per file: together the checker does not settle them.
contract RAMP_LtvRate {
    CollateralBook.Asset internal record;

    function check(
        uint64 ltvFrom,
        uint64 ltvTarget,
        uint64 thresholdFrom,
        uint64 thresholdTarget,
        uint40 early,
        uint40 late
    ) external {
        require(early <= late && late <= block.timestamp);
        record.ramp = ICollateralVault.RiskRamp(ltvFrom, ltvTarget, thresholdFrom, thresholdTarget);
        record.rampStart = late;
        (uint256 ltvBefore, uint256 thresholdBefore) = CollateralBook.effective(record);
        record.rampStart = early;
        (uint256 ltvAfter, uint256 thresholdAfter) = CollateralBook.effective(record);
        uint256 dt = uint256(late) - uint256(early);
        (thresholdBefore, thresholdAfter);
        if (ltvAfter > ltvBefore) assert((ltvAfter - ltvBefore) * 1 hours <= 0.005e18 * dt + 1 hours);
    }
}
