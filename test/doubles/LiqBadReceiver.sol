// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IFlashLiquidator} from "../../contracts/interfaces/IFlashLiquidator.sol";

/// @notice Flash-liquidation receiver that misbehaves on purpose: it answers with a wrong magic value, or, when armed,
///         calls `target` with `payload` from inside the callback and bubbles any revert (reentrancy probes).
///         Test helper only.
contract LiqBadReceiver is IFlashLiquidator {
    address public hookTarget;
    bytes public payload;

    /// @notice Makes the next callbacks call `target_` with `payload_` (zero address: answer with the wrong magic).
    function arm(address target_, bytes calldata payload_) external {
        hookTarget = target_;
        payload = payload_;
    }

    /// @inheritdoc IFlashLiquidator
    function onFlashLiquidation(
        address,
        address,
        address,
        uint256,
        uint256,
        bytes calldata
    ) external returns (bytes32) {
        address t = hookTarget;
        if (t != address(0)) {
            (bool ok, bytes memory data) = t.call(payload);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(data, 32), mload(data))
                }
            }
        }
        return keccak256("not the magic");
    }
}
