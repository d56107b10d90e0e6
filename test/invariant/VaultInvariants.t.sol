// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {MockERC20} from "../../contracts/test/MockERC20.sol";
import {VaultFixture} from "../utils/VaultFixture.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";

/// @notice The vault's system invariants, each a function named after its ID in InvariantsSpec, checked after
///         every call of random action sequences driven by VaultHandler (runs × depth set in hardhat.config.ts;
///         `npm run fuzz` raises them).
contract VaultInvariantTest is StdInvariant, Test, VaultFixture {
    VaultHandler internal handler;

    function setUp() public {
        _deployMarket();
        handler = new VaultHandler(vault, usdc, collaterals, oracle);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = VaultHandler.deposit.selector;
        selectors[1] = VaultHandler.mint.selector;
        selectors[2] = VaultHandler.withdraw.selector;
        selectors[3] = VaultHandler.redeem.selector;
        selectors[4] = VaultHandler.roundTrip.selector;
        selectors[5] = VaultHandler.depositCollateral.selector;
        selectors[6] = VaultHandler.depositCollateral.selector; // twice: positions need collateral to borrow
        selectors[7] = VaultHandler.withdrawCollateral.selector;
        selectors[8] = VaultHandler.borrow.selector;
        selectors[9] = VaultHandler.repay.selector;
        selectors[10] = VaultHandler.movePrice.selector;
        selectors[11] = VaultHandler.warp.selector;
        selectors[12] = VaultHandler.donate.selector;
        selectors[13] = VaultHandler.setPriceStatus.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev Post-conditions checked inside the handler (INV-06, INV-07, INV-09, INV-11/12, INV-12/22 doubted prices,
    ///      INV-27/35 repay and add-collateral always open) recorded no violation.
    function invariant_handlerPostConditions() public view {
        string memory violation = handler.violation();
        assertEq(bytes(violation).length, 0, violation);
    }

    function invariant_INV01_debtSum() public view {
        address[] memory accounts = handler.actors();
        uint256 sum;
        for (uint256 i; i < accounts.length; ++i) sum += vault.debtOf(accounts[i]);
        uint256 total = vault.totalDebt();
        assertGe(sum, total, InvariantsSpec.INV_01_DEBT_SUM);
        assertLe(sum, total + accounts.length, InvariantsSpec.INV_01_DEBT_SUM);
    }

    /// @dev Net principal borrowed never exceeds net supplied: the vault's booked cash equals an independent ghost
    ///      model of every base-asset flow (and cash is unsigned). Checked against the ghost, not against totalAssets,
    ///      which is defined from cash and debt and would make the comparison a tautology.
    function invariant_INV02_borrowedWithinSupplied() public view {
        assertEq(
            vault.cash(),
            handler.ghostBaseIn() - handler.ghostBaseOut(),
            InvariantsSpec.INV_02_BORROWED_LE_SUPPLIED
        );
    }

    function invariant_INV03_baseBacked() public view {
        assertGe(usdc.balanceOf(address(vault)), vault.cash(), InvariantsSpec.INV_03_BASE_BACKED);
    }

    function invariant_INV03_collateralBacked() public view {
        MockERC20[] memory tokens = handler.collaterals();
        address[] memory accounts = handler.actors();
        for (uint256 t; t < tokens.length; ++t) {
            address token = address(tokens[t]);
            (, , uint256 totalDeposited) = vault.collateralInfo(token);
            uint256 sum;
            for (uint256 a; a < accounts.length; ++a) sum += vault.collateralOf(accounts[a], token);
            assertEq(sum, totalDeposited, InvariantsSpec.INV_03_COLLATERAL_BACKED);
            assertGe(tokens[t].balanceOf(address(vault)), totalDeposited, InvariantsSpec.INV_03_COLLATERAL_BACKED);
            assertEq(
                totalDeposited,
                handler.ghostCollateralIn(token) - handler.ghostCollateralOut(token),
                InvariantsSpec.INV_03_GHOST_COLLATERAL
            );
        }
    }

    function invariant_INV04_totalAssetsIdentity() public view {
        assertEq(
            vault.totalAssets(),
            vault.cash() + vault.totalDebt() - vault.reserves(),
            InvariantsSpec.INV_04_TOTAL_ASSETS
        );
    }

    function invariant_INV10_accrualNotInFuture() public view {
        assertLe(vault.lastAccrual(), block.timestamp, InvariantsSpec.INV_10_ACCRUAL_TIME);
    }
}
