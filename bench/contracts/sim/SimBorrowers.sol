// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {ICollateralVault} from "../../../contracts/interfaces/ICollateralVault.sol";

/// @title SimBorrower
/// @notice One borrower of the crash simulation's population: an account that posts collateral and borrows once, on
///         its factory's order. Simulation only: it lets the simulation open a thousand positions in a few
///         transactions instead of four per account. The vault treats it like any other account.
/// @dev Invariant: only the factory that initialised a clone can make it act.
contract SimBorrower {
    using SafeERC20 for IERC20;

    /// @notice Thrown when anyone but the factory calls, or `initialize` is called twice.
    error NotFactory(address caller);
    /// @notice Thrown when the asset and amount lists differ in length.
    error LengthMismatch(uint256 assets, uint256 amounts);

    /// @notice The factory that controls this borrower (zero until initialised).
    address public factory;

    /// @notice Binds this clone to its factory (the caller). Once.
    function initialize() external {
        if (factory != address(0)) revert NotFactory(msg.sender);
        factory = msg.sender;
    }

    /// @notice Posts `amounts` of `assets` (held by this contract) as collateral and borrows `borrowAmount` to `to`.
    /// @param vault The vault.
    /// @param assets Collateral tokens.
    /// @param amounts Units of each.
    /// @param borrowAmount Base units to borrow (0: none).
    /// @param to Recipient of the borrowed base asset.
    function open(
        ICollateralVault vault,
        address[] calldata assets,
        uint256[] calldata amounts,
        uint256 borrowAmount,
        address to
    ) external {
        if (msg.sender != factory) revert NotFactory(msg.sender);
        if (assets.length != amounts.length) revert LengthMismatch(assets.length, amounts.length);
        for (uint256 i; i < assets.length; ++i) {
            IERC20(assets[i]).forceApprove(address(vault), amounts[i]);
            vault.depositCollateral(assets[i], amounts[i], address(this));
        }
        if (borrowAmount != 0) vault.borrow(borrowAmount, to);
    }
}

/// @title SimBorrowerFactory
/// @notice Opens the crash simulation's borrower population in batches: each position is a fresh `SimBorrower`
///         clone funded from this contract's token balances. Simulation only; owned by the simulation's deployer.
/// @dev Invariant: only the owner opens positions; tokens leave this contract only into a clone it just created.
contract SimBorrowerFactory {
    using SafeERC20 for IERC20;

    /// @notice One position to open.
    struct Position {
        address[] assets;
        uint256[] amounts;
        uint256 borrow;
    }

    /// @notice Thrown when anyone but the owner calls.
    error NotOwner(address caller);

    /// @notice Emitted for each borrower opened, in order.
    event BorrowerOpened(address indexed borrower, uint256 borrowed);

    /// @notice The implementation every borrower clones.
    address public immutable implementation;
    /// @notice Who may open positions.
    address public immutable owner;

    constructor() {
        implementation = address(new SimBorrower());
        owner = msg.sender;
    }

    /// @notice Opens `positions` on `vault`; borrowed funds go to `to`.
    /// @param vault The vault.
    /// @param positions The positions, each funded from this contract's balances.
    /// @param to Recipient of everything borrowed.
    /// @return borrowers The new accounts, in order.
    function openMany(
        ICollateralVault vault,
        Position[] calldata positions,
        address to
    ) external returns (address[] memory borrowers) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        borrowers = new address[](positions.length);
        for (uint256 i; i < positions.length; ++i) {
            Position calldata p = positions[i];
            SimBorrower borrower = SimBorrower(Clones.clone(implementation));
            borrower.initialize();
            for (uint256 j; j < p.assets.length; ++j) {
                IERC20(p.assets[j]).safeTransfer(address(borrower), p.amounts[j]);
            }
            borrower.open(vault, p.assets, p.amounts, p.borrow, to);
            borrowers[i] = address(borrower);
            emit BorrowerOpened(address(borrower), p.borrow);
        }
    }
}
