// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LiquidationMath} from "../contracts/libraries/LiquidationMath.sol";

/// @notice Properties of the liquidation engine's arithmetic (contracts/libraries/LiquidationMath.sol) for the
///         SMTChecker (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for
///         every input whose products fit in 256 bits (the stated range), any curve with minShare ≤ 100%.

/// @notice A solvent account's bonus never exceeds its collateral margin: after the cut, (1 + bonus) × debt ≤
///         collateral, so closing it cannot make it insolvent; and the cut never raises a bonus.
contract LIQ_SolventBonusWithinMargin {
    function check(uint256 bonus, uint256 collateralValue, uint256 debtValue) external pure {
        uint256 capped = LiquidationMath.capForSolvency(bonus, collateralValue, debtValue);
        assert(capped <= bonus);
        if (collateralValue >= debtValue && debtValue > 0) {
            assert((1e18 + capped) * debtValue <= collateralValue * 1e18);
        }
    }
}
