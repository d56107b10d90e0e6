// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {VaultInvariantTest} from "./VaultInvariants.t.sol";
import {BreakerHandler} from "./BreakerHandler.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";

/// @notice The same system invariants with the breaker's hardest actions in the mix: the guardian stopping random
///         sets of actions on random entries, and "trip everything, then try to get out" (INV-27 as a property:
///         every actor must still repay, add collateral and, debt-free, withdraw it). These stop borrows for hours,
///         so they run here rather than in VaultInvariantTest, whose sequences must keep opening positions to
///         liquidate.
contract BreakerInvariantTest is VaultInvariantTest {
    /// @notice The breaker's count of active entries is exact: the entries whose *stored* status holds a reason or a
    ///         guardian mask, expired or not (the views hide an expired mask, so the words are read from storage).
    ///         BreakerState's layout: Ownable's owner 0, Ownable2Step's pending owner 1, `_params` 2, `_guardian` and
    ///         `_activeEntries` 3, `_status` 4 (checked here against the views, so a moved slot fails loudly).
    function invariant_activeEntriesExact() public view {
        uint256 guardianWord = uint256(vm.load(address(breaker), bytes32(uint256(3))));
        assertEq(address(uint160(guardianWord)), breaker.guardian(), "layout: slot 3 is not the guardian's");
        assertEq(guardianWord >> 160, breaker.activeEntries(), "layout: the count is not beside the guardian");
        MockERC20[] memory tokens = handler.collaterals();
        address[] memory entries = new address[](tokens.length + 2);
        entries[1] = address(usdc);
        for (uint256 i; i < tokens.length; ++i) entries[i + 2] = address(tokens[i]);
        uint256 active;
        for (uint256 i; i < entries.length; ++i) {
            uint256 word = uint256(vm.load(address(breaker), keccak256(abi.encode(entries[i], uint256(4)))));
            assertEq(uint16(word), breaker.entry(entries[i]).reasons, "layout: slot 4 is not the statuses");
            if (uint16(word) != 0 || uint8(word >> 16) != 0) ++active; // reasons; the guardian's mask
        }
        assertEq(breaker.activeEntries(), active, "activeEntries is not the number of active entries");
    }

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
