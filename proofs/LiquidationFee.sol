// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LiquidationMath} from "../contracts/libraries/LiquidationMath.sol";

/// @notice The protocol's liquidation fee (contracts/libraries/LiquidationMath.sol) for the SMTChecker
///         (`npm run prove`), compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`. Not in CI: z3's
///         non-linear configuration answers "safe" in seconds, but its own validation of that answer (`fp.validate`)
///         does not finish within 90 s, so the prover counts it unknown.

/// @notice INV-18: the fee is at least its share of the bonus on the repayment (rounded up: self-liquidation always
///         pays it), and, at a share ≤ 100%, at most the bonus itself rounded up (it never takes more than the
///         liquidator's premium).
contract LIQ_ProtocolFeeWithinBonus {
    function check(uint256 repay, uint256 bonus, uint256 feeShare) external pure {
        uint256 fee = LiquidationMath.protocolFee(repay, bonus, feeShare);
        assert(fee * 1e36 >= repay * bonus * feeShare);
        if (feeShare <= 1e18) assert(fee <= (repay * bonus + 1e18 - 1) / 1e18);
    }
}
