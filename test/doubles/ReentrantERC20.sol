// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test token with a transfer hook (ERC-777 style) that calls back into a target: proves every vault entry
///         point is under the reentrancy lock (INV-36). Test helper only.
contract ReentrantERC20 is ERC20 {
    address public hookTarget;
    bytes public payload;
    bool public reenteredOk;
    bytes public revertData;

    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer calls `target_` with `payload_` (then disarms).
    function arm(address target_, bytes calldata payload_) external {
        hookTarget = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = hookTarget;
        if (t != address(0) && from != address(0) && to != address(0)) {
            hookTarget = address(0);
            (bool ok, bytes memory data) = t.call(payload);
            reenteredOk = ok;
            revertData = data;
        }
    }
}
