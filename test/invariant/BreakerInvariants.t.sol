// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VaultInvariantTest} from "./VaultInvariants.t.sol";
import {BreakerHandler} from "./BreakerHandler.sol";

/// @notice The same system invariants with the breaker's hardest actions in the mix: the guardian stopping random
///         sets of actions on random entries, and "trip everything, then try to get out" (INV-27 as a property:
///         every actor must still repay, add collateral and, debt-free, withdraw it). These stop borrows for hours,
///         so they run here rather than in VaultInvariantTest, whose sequences must keep opening positions to
///         liquidate.
contract BreakerInvariantTest is VaultInvariantTest {
    function _breakerSelectors() internal pure override returns (bytes4[] memory selectors) {
        selectors = new bytes4[](7);
        selectors[0] = BreakerHandler.poke.selector;
        selectors[1] = BreakerHandler.poke.selector;
        selectors[2] = BreakerHandler.claim.selector;
        selectors[3] = BreakerHandler.claim.selector;
        selectors[4] = BreakerHandler.guardianTrip.selector;
        selectors[5] = BreakerHandler.tripEverything.selector;
        selectors[6] = BreakerHandler.tripEverything.selector;
    }
}
