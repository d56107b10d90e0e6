// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {CollateralBook} from "../contracts/core/CollateralBook.sol";
import {ICollateralVault} from "../contracts/interfaces/ICollateralVault.sol";

/// @notice A collateral config's validation (contracts/core/CollateralBook.sol) for the SMTChecker (`npm run prove`),
///         compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`. Not settled, and not in CI: `validate` guards
///         with custom-error reverts, which solc 0.8.28's checker does not model (it goes on past them:
///         proofs/fixtures/Abstracted.sol), so it reports a violation the prover must call unknown. Kept so that a
///         compiler release that models them proves it; INV-17 is tested by test/unit/CollateralVault.governance.test.ts.

/// @notice INV-17: a config `validate` accepts has 0 < threshold ≤ 95%, LTV ≤ threshold, bonus ≤ 20%, and a
///         liquidation buffer, (1 + bonus) × threshold < 1 exactly (not only as rounded).
contract BOOK_ConfigHasBuffer {
    function check(ICollateralVault.CollateralConfig calldata config) external pure {
        CollateralBook.validate(config);
        uint256 threshold = config.liquidationThreshold;
        assert(threshold > 0 && threshold <= 0.95e18 && config.borrowLtv <= threshold);
        assert(config.liquidationBonus <= 0.2e18);
        assert((1e18 + uint256(config.liquidationBonus)) * threshold < 1e36);
    }
}
