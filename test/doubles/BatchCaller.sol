// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Makes several calls in one transaction for its deployer, bubbling the first revert: proves that what one
///         call leaves behind in the transaction (a reentrancy lock in transient storage) does not block the next.
///         Test helper only.
contract BatchCaller {
    /// @notice Thrown when anyone but the deployer calls `run`.
    error NotOperator(address caller);

    address private immutable _operator;

    constructor() {
        _operator = msg.sender;
    }

    /// @notice Calls `target` with each of `calls` in turn (the deployer only); bubbles any revert.
    function run(address target, bytes[] calldata calls) external {
        if (msg.sender != _operator) revert NotOperator(msg.sender);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory result) = target.call(calls[i]);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(result, 32), mload(result))
                }
            }
        }
    }
}
