// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {BackstopLink} from "./BackstopLink.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {LendingBook} from "./LendingBook.sol";
import {LossLedger} from "./LossLedger.sol";
import {VaultWiring} from "./VaultWiring.sol";

/// @title VaultState
/// @notice The vault's storage, in one place: what `CollateralVault` and `AccountValuation` read and write, and what
///         `VaultStorage` reads by slot from outside.
/// @dev Slots (OpenZeppelin's ERC20 holds 0–4 and Ownable2Step 5–6; the reentrancy lock is transient): 7 oracle,
///      8 rate model, 9 borrow cap, 10 reserve factor | reserve boost, 11–14 lending book (11 cash | share supply, 12 reserves |
///      total scaled debt, 13 borrow index | last accrual, 14 each account's position: scaled debt | borrower credit word |
///      holdings | past cap), 15–18 collateral book (17: each account's holding of each asset with its deposit credit), 19–24 loss ledger
///      (24: gains held back), 25–29 wiring (engine, breaker, queue, risk manager, recovery), 30 each lender's shares
///      with its deposit credit, 31–33 the backstop link.
///      test/unit/VaultStorage.test.ts checks them against the compiler's layout.
abstract contract VaultState {
    /// @dev The base asset (immutable: read without a call) and its decimals.
    address internal immutable _base;
    uint8 internal immutable _baseDecimals;

    IPriceOracle internal _oracle;
    IInterestRateModel internal _rateModel;
    uint256 internal _borrowCap;
    // One slot, read by every accrual (and written only by governance and the risk manager): the reserve factor and
    // the risk manager's boost. The last accrual time is kept with the borrow index (`LendingBook.Book`).
    uint64 internal _reserveFactor;
    uint64 internal _reserveBoost;

    LendingBook.Book internal _lending;
    CollateralBook.Book internal _collateral;
    LossLedger.Ledger internal _losses;

    VaultWiring.Wiring internal _wiring;

    // The lender shares (ERC-20), kept here rather than in OpenZeppelin's ERC20 (whose balance and supply slots stay
    // unused): each lender's shares share a slot with its deposit credit (LendingBook.Balance), so a first deposit
    // writes one new slot, not two (the breaker's credit was a slot of its own). Their supply is `_lending.shareSupply`,
    // beside the cash.
    mapping(address account => LendingBook.Balance) internal _shares;

    // The first-loss tranche (issue 26): its address and income share (31), what it holds for provisions and what it
    // is owed (32), the reserves income counts from (33). After every older slot, so none of them moved.
    BackstopLink.Link internal _backstop;

    /// @param base The base asset.
    constructor(address base) {
        _base = base;
        _baseDecimals = CollateralBook.readDecimals(base);
    }
}
