// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IVaultBackstop} from "../interfaces/IVaultBackstop.sol";
import {TokenTransfers} from "../libraries/TokenTransfers.sol";
import {BackstopLink} from "./BackstopLink.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {LendingBook} from "./LendingBook.sol";

/// @title LossLedger
/// @notice The vault's record of losses: provisions (the loss already certain on an insolvent account awaiting
///         liquidation), bad debt written off, the part of it lenders bore that recovery has not paid back, and the
///         collateral the protocol took from written-off accounts; and the reserves' two exits: a withdrawal by
///         governance and a loss they absorb. Its rare entry points (a provision, a write-off, a remainder closed,
///         a release to or a settlement from the recovery module, a reserve withdrawal) are compiled into
///         `VaultModule`, which the vault runs by DELEGATECALL on its own storage; a provision cut by a repayment is an
///         external function, deployed once here (the same way in); what a liquidation runs is compiled into the
///         vault's settlement.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - `totalProvision` == Σ `provision[account]`, and a provision never exceeds its account's debt when set. Here it
///        falls with a repayment, is set by a liquidation to what the engine says the account keeps (at most the debt
///        it leaves, `keepProvision`, before any token moves), and is cleared by a write-off or a closed remainder.
///      - INV-16 a write-off leaves its account with neither debt (the vault's part) nor collateral: every unit it held
///        becomes protocol collateral, and total deposits fall by as much.
///      - `badDebt` only grows, by exactly each write-off; `unrecoveredLoss` grows by the part neither reserves nor the backstop covered
///        and falls only by what recovery pays back, never below zero. A dust remainder closed at no loss
///        (`closeRemainder`) touches neither: free reserves paid it, and collateral worth it became the protocol's.
///      - Protocol collateral leaves only to the recovery module (the vault checks the caller), never more than held;
///        recovery proceeds repay lenders' unrecovered loss before they reach reserves.
///      - Reserves earmarked for provisions (min(reserves, Σ provisions)) are never withdrawn, nor more than cash.
///      - Losses count at once, gains slowly (issue 19, property 2): whatever a step on the loss side would add to
///        `totalAssets` at once — a provision that falls while its loss is not realised (a repayment, a flag at
///        better prices, an unflag, a liquidation that recovers part of it), recovery proceeds that repay lenders —
///        is held back and released linearly over RELEASE_PERIOD, so a deposit placed just before such a step and
///        redeemed just after it gains no more than any lender for those seconds. A new gain joins what is still held
///        with an amount-weighted end (as Yearn v3 unlocks profit), so tiny gains cannot stall a release; the price:
///        a gain arriving while a larger one is nearly released reaches the share price sooner than RELEASE_PERIOD.
///        A new loss meets what is held first. `held` never jumps up, and down only by a loss it meets.
library LossLedger {
    using SafeERC20 for IERC20;
    using TokenTransfers for IERC20;
    using CollateralBook for CollateralBook.Book;
    using LendingBook for LendingBook.Book;

    /// @notice How long a gain on the loss side (a provision released, recovery proceeds) takes to reach the share
    ///         price, linearly, when nothing else is held back: the circuit breaker's outflow window. Merged with
    ///         gains still held, it ends at the amount-weighted mean of the two ends.
    uint256 internal constant RELEASE_PERIOD = 6 hours;

    /// @dev What is still held back of released gains: `amount` at `start`, falling linearly to 0 at `end` (in memory;
    ///      stored as the ledger's `released`, `releaseStart` and `releaseEnd`).
    struct Release {
        uint128 amount;
        uint64 start;
        uint64 end;
    }

    /// @notice The vault's loss records, one storage struct.
    struct Ledger {
        uint256 badDebt; // Σ debt written off, base units
        uint256 unrecoveredLoss; // bad debt lenders bore beyond reserves that recovery has not paid back
        // One slot, which every share price reads: Σ provision, and when the release of gains now running started
        // and ends; once it has ended nothing is held back, and its amount (`released`) is not read.
        uint128 totalProvision;
        uint64 releaseStart;
        uint64 releaseEnd;
        mapping(address account => uint256) provision;
        mapping(address asset => uint256) protocolCollateral; // swept from written-off accounts
        uint128 released; // the release's amount at `releaseStart`: gains not yet in the share price
    }

    // ================================================================= the rare entry points (compiled into VaultModule)

    /// @notice Closes `account`'s solvent dust remainder: its whole debt is removed and paid from free reserves
    ///         (reserves no provision holds, so the share price does not move), `seize` of `asset` becomes the
    ///         protocol's, its provision goes. No loss is booked: the collateral taken is worth the debt. Emits
    ///         `RemainderClosed`.
    /// @dev Reverts with `NoDebt`, `RemainderNotCovered`, `AssetNotListed`, `InsufficientCollateral`.
    /// @param ledger The vault's ledger.
    /// @param book The vault's collateral book.
    /// @param lending The vault's lending book (interest accrued to now).
    /// @param account The account closed.
    /// @param asset The collateral taken.
    /// @param seize How much of it, token units.
    /// @param base The base asset.
    /// @return amount The debt closed, base units.
    function closeRemainder(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        CollateralBook.Book storage book,
        LendingBook.Book storage lending,
        address account,
        address asset,
        uint256 seize,
        IERC20 base
    ) internal returns (uint256 amount) {
        amount = lending.debtOf(account, lending.borrowIndex);
        if (amount == 0) revert ICollateralVault.NoDebt(account);
        // Only reserves no provision holds pay it, so totalAssets, and the share price, stay where they were. The
        // account's own provision (at most its debt) goes first: it earmarks nothing once the debt is paid.
        clearProvision(ledger, account);
        {
            uint256 reserves = lending.reserves;
            uint256 free = reserves > ledger.totalProvision ? reserves - ledger.totalProvision : 0;
            if (free < amount) revert ICollateralVault.RemainderNotCovered(amount, free);
            lending.decreaseDebt(account, amount, true);
            lending.reserves = uint128(reserves - amount); // ≤ reserves
            BackstopLink.lowerMark(link, reserves - amount);
        }
        CollateralBook.Asset storage record = book.listed(asset);
        uint256 held = book.balances[account][asset].amount;
        if (seize == 0 || seize > held) revert ICollateralVault.InsufficientCollateral(asset, held, seize);
        book.decrease(lending.positions[account], account, asset, record, held, seize);
        ledger.protocolCollateral[asset] += seize;
        emit ICollateralVault.RemainderClosed(account, asset, amount, seize);
        // Reserves still cover every provision: whatever the backstop held for them goes back to it.
        BackstopLink.settle(link, 0, 0, base);
    }

    /// @notice Records `amount` as the loss already certain on `account`, whose debt is `debt`; 0 clears it. Emits
    ///         `BadDebtProvisioned`.
    /// @dev Reverts with `ProvisionExceedsDebt`.
    /// @param ledger The vault's ledger.
    /// @param account The account.
    /// @param amount The provision, base units.
    /// @param debt The account's debt now (interest accrued), base units.
    /// @param reserves The vault's reserves now (what a lowered provision adds to `totalAssets` depends on them).
    /// @param base The base asset.
    function setProvision(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        address account,
        uint256 amount,
        uint256 debt,
        uint256 reserves,
        IERC20 base
    ) internal {
        if (amount > debt) revert ICollateralVault.ProvisionExceedsDebt(debt, amount);
        uint256 shieldBefore = shield(ledger, link, reserves);
        ledger.totalProvision = SafeCast.toUint128(ledger.totalProvision - ledger.provision[account] + amount);
        ledger.provision[account] = amount;
        emit ICollateralVault.BadDebtProvisioned(account, amount, ledger.totalProvision);
        // The backstop holds what reserves do not cover, in the same step; a loss left counts at once, one released
        // (better prices, an unflag) reaches lenders slowly.
        _rebalance(ledger, link, 0, 0, 0, shieldBefore, reserves, base);
    }

    /// @notice Writes off `account`'s whole debt: reserves absorb what they can, the backstop pays what it can of the
    ///         rest in this step, every unit of the account's collateral becomes the protocol's, its provision goes, and
    ///         the rest of the loss falls on lenders until recovered. Reverts with `NoDebt`. Loops over the account's
    ///         own holdings (its position's bits): at most MAX_COLLATERALS iterations. Emits `BadDebtWrittenOff`.
    /// @param ledger The vault's ledger.
    /// @param book The vault's collateral book.
    /// @param lending The vault's lending book (interest accrued to now).
    /// @param account The written-off account.
    /// @param base The base asset.
    /// @return amount Its debt written off, base units.
    function writeOff(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        CollateralBook.Book storage book,
        LendingBook.Book storage lending,
        address account,
        IERC20 base
    ) internal returns (uint256 amount) {
        amount = lending.debtOf(account, lending.borrowIndex);
        if (amount == 0) revert ICollateralVault.NoDebt(account);
        lending.decreaseDebt(account, amount, true);
        // Reserves absorb the loss first, then the backstop; lenders bear the rest through the share price (INV-06's
        // only exception).
        uint256 reserves = lending.reserves;
        uint256 shieldBefore = shield(ledger, link, reserves);
        uint256 absorbed = amount < reserves ? amount : reserves;
        lending.reserves = uint128(reserves - absorbed); // ≤ reserves
        BackstopLink.lowerMark(link, reserves - absorbed);
        // INV-16: the account ends with no collateral; its dust becomes the protocol's.
        _sweep(ledger, book, lending.positions[account], account);
        clearProvision(ledger, account);
        // The backstop pays past reserves (earmarked cash first) and holds what the other provisions need; what it
        // pays is cash. The loss meets gains still held back first (they are lenders' only on paper until released).
        uint256 paid = _rebalance(ledger, link, amount - absorbed, 0, amount, shieldBefore, reserves - absorbed, base);
        lending.cash = SafeCast.toUint128(lending.cash + paid);
        uint256 socialised = amount - absorbed - paid;
        ledger.badDebt += amount;
        ledger.unrecoveredLoss += socialised;
        emit ICollateralVault.BadDebtWrittenOff(account, amount, absorbed, socialised);
    }

    /// @dev Moves every unit of `account`'s collateral (its `position`'s holdings) to the protocol (INV-16).
    function _sweep(
        Ledger storage ledger,
        CollateralBook.Book storage book,
        LendingBook.Position storage position,
        address account
    ) private {
        // The holdings; the over-cap entries, and what they count, go with them.
        (uint256 mask, uint256 pastCap) = (position.holdings, position.pastCap);
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                address asset = CollateralBook.assetAt(book, i);
                uint256 held = book.balances[account][asset].amount;
                book.assets[asset].totalDeposited -= held;
                book.balances[account][asset].amount = 0;
                if ((pastCap >> i) & 1 != 0) book.overCap[account][asset] = 0;
                ledger.protocolCollateral[asset] += held;
            }
            mask >>= 1;
        }
        (position.holdings, position.pastCap) = (0, 0);
    }

    /// @notice Sends `amount` of protocol-owned `asset` to the caller (the vault has checked it is the recovery
    ///         module). Emits `ProtocolCollateralReleased` before the transfer.
    /// @dev Reverts with `ZeroAmount`, `InsufficientProtocolCollateral`.
    /// @param ledger The vault's ledger.
    /// @param asset The collateral asset.
    /// @param amount Units to send.
    function releaseProtocolCollateral(Ledger storage ledger, address asset, uint256 amount) internal {
        if (amount == 0) revert ICollateralVault.ZeroAmount();
        uint256 held = ledger.protocolCollateral[asset];
        if (amount > held) revert ICollateralVault.InsufficientProtocolCollateral(asset, held, amount);
        ledger.protocolCollateral[asset] = held - amount;
        emit ICollateralVault.ProtocolCollateralReleased(asset, msg.sender, amount);
        IERC20(asset).safeTransfer(msg.sender, amount);
    }

    /// @notice Sends `amount` of reserves, out of cash, to `to` (governance: the vault has checked the caller and
    ///         accrued interest). Reserves earmarked for a provisioned loss stay in. Emits `ReservesWithdrawn`.
    /// @dev Reverts with `ZeroAmount`, `ZeroAddress`, `InsufficientReserves`.
    /// @param ledger The vault's ledger.
    /// @param link The vault's link to its backstop.
    /// @param lending The vault's lending book.
    /// @param to Recipient.
    /// @param amount Base units.
    /// @param base The base asset.
    function withdrawReserves(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        LendingBook.Book storage lending,
        address to,
        uint256 amount,
        IERC20 base
    ) internal {
        if (amount == 0) revert ICollateralVault.ZeroAmount();
        if (to == address(0)) revert ICollateralVault.ZeroAddress();
        uint256 provisions = ledger.totalProvision;
        uint256 reserves = lending.reserves;
        uint256 free = reserves > provisions ? reserves - provisions : 0;
        uint256 available = free < lending.cash ? free : lending.cash;
        if (amount > available) revert ICollateralVault.InsufficientReserves(available, amount);
        lending.reserves = uint128(reserves - amount); // ≤ reserves
        BackstopLink.lowerMark(link, reserves - amount);
        lending.cash -= uint128(amount); // ≤ available ≤ cash
        emit ICollateralVault.ReservesWithdrawn(to, amount);
        base.safeTransfer(to, amount);
    }

    /// @notice Takes back what the recovery module (the caller, checked by the vault) sold and did not sell:
    ///         `returned` units of `asset` are protocol collateral again, and `proceeds` of the base asset repay, in
    ///         this order, lenders' unrecovered loss, what the backstop paid on write-offs (it takes it from the vault),
    ///         and rebuild reserves with the rest (with whatever the backstop did not take). Books first, then pulls
    ///         exactly those amounts (interest already accrued), then pays the backstop. Emits `RecoverySettled`.
    /// @dev Reverts with `AssetNotListed`, `TransferAmountMismatch`.
    /// @param ledger The vault's ledger.
    /// @param link The vault's link to its backstop.
    /// @param lending The vault's lending book.
    /// @param collateral The vault's collateral book.
    /// @param asset The collateral sold.
    /// @param returned Units of `asset` handed back unsold.
    /// @param proceeds Base units the sale raised.
    /// @param base The base asset.
    function settleRecovery(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        LendingBook.Book storage lending,
        CollateralBook.Book storage collateral,
        address asset,
        uint256 returned,
        uint256 proceeds,
        IERC20 base
    ) internal {
        collateral.listed(asset);
        if (returned != 0) ledger.protocolCollateral[asset] += returned;
        (uint256 toLenders, uint256 toBackstop) = _bookRecovery(ledger, link, lending, proceeds, base);
        emit ICollateralVault.RecoverySettled(asset, returned, proceeds, toLenders);
        if (returned != 0) IERC20(asset).pullExact(msg.sender, returned);
        if (proceeds != 0) base.pullExact(msg.sender, proceeds);
        if (toBackstop != 0) _repayBackstop(ledger, link, lending, toBackstop, base);
    }

    /// @dev `settleRecovery`'s books: lenders first, up to the loss they bore; then the backstop, up to what it paid
    ///      (booked as if it takes it: its part leaves cash); the rest rebuilds reserves. Returns both parts.
    function _bookRecovery(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        LendingBook.Book storage lending,
        uint256 proceeds,
        IERC20 base
    ) private returns (uint256 toLenders, uint256 toBackstop) {
        uint256 unrecovered = ledger.unrecoveredLoss;
        toLenders = proceeds < unrecovered ? proceeds : unrecovered;
        ledger.unrecoveredLoss = unrecovered - toLenders;
        uint256 rest = proceeds - toLenders;
        toBackstop = rest < link.owed ? rest : link.owed;
        uint256 reserves = lending.reserves;
        uint256 shieldBefore = shield(ledger, link, reserves);
        lending.cash = SafeCast.toUint128(lending.cash + proceeds - toBackstop);
        reserves = LendingBook.capped(reserves + rest - toBackstop);
        lending.reserves = uint128(reserves); // capped
        _rebalance(ledger, link, 0, proceeds - toBackstop, 0, shieldBefore, reserves, base);
    }

    /// @dev Pays the backstop `amount` of recovered value it is owed (the vault holds it, off its cash); what it does
    ///      not take stays owed and goes to reserves, cash and reserves rising alike.
    function _repayBackstop(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        LendingBook.Book storage lending,
        uint256 amount,
        IERC20 base
    ) private {
        uint256 taken = BackstopLink.credit(link, amount, base);
        uint256 owed = link.owed - taken; // taken ≤ amount ≤ owed
        link.owed = uint128(owed);
        emit IVaultBackstop.BackstopRepaid(taken, owed);
        if (taken == amount) return;
        uint256 left = amount - taken;
        uint256 reserves = lending.reserves;
        uint256 shieldBefore = shield(ledger, link, reserves);
        lending.cash = SafeCast.toUint128(lending.cash + left);
        lending.reserves = LendingBook.capped(reserves + left);
        // Not income: the backstop is still owed it, and must not also earn a share of it.
        link.incomeMark = SafeCast.toUint128(link.incomeMark + left);
        _holdBack(ledger, left, 0, shieldBefore, shield(ledger, link, lending.reserves));
    }

    // ================================================================= external (deployed once, here)

    /// @notice Lowers `account`'s provision by `amount` (floored at zero): every unit repaid is a unit of the
    ///         provisioned loss that will not happen; what that adds to `totalAssets` is held back. The vault calls it
    ///         only for an account with a provision (rare), so an ordinary repayment pays for no library call.
    ///      What the backstop holds for provisions follows them down (its link and the base asset are found here, not
    ///      handed in: the vault's repayment code stays as small as it was).
    /// @param ledger The vault's ledger.
    /// @param account The account repaid.
    /// @param amount Base units repaid.
    /// @param reserves The vault's reserves now.
    function reduceProvision(Ledger storage ledger, address account, uint256 amount, uint256 reserves) external {
        BackstopLink.Link storage link = BackstopLink.vaultLink();
        IERC20 base = IERC20(IERC4626(address(this)).asset());
        uint256 shieldBefore = shield(ledger, link, reserves);
        uint256 provision = ledger.provision[account];
        uint256 cut = amount < provision ? amount : provision;
        uint256 before = ledger.totalProvision;
        ledger.provision[account] = provision - cut;
        ledger.totalProvision = uint128(before - cut); // ≤ before
        emit ICollateralVault.BadDebtProvisioned(account, provision - cut, before - cut);
        _rebalance(ledger, link, 0, 0, 0, shieldBefore, reserves, base);
    }

    // ================================================================= internal (compiled into the vault's settlement)

    /// @dev Sets `account`'s provision to `amount` after a liquidation (0: it owes nothing, or nothing is certain),
    ///      whose debt left is `debt`. What the liquidation adds to `totalAssets` at once (`fee` into reserves that
    ///      stood at `reservesBefore`, and the provision it recovered) is held back. A liquidation that changes no
    ///      provision holds nothing back: its fee reaches lenders at once only while reserves stand below Σ provisions
    ///      (at most the protocol's share of the bonus; docs/known-issues.md).
    function keepProvision(
        Ledger storage ledger,
        address account,
        uint256 amount,
        uint256 debt,
        uint256 fee,
        uint256 reservesBefore
    ) internal {
        if (amount > debt) revert ICollateralVault.ProvisionExceedsDebt(debt, amount);
        uint256 provision = ledger.provision[account];
        if (provision == amount) return; // most liquidations: nothing booked before or after, no further read
        // Not handed in, so that no liquidation pays for them: the vault's backstop link, at its slot, and its base
        // asset, from the vault itself (this code runs as the vault).
        BackstopLink.Link storage link = BackstopLink.vaultLink();
        IERC20 base = IERC20(IERC4626(address(this)).asset());
        uint256 shieldBefore = shield(ledger, link, reservesBefore);
        uint256 before = ledger.totalProvision;
        ledger.provision[account] = amount;
        ledger.totalProvision = SafeCast.toUint128(before - provision + amount);
        emit ICollateralVault.BadDebtProvisioned(account, amount, before - provision + amount);
        _rebalance(ledger, link, 0, fee, 0, shieldBefore, reservesBefore + fee, base);
    }

    /// @dev What `ledger`'s release holds back now (`heldBack`); reads its amount only while it runs.
    function heldBackNow(Ledger storage ledger) internal view returns (uint256) {
        uint256 end = ledger.releaseEnd;
        if (block.timestamp >= end) return 0;
        return heldBack(Release(ledger.released, ledger.releaseStart, uint64(end)));
    }

    /// @dev What released gains still hold back from `totalAssets` now, rounded up (lenders who stay keep the unit).
    function heldBack(Release memory release) internal view returns (uint256) {
        if (block.timestamp >= release.end) return 0;
        uint256 span = release.end - release.start; // > 0: start <= now < end
        return (uint256(release.amount) * (release.end - block.timestamp) + span - 1) / span;
    }

    /// @dev Drops `account`'s provision, if any (its loss is being realised or no longer certain).
    function clearProvision(Ledger storage ledger, address account) internal {
        uint256 provision = ledger.provision[account];
        if (provision == 0) return;
        ledger.provision[account] = 0;
        ledger.totalProvision -= uint128(provision); // ≤ the total
        emit ICollateralVault.BadDebtProvisioned(account, 0, ledger.totalProvision);
    }

    /// @dev What stands between debt and lenders' claims in `totalAssets`: max(reserves, Σ provisions − what the
    ///      backstop holds for them) (`InterestAccrual._totalAssets`, which reads the earmark only when Σ provisions
    ///      exceed reserves: the same value).
    function shield(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        uint256 reserves
    ) internal view returns (uint256) {
        uint256 provisions = ledger.totalProvision;
        if (provisions <= reserves) return reserves;
        uint256 held = link.earmarked;
        return provisions > reserves + held ? provisions - held : reserves;
    }

    /// @dev Re-targets what the backstop holds at the provisions' excess over `reserves` now (they grew with interest
    ///      and fees since it was set), as every other step on the loss side does: a failed call, which leaves no
    ///      earmark, lowers lenders' value only after gains still held back.
    function retargetEarmark(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        uint256 reserves,
        IERC20 base
    ) internal {
        _rebalance(ledger, link, 0, 0, 0, shield(ledger, link, reserves), reserves, base);
    }

    /// @dev After a step on the loss side: asks the backstop to pay `pay` and to hold what provisions need past the
    ///      reserves it left (`reservesAfter`), then holds back what the whole step adds to `totalAssets` (`valueIn`
    ///      and what the backstop paid in, `valueOut` out, the shield from `shieldBefore` to its value now). Returns
    ///      what the backstop paid.
    function _rebalance(
        Ledger storage ledger,
        BackstopLink.Link storage link,
        uint256 pay,
        uint256 valueIn,
        uint256 valueOut,
        uint256 shieldBefore,
        uint256 reservesAfter,
        IERC20 base
    ) private returns (uint256 paid) {
        paid = BackstopLink.settle(link, pay, BackstopLink.shortfall(ledger.totalProvision, reservesAfter), base);
        _holdBack(ledger, valueIn + paid, valueOut, shieldBefore, shield(ledger, link, reservesAfter));
    }

    /// @dev Keeps `totalAssets` (= cash + debt − shield − held, `shield`) from jumping up: a step that brings
    ///      `valueIn` and takes `valueOut` (net of the debt it repays or writes off), with the shield going from
    ///      `shieldBefore` to `shieldAfter`, would move it by valueIn − valueOut − (shieldAfter − shieldBefore). A rise
    ///      is held back: released by a weighted end time, so new gains never delay what is already on its way beyond
    ///      their weight (no griefing by tiny releases). A fall is a loss: it counts at once, and first against gains
    ///      still held (they are lenders' only on paper), so a loss released and booked again is never counted twice.
    function _holdBack(
        Ledger storage ledger,
        uint256 valueIn,
        uint256 valueOut,
        uint256 shieldBefore,
        uint256 shieldAfter
    ) private {
        uint256 up = valueIn + shieldBefore;
        uint256 down = valueOut + shieldAfter;
        if (up == down) return;
        Release memory release = Release(ledger.released, ledger.releaseStart, ledger.releaseEnd);
        uint256 heldNow = heldBack(release);
        if (up > down) {
            uint256 gain = up - down;
            uint256 total = heldNow + gain;
            uint256 left = heldNow == 0 ? 0 : release.end - block.timestamp;
            // Rounded down: rounding up would let each tiny release push the end a second later.
            uint256 span = (heldNow * left + gain * RELEASE_PERIOD) / total;
            _setRelease(ledger, SafeCast.toUint128(total), block.timestamp + span);
            emit ICollateralVault.GainsHeldBack(gain, 0, total);
        } else if (heldNow != 0) {
            uint256 loss = down - up;
            uint256 netted = loss < heldNow ? loss : heldNow;
            _setRelease(ledger, uint128(heldNow - netted), release.end);
            emit ICollateralVault.GainsHeldBack(0, netted, heldNow - netted);
        }
    }

    /// @dev A release of `amount` from now to `end`.
    function _setRelease(Ledger storage ledger, uint128 amount, uint256 end) private {
        (ledger.released, ledger.releaseStart, ledger.releaseEnd) = (amount, uint64(block.timestamp), uint64(end));
    }
}
