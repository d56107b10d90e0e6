// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// What a flash liquidation's receiver must return from `onFlashLiquidation`.
bytes32 constant FLASH_CALLBACK_SUCCESS = keccak256("Bulwark.onFlashLiquidation");

/// @title IFlashLiquidator
/// @notice The callback of a flash liquidation. The vault sends the seized collateral to the receiver first, calls
///         this, then pulls `owed` of the base asset from the receiver; the call must return
///         `FLASH_CALLBACK_SUCCESS` (`keccak256("Bulwark.onFlashLiquidation")`), so no contract that never agreed to
///         pay can be made to.
interface IFlashLiquidator {
    /// @notice Called by the vault after `seized` units of `collateral` reached the receiver.
    /// @param initiator Who asked the engine for this liquidation; a receiver should accept only its own operators.
    /// @param borrower The liquidated account.
    /// @param collateral The seized asset.
    /// @param seized Units of `collateral` received.
    /// @param owed Base units the vault pulls from the receiver when this returns (repaid debt plus protocol fee).
    /// @param data Opaque data the initiator passed through the engine.
    /// @return magic `FLASH_CALLBACK_SUCCESS`.
    function onFlashLiquidation(
        address initiator,
        address borrower,
        address collateral,
        uint256 seized,
        uint256 owed,
        bytes calldata data
    ) external returns (bytes32 magic);
}
