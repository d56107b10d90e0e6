// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IFlashLiquidator} from "../../contracts/interfaces/IFlashLiquidator.sol";

/// @notice A flash liquidation receiver that misbehaves on demand: it pays from its own balance (the well-behaved
///         control), answers with the wrong magic, returns without approving the vault, or calls back into the vault
///         or the engine during its callback. Test helper only; never deployed to a live chain.
contract FlashTestReceiver is IFlashLiquidator {
    using SafeERC20 for IERC20;

    /// @notice What the next callbacks do.
    enum Mode {
        Pay,
        WrongMagic,
        NoApproval,
        Reenter
    }

    bytes32 private constant CALLBACK_SUCCESS = keccak256("Bulwark.onFlashLiquidation");

    /// @notice The vault that calls back and pulls the base asset.
    address public immutable vault;
    /// @notice The base asset owed.
    IERC20 public immutable base;

    /// @notice Current behaviour.
    Mode public mode;
    /// @notice Contract the Reenter mode calls.
    address public reentryTarget;
    /// @notice Calldata the Reenter mode sends.
    bytes public payload;
    /// @notice Whether a failed reentrant call reverts the whole callback (else it is recorded and the callback pays).
    bool public bubble;

    /// @notice Callbacks received.
    uint256 public calls;
    /// @notice Whether the last reentrant call succeeded.
    bool public reenteredOk;
    /// @notice What the last reentrant call returned or reverted with.
    bytes public reenterResult;
    /// @notice The last callback's arguments.
    address public lastInitiator;
    /// @notice The last callback's borrower.
    address public lastBorrower;
    /// @notice The last callback's seized amount.
    uint256 public lastSeized;
    /// @notice The last callback's owed amount.
    uint256 public lastOwed;

    /// @param vault_ The vault.
    /// @param base_ The vault's base asset.
    constructor(address vault_, IERC20 base_) {
        vault = vault_;
        base = base_;
    }

    /// @notice Sets what the next callbacks do.
    /// @param mode_ The behaviour.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Arms the Reenter mode: the callback calls `target_` with `payload_`.
    /// @param target_ Contract to call.
    /// @param payload_ Calldata.
    /// @param bubble_ Whether a revert of that call reverts the callback.
    function arm(address target_, bytes calldata payload_, bool bubble_) external {
        mode = Mode.Reenter;
        reentryTarget = target_;
        payload = payload_;
        bubble = bubble_;
    }

    /// @notice Makes any call from this contract (test setup: approvals, deposits, a control call outside a callback).
    /// @param to Contract to call.
    /// @param data Calldata.
    /// @return result What the call returned; reverts with its revert data.
    function execute(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) _revertWith(result);
    }

    /// @inheritdoc IFlashLiquidator
    function onFlashLiquidation(
        address initiator,
        address borrower,
        address,
        uint256 seized,
        uint256 owed,
        bytes calldata
    ) external returns (bytes32) {
        ++calls;
        (lastInitiator, lastBorrower, lastSeized, lastOwed) = (initiator, borrower, seized, owed);
        Mode m = mode;
        if (m == Mode.Reenter) {
            (bool ok, bytes memory result) = reentryTarget.call(payload);
            if (!ok && bubble) _revertWith(result);
            (reenteredOk, reenterResult) = (ok, result);
        }
        if (m != Mode.NoApproval) base.forceApprove(vault, owed);
        return m == Mode.WrongMagic ? keccak256("Bulwark.somethingElse") : CALLBACK_SUCCESS;
    }

    function _revertWith(bytes memory data) private pure {
        assembly {
            revert(add(data, 32), mload(data))
        }
    }
}
