// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A borrower that is a contract and reverts on every call it did not make itself: proves a liquidation never
///         calls the borrower (it cannot block its own liquidation). Its deployer drives it through `execute`.
///         Test helper only.
contract LiqRevertingBorrower {
    /// @notice Thrown on any call other than the deployer's `execute`.
    error NoCallsAccepted(address caller);

    address private immutable _operator;

    constructor() {
        _operator = msg.sender;
    }

    /// @notice Makes this contract call `target` with `data` (the deployer only); bubbles any revert.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != _operator) revert NoCallsAccepted(msg.sender);
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }

    fallback() external payable {
        revert NoCallsAccepted(msg.sender);
    }

    receive() external payable {
        revert NoCallsAccepted(msg.sender);
    }
}
