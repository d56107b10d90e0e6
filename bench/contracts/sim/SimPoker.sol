// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../../../contracts/interfaces/ICircuitBreaker.sol";

/// @title SimPoker
/// @notice The replay keeper's breaker pokes of one block, in one transaction instead of one each. Simulation only:
///         `poke` is permissionless and reads nothing of its caller, so the entries end as their own transactions
///         would leave them, in the same order in the same block.
/// @dev Each poke gets `gasEach` and runs alone: one that reverts or runs out is skipped, as its own transaction's
///      revert would leave nothing behind. A transaction given too little gas to hand each poke its `gasEach` reverts
///      (`NotEnoughGas`) rather than starve them: the adapter's reads refuse to run short, so a starved poke could
///      trip nothing that a real one would.
contract SimPoker {
    /// @notice Thrown when too little gas is left to give the next poke its whole `gasEach`.
    error NotEnoughGas(uint256 left, uint256 needed);

    /// @notice Pokes each of `entries` on `breaker`, in order.
    /// @param breaker The circuit breaker.
    /// @param entries The entries (address(0): the global one).
    /// @param gasEach Gas each poke gets.
    function pokeAll(ICircuitBreaker breaker, address[] calldata entries, uint256 gasEach) external {
        // EIP-150 passes on at most 63/64 of what is left after the call's own cost.
        uint256 needed = gasEach + gasEach / 63 + 10_000;
        for (uint256 i; i < entries.length; ++i) {
            if (gasleft() < needed) revert NotEnoughGas(gasleft(), needed);
            try breaker.poke{gas: gasEach}(entries[i]) {} catch {}
        }
    }
}
