// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IVaultBackstop
/// @notice The lending vault's side of its first-loss backstop (issue 26, `IBackstop`): governance names it, anyone
///         settles its income share; the errors and events of the waterfall reserves → backstop → lenders.
/// @dev Apart from `ICollateralVault`, which the model checker's harnesses import (through `CollateralBook`): a
///      declaration added there changes their encoding, and two of the risk ramp's proofs then ran out of time.
interface IVaultBackstop {
    /// @notice Thrown when a backstop's income share is past BackstopLink.MAX_INCOME_SHARE.
    error IncomeShareTooHigh(uint256 incomeShare, uint256 max);
    /// @notice Thrown when governance names a second backstop: the first is owed what it paid.
    error BackstopAlreadySet(address backstop);

    /// @notice Governance named the backstop (`backstop`) or changed its share of reserve income (WAD).
    event BackstopSet(address indexed backstop, uint256 incomeShare);
    /// @notice The vault asked the backstop for `asked` (a write-off past reserves): `paid` arrived; it now holds
    ///         `earmarked` for provisions reserves do not cover, and is owed `owed` from recoveries.
    event BackstopSettled(uint256 asked, uint256 paid, uint256 earmarked, uint256 owed);
    /// @notice Recovered value paid the backstop `amount`; it is still owed `owed`.
    event BackstopRepaid(uint256 amount, uint256 owed);
    /// @notice The backstop took `amount` of reserve income; reserves are `reserves`.
    event BackstopIncomePaid(uint256 amount, uint256 reserves);

    /// @notice Names the first-loss backstop (`IBackstop`, bound to this vault and its base asset; once set, only its
    ///         income share changes) and its share of reserve income (WAD, ≤ BackstopLink.MAX_INCOME_SHARE; a new
    ///         share applies to income not yet paid). Governance (the timelock) only.
    /// @dev Reverts with `ZeroAddress`, `IncomeShareTooHigh`, `WrongVault`, `BackstopAlreadySet`. Named (as
    ///      `settleBackstopIncomeShare`) so that its selector sorts after every older function's: the dispatcher
    ///      compares selectors in order, and no older function pays a comparison more for it.
    function linkBackstopAndShare(address backstop, uint256 incomeShare) external;

    /// @notice Pays the backstop its share of reserve income since the last payment (out of free reserves and cash:
    ///         the share price does not move), then re-targets what the backstop holds for provisions at their excess
    ///         over reserves now. Anyone may call it. Emits `BackstopIncomePaid` when it pays.
    function settleBackstopIncomeShare() external;
}
