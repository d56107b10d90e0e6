// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {FLASH_CALLBACK_SUCCESS, IFlashLiquidator} from "../interfaces/IFlashLiquidator.sol";
import {TokenTransfers} from "../libraries/TokenTransfers.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {LendingBook} from "./LendingBook.sol";
import {LossLedger} from "./LossLedger.sol";

/// @title LiquidationSettlement
/// @notice Carries out a liquidation the engine has priced, on the vault's books: an external library the vault calls
///         by DELEGATECALL from `executeLiquidation`, after checking the caller is the engine, taking its lock and
///         accruing interest. Its code is deployed once, here, which keeps the vault's own code small.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - Never more debt repaid than the account owes, nor more collateral seized than it holds.
///      - Effects first: the debt is gone, the collateral moved, cash and fee booked and the provision set to what the
///        account keeps (issue 19, property 2) before any token moves or any callback runs; the `Liquidated` event is
///        emitted with them.
///      - The provision kept never exceeds the debt left.
///      - INV-37 the base asset comes in with `pullExact`: exactly `repay + fee`, or the whole liquidation reverts.
///      - A flash receiver is called only when there is data, and must answer FLASH_CALLBACK_SUCCESS.
library LiquidationSettlement {
    using SafeERC20 for IERC20;
    using TokenTransfers for IERC20;
    using LendingBook for LendingBook.Book;
    using CollateralBook for CollateralBook.Book;
    using LossLedger for LossLedger.Ledger;

    /// @notice Settles `settlement` (see `ICollateralVault.executeLiquidation`), interest already accrued.
    /// @dev Reverts with `ZeroAmount`, `AssetNotListed`, `LiquidationExceedsPosition`, `ProvisionExceedsDebt`,
    ///      `FlashCallbackFailed`, `TransferAmountMismatch`.
    /// @param lending The vault's lending book.
    /// @param collateral The vault's collateral book.
    /// @param losses The vault's loss ledger.
    /// @param settlement The liquidation as the engine priced it.
    /// @param data Flash callback data (empty: the payer pays directly).
    /// @param base The base asset.
    function execute(
        LendingBook.Book storage lending,
        CollateralBook.Book storage collateral,
        LossLedger.Ledger storage losses,
        ICollateralVault.Settlement calldata settlement,
        bytes calldata data,
        IERC20 base
    ) external {
        if (settlement.repay == 0 || settlement.seize == 0) revert ICollateralVault.ZeroAmount();
        CollateralBook.Asset storage record = collateral.listed(settlement.asset);
        uint256 debt = lending.debtOf(settlement.borrower, lending.borrowIndex);
        uint256 held = collateral.balances[settlement.borrower][settlement.asset].amount;
        if (settlement.repay > debt || settlement.seize > held) {
            revert ICollateralVault.LiquidationExceedsPosition(debt, settlement.repay, held, settlement.seize);
        }

        lending.decreaseDebt(settlement.borrower, settlement.repay, settlement.repay == debt);
        collateral.decrease(
            lending.positions[settlement.borrower],
            settlement.borrower,
            settlement.asset,
            record,
            held,
            settlement.seize
        );
        uint256 owed = settlement.repay + settlement.fee;
        lending.cash = SafeCast.toUint128(lending.cash + owed);
        uint256 reserves = lending.reserves;
        lending.reserves = LendingBook.capped(reserves + settlement.fee);
        _keepProvision(lending, losses, settlement, reserves);
        emit ICollateralVault.Liquidated(
            settlement.borrower,
            settlement.asset,
            settlement.receiver,
            settlement.payer,
            settlement.repay,
            settlement.seize,
            settlement.fee
        );

        IERC20(settlement.asset).safeTransfer(settlement.receiver, settlement.seize);
        if (data.length != 0) _flashCallback(settlement, owed, data);
        base.pullExact(settlement.payer, owed);
    }

    /// @dev Sets the provision the borrower keeps after its liquidation (0 clears it), at most the debt it has left;
    ///      what the liquidation adds to `totalAssets` at once is held back (reserves stood at `reservesBefore`), and the
    ///      backstop holds what the provisions need past reserves.
    function _keepProvision(
        LendingBook.Book storage lending,
        LossLedger.Ledger storage losses,
        ICollateralVault.Settlement calldata settlement,
        uint256 reservesBefore
    ) private {
        address borrower = settlement.borrower;
        uint256 provision = settlement.provision;
        uint256 debt = provision == 0 ? 0 : lending.debtOf(borrower, lending.borrowIndex);
        if (provision > debt) revert ICollateralVault.ProvisionExceedsDebt(debt, provision);
        // Most liquidations: nothing booked before or after, and nothing more to run.
        if (losses.provision[borrower] == provision) return;
        losses.keepProvision(borrower, provision, debt, settlement.fee, reservesBefore);
    }

    /// @dev Calls a flash liquidation's receiver, which must answer with FLASH_CALLBACK_SUCCESS.
    function _flashCallback(
        ICollateralVault.Settlement calldata settlement,
        uint256 owed,
        bytes calldata data
    ) private {
        bytes32 magic = IFlashLiquidator(settlement.receiver).onFlashLiquidation(
            settlement.initiator,
            settlement.borrower,
            settlement.asset,
            settlement.seize,
            owed,
            data
        );
        if (magic != FLASH_CALLBACK_SUCCESS) revert ICollateralVault.FlashCallbackFailed(settlement.receiver);
    }
}
