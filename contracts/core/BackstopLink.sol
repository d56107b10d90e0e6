// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IBackstop} from "../interfaces/IBackstop.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IVaultBackstop} from "../interfaces/IVaultBackstop.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title BackstopLink
/// @notice The vault's side of its first-loss tranche (`IBackstop`, issue 26): what the backstop holds for the vault's
///         provisions, what it paid on write-offs that recovery has not repaid, and its share of reserve income. Every
///         call to the backstop is bounded in gas, copies one word of return data, and its failure changes nothing but
///         the earmark (to 0: the loss falls to lenders, as with no backstop), so a backstop can never block a
///         write-off, a provision or a repayment.
/// @dev Invariants:
///      - `earmarked` ≤ max(Σ provisions − reserves, 0) as they stood when it was last set, and ≤ what the backstop said
///        it holds; the share price counts it only while Σ provisions exceed reserves (`InterestAccrual._totalAssets`).
///      - `owed` grows by exactly what the backstop paid (measured by the vault's balance) and falls only by what it
///        was repaid (measured the same way).
///      - Income paid never exceeds `incomeShare` of reserves' growth since the last payment or fall, nor free reserves
///        (reserves no provision holds), nor cash: `totalAssets` does not move.
library BackstopLink {
    using SafeERC20 for IERC20;
    using FixedPointMath for uint256;

    /// @notice Highest share of reserve income the backstop's stakers may earn (WAD).
    uint256 internal constant MAX_INCOME_SHARE = 0.5e18;
    /// @notice Gas a call to the backstop may use: enough for its books and one token transfer, little enough that
    ///         the vault's own step always has gas to finish after a backstop that burns all it is given.
    uint256 internal constant CALL_GAS = 200_000;
    /// @notice The link's slot in the vault's storage (`VaultState._backstop`; VaultStorage.BACKSTOP_SLOT, both checked
    ///         against the compiler's layout by test/unit/VaultStorage.test.ts).
    uint256 internal constant VAULT_SLOT = 31;

    /// @notice The vault's link to its backstop (the vault's storage, after the lender shares).
    struct Link {
        address backstop; // zero: none (set once, by governance)
        uint64 incomeShare; // WAD ≤ MAX_INCOME_SHARE
        uint128 earmarked; // base units the backstop holds for provisions reserves do not cover
        uint128 owed; // base units it paid on write-offs that recovery has not repaid
        uint128 incomeMark; // reserves after the last income payment or fall
    }

    /// @dev Names the backstop (once: a new one would strand what the old one is owed) and sets its income share; an
    ///      income share may change later through governance, the backstop may not.
    ///      Returns whether the backstop was named now.
    function configure(
        Link storage link,
        address backstop,
        uint256 incomeShare,
        address base
    ) internal returns (bool named) {
        if (backstop == address(0)) revert ICollateralVault.ZeroAddress();
        if (incomeShare > MAX_INCOME_SHARE) revert IVaultBackstop.IncomeShareTooHigh(incomeShare, MAX_INCOME_SHARE);
        address current = link.backstop;
        if (current == address(0)) {
            if (IBackstop(backstop).vault() != address(this)) revert ICollateralVault.WrongVault(backstop);
            if (IBackstopAsset(backstop).asset() != base) revert ICollateralVault.WrongVault(backstop);
            (link.backstop, named) = (backstop, true);
        } else if (current != backstop) {
            revert IVaultBackstop.BackstopAlreadySet(current);
        }
        link.incomeShare = uint64(incomeShare); // ≤ MAX_INCOME_SHARE
        emit IVaultBackstop.BackstopSet(backstop, incomeShare);
    }

    /// @dev The vault's link, for code the vault runs by DELEGATECALL that is not handed it (`LiquidationSettlement`).
    function vaultLink() internal pure returns (Link storage link) {
        uint256 slot = VAULT_SLOT;
        assembly ("memory-safe") {
            link.slot := slot
        }
    }

    /// @dev What the backstop should hold for provisions: the part of Σ `provisions` that `reserves` do not cover.
    function shortfall(uint256 provisions, uint256 reserves) internal pure returns (uint256) {
        return provisions > reserves ? provisions - reserves : 0;
    }

    /// @dev Asks the backstop to pay `pay` now and to hold `earmark` (its answer, capped at `earmark`, is the new
    ///      earmark; a failure leaves none); returns what arrived (≤ `pay`), which the caller books as cash. Without a
    ///      backstop, or with nothing to ask, changes nothing.
    function settle(Link storage link, uint256 pay, uint256 earmark, IERC20 base) internal returns (uint256 paid) {
        address backstop = link.backstop;
        if (backstop == address(0) || (pay == 0 && earmark == link.earmarked)) return 0;
        uint256 before = pay == 0 ? 0 : base.balanceOf(address(this));
        // Lowered before the call: while it runs, the vault never counts more than the provisions now need (a view
        // read from inside it sees the lower of the old and the new earmark).
        if (earmark < link.earmarked) link.earmarked = uint128(earmark);
        (bool ok, uint256 held) = _call(backstop, abi.encodeCall(IBackstop.cover, (pay, earmark)));
        if (pay != 0) {
            paid = base.balanceOf(address(this)) - before; // a token balance never falls here: nothing was sent
            if (paid > pay) paid = pay; // more is a donation, not booked
            link.owed += uint128(paid); // ≤ pay ≤ a debt, itself < 2^128
        }
        link.earmarked = uint128(!ok ? 0 : (held < earmark ? held : earmark)); // ≤ earmark ≤ Σ provisions
        emit IVaultBackstop.BackstopSettled(pay, paid, link.earmarked, link.owed);
    }

    /// @dev Pays the backstop `amount` of `base` (the vault holds it, off its books' cash already or about to be):
    ///      approves it, asks the backstop to take it, and returns what it took (its balance change), clearing any
    ///      approval left. What it did not take stays with the vault, for the caller to book.
    function credit(Link storage link, uint256 amount, IERC20 base) internal returns (uint256 taken) {
        address backstop = link.backstop;
        if (backstop == address(0) || amount == 0) return 0;
        uint256 before = base.balanceOf(address(this));
        base.forceApprove(backstop, amount);
        _call(backstop, abi.encodeCall(IBackstop.credit, (amount)));
        uint256 afterwards = base.balanceOf(address(this));
        taken = before > afterwards ? before - afterwards : 0;
        if (taken > amount) taken = amount; // it cannot take more than approved; kept for the books' sake
        if (taken != amount) base.forceApprove(backstop, 0);
    }

    /// @dev The backstop's income now: `incomeShare` of reserves' growth past the mark, rounded down, and no more than
    ///      free reserves (what `provisions` do not hold) or `cash`.
    function incomeDue(
        Link storage link,
        uint256 reserves,
        uint256 provisions,
        uint256 cash
    ) internal view returns (uint256 due) {
        uint256 mark = link.incomeMark;
        if (link.backstop == address(0) || reserves <= mark) return 0;
        due = (reserves - mark).wadMulDown(link.incomeShare);
        uint256 free = reserves > provisions ? reserves - provisions : 0;
        if (due > free) due = free;
        if (due > cash) due = cash;
    }

    /// @dev Reserves fell to `reserves` (a loss absorbed, a withdrawal, a remainder paid): income counts from there.
    function lowerMark(Link storage link, uint256 reserves) internal {
        if (reserves < link.incomeMark) link.incomeMark = uint128(reserves); // < a uint128
    }

    /// @dev Calls the backstop with CALL_GAS; `ok` when it returned normally with at least one word (`word`).
    function _call(address target, bytes memory data) private returns (bool ok, uint256 word) {
        uint256 gasLimit = CALL_GAS;
        assembly ("memory-safe") {
            ok := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0x20)
            if lt(returndatasize(), 0x20) {
                ok := 0
            }
            word := mload(0)
        }
    }
}

/// @dev The one ERC-4626 view the vault reads from a backstop it is given.
interface IBackstopAsset {
    function asset() external view returns (address);
}
