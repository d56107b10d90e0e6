// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {ISolvencySnapshots} from "../../contracts/interfaces/ISolvencySnapshots.sol";

/// @title FlashSnapshotter
/// @notice A Bulwark borrower that is a contract, for the attack on solvency snapshots (issue 25, the auditor's M-3):
///         inside one transaction it adds collateral it holds only for that transaction (a flash loan's), takes a
///         reading at the health that collateral gives, and takes the collateral back out. The registry refuses
///         readings from anything but a plain EOA's own transaction (`NotAnEoa`).
contract FlashSnapshotter {
    ICollateralVault public immutable vault;
    ISolvencySnapshots public immutable registry;

    constructor(ICollateralVault vault_, ISolvencySnapshots registry_) {
        (vault, registry) = (vault_, registry_);
    }

    /// @notice Opens the position: deposits `amount` of `asset` (held by this contract) and borrows `debt`.
    function open(address asset, uint256 amount, uint256 debt) external {
        IERC20(asset).approve(address(vault), type(uint256).max);
        vault.depositCollateral(asset, amount, address(this));
        vault.borrow(debt, address(this));
    }

    /// @notice The attack: `extra` more collateral in, the snapshot, the collateral out, in one transaction.
    function flashSnapshot(address asset, uint256 extra, uint256 idCommitment) external {
        vault.depositCollateral(asset, extra, address(this));
        registry.snapshot(idCommitment);
        vault.withdrawCollateral(asset, extra, address(this));
    }
}
