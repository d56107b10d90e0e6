// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LiquidationMath} from "../contracts/libraries/LiquidationMath.sol";

/// @notice Properties of the liquidation engine's arithmetic (contracts/libraries/LiquidationMath.sol) for the
///         SMTChecker (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for
///         every input whose products fit in 256 bits (the stated range), any curve with minShare ≤ 100%.

/// @notice INV-14: the collateral seized for a repayment, valued at its price (rounded down), is never worth more than
///         the repaid value × (1 + bonus): every rounding goes against the liquidator. Any prices, any decimals ≤ 18.
contract LIQ_SeizeWithinRepayAndBonus {
    function check(
        uint256 repay,
        uint256 basePrice,
        uint8 baseDecimals,
        uint256 collateralPrice,
        uint8 collateralDecimals,
        uint256 bonus
    ) external pure {
        require(baseDecimals <= 18 && collateralDecimals <= 18);
        uint256 seize = LiquidationMath.seizeFor(
            repay,
            basePrice,
            baseDecimals,
            collateralPrice,
            collateralDecimals,
            bonus
        );
        uint256 repaid = LiquidationMath.valueDown(repay, basePrice, baseDecimals);
        assert(
            LiquidationMath.valueDown(seize, collateralPrice, collateralDecimals) <= (repaid * (1e18 + bonus)) / 1e18
        );
    }
}

/// @notice INV-14, the other way: a liquidator asking for `seize` collateral units repays at least their value
///         (rounded up) ÷ (1 + bonus): the repayment's value × (1 + bonus) covers the collateral's.
contract LIQ_RepayCoversSeize {
    function check(
        uint256 seize,
        uint256 basePrice,
        uint8 baseDecimals,
        uint256 collateralPrice,
        uint8 collateralDecimals,
        uint256 bonus
    ) external pure {
        require(baseDecimals <= 18 && collateralDecimals <= 18);
        uint256 repay = LiquidationMath.repayFor(
            seize,
            basePrice,
            baseDecimals,
            collateralPrice,
            collateralDecimals,
            bonus
        );
        assert(
            LiquidationMath.valueUp(repay, basePrice, baseDecimals) * (1e18 + bonus) >=
                LiquidationMath.valueUp(seize, collateralPrice, collateralDecimals) * 1e18
        );
    }
}
