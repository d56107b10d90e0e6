// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IMorpho, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";

/// @title SimMorphoBorrower
/// @notice One borrower of the crash simulation's population on Morpho Blue: an account that posts collateral and
///         borrows once in each of its markets, on its factory's order. Morpho's `borrow` must come from the position's
///         owner (or someone it authorised), so the borrower itself calls it. Simulation only.
/// @dev Invariant: only the factory that initialised a clone can make it act; it only ever acts for itself
///      (`onBehalf` is always this contract).
contract SimMorphoBorrower {
    using SafeERC20 for IERC20;

    /// @notice Thrown when anyone but the factory calls, or `initialize` is called twice.
    error NotFactory(address caller);
    /// @notice Thrown when the market, collateral and borrow lists differ in length.
    error LengthMismatch(uint256 markets, uint256 collateral, uint256 borrows);

    /// @notice The factory that controls this borrower (zero until initialised).
    address public factory;

    /// @notice Binds this clone to its factory (the caller). Once.
    function initialize() external {
        if (factory != address(0)) revert NotFactory(msg.sender);
        factory = msg.sender;
    }

    /// @notice In each market `i` with `collateral[i] > 0`: posts `collateral[i]` of its collateral token (held by
    ///         this contract) and borrows `borrows[i]` of its loan token to `to` (none when zero).
    /// @param morpho The Morpho Blue instance.
    /// @param markets The markets.
    /// @param collateral Collateral units to post in each market (0: no position there).
    /// @param borrows Loan units to borrow in each market.
    /// @param to Recipient of everything borrowed.
    function open(
        IMorpho morpho,
        MarketParams[] calldata markets,
        uint256[] calldata collateral,
        uint256[] calldata borrows,
        address to
    ) external {
        if (msg.sender != factory) revert NotFactory(msg.sender);
        if (markets.length != collateral.length || markets.length != borrows.length) {
            revert LengthMismatch(markets.length, collateral.length, borrows.length);
        }
        for (uint256 i; i < markets.length; ++i) {
            if (collateral[i] == 0) continue;
            IERC20(markets[i].collateralToken).forceApprove(address(morpho), collateral[i]);
            morpho.supplyCollateral(markets[i], collateral[i], address(this), "");
            if (borrows[i] != 0) morpho.borrow(markets[i], borrows[i], 0, address(this), to);
        }
    }
}

/// @title SimMorphoBorrowerFactory
/// @notice Opens the crash simulation's borrower population on Morpho Blue in batches: each account is a fresh
///         `SimMorphoBorrower` clone funded from this contract's token balances, holding one position per collateral
///         it posts. Simulation only; owned by the simulation's deployer.
/// @dev Invariant: only the owner opens positions; tokens leave this contract only into a clone it just created, and
///      only the collateral that clone posts.
contract SimMorphoBorrowerFactory {
    using SafeERC20 for IERC20;

    /// @notice One account to open: per market of `openMany`'s list, collateral to post (0: none) and loan to borrow.
    struct Account {
        uint256[] collateral;
        uint256[] borrows;
    }

    /// @notice Thrown when anyone but the owner calls.
    error NotOwner(address caller);
    /// @notice Thrown when an account's lists are not as long as the market list.
    error LengthMismatch(uint256 markets, uint256 collateral, uint256 borrows);

    /// @notice Emitted for each borrower opened, in order: its address and the loan units it borrowed in all markets.
    event BorrowerOpened(address indexed borrower, uint256 borrowed);

    /// @notice The implementation every borrower clones.
    address public immutable implementation;
    /// @notice Who may open positions.
    address public immutable owner;

    constructor() {
        implementation = address(new SimMorphoBorrower());
        owner = msg.sender;
    }

    /// @notice Opens `accounts` on `morpho` over `markets`; borrowed funds go to `to`.
    /// @param morpho The Morpho Blue instance.
    /// @param markets The markets every account's lists index.
    /// @param accounts The accounts, each funded from this contract's balances.
    /// @param to Recipient of everything borrowed.
    /// @return borrowers The new accounts, in order.
    function openMany(
        IMorpho morpho,
        MarketParams[] calldata markets,
        Account[] calldata accounts,
        address to
    ) external returns (address[] memory borrowers) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        borrowers = new address[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            Account calldata a = accounts[i];
            if (a.collateral.length != markets.length || a.borrows.length != markets.length) {
                revert LengthMismatch(markets.length, a.collateral.length, a.borrows.length);
            }
            SimMorphoBorrower borrower = SimMorphoBorrower(Clones.clone(implementation));
            borrower.initialize();
            uint256 borrowed;
            for (uint256 j; j < markets.length; ++j) {
                if (a.collateral[j] == 0) continue;
                IERC20(markets[j].collateralToken).safeTransfer(address(borrower), a.collateral[j]);
                borrowed += a.borrows[j];
            }
            borrower.open(morpho, markets, a.collateral, a.borrows, to);
            borrowers[i] = address(borrower);
            emit BorrowerOpened(address(borrower), borrowed);
        }
    }
}
