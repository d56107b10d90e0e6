// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {LendingBook} from "./LendingBook.sol";
import {LossLedger} from "./LossLedger.sol";
import {VaultWiring} from "./VaultWiring.sol";

/// @title VaultState
/// @notice The vault's storage, in one place: what `CollateralVault` and `AccountValuation` read and write, and what
///         `VaultStorage` reads by slot from outside.
/// @dev Slots (OpenZeppelin's ERC20 holds 0–4 and Ownable2Step 5–6; the reentrancy lock is transient): 7 oracle,
///      8 rate model, 9 borrow cap, 10 reserve factor | reserve boost | last accrual, 11–15 lending book, 16–20
///      collateral book, 21–26 loss ledger (26: gains held back), 27–31 wiring (engine, breaker, queue, risk manager,
///      recovery).
///      test/unit/VaultStorage.test.ts checks them against the compiler's layout.
abstract contract VaultState {
    /// @dev The base asset (immutable: read without a call) and its decimals.
    address internal immutable _base;
    uint8 internal immutable _baseDecimals;

    IPriceOracle internal _oracle;
    IInterestRateModel internal _rateModel;
    uint256 internal _borrowCap;
    // One slot, read together by every accrual: the reserve factor, the risk manager's boost, the last accrual time.
    uint64 internal _reserveFactor;
    uint64 internal _reserveBoost;
    uint64 internal _lastAccrual;

    LendingBook.Book internal _lending;
    CollateralBook.Book internal _collateral;
    LossLedger.Ledger internal _losses;

    VaultWiring.Wiring internal _wiring;

    /// @param base The base asset.
    constructor(address base) {
        _base = base;
        _baseDecimals = CollateralBook.readDecimals(base);
    }
}
