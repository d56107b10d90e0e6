// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {LendingBook} from "./LendingBook.sol";
import {VaultState} from "./VaultState.sol";

/// @title VaultShares
/// @notice The vault's lender shares (the ERC-20 of its ERC-4626), each lender's balance kept in one slot with its
///         deposit credit (`LendingBook.Balance`: what its own deposits in the current outflow bucket let it take out
///         again without counting against the circuit breaker's shared limit), so a first deposit writes one new slot,
///         not two. OpenZeppelin's ERC20 keeps the allowances, name and symbol; its balance and supply slots stay unused.
/// @dev Invariants:
///      - `totalSupply` == Σ `balanceOf`: every `_update` moves both by `value` (OpenZeppelin's checks and errors).
///      - A balance, and the supply, never pass 2^128 − 1 (`SafeCastOverflowedUintDowncast`; docs/vault.md).
///      - A credit word is only ever what the breaker returned for it; a share transfer moves the sender's credit with
///        the shares, and a breaker that fails (reverts, answers short) changes no word and stops no transfer.
abstract contract VaultShares is ERC4626, VaultState {
    /// @dev Calls `target` with `data`; `ok` only when it returned normally with at least `words` (1 or 2) words, the
    ///      first two in `first` and `second`. Copies no more return data than two words, so no return data can cost
    ///      the caller more.
    function _tryCall(
        address target,
        bytes memory data,
        uint256 words
    ) internal returns (bool ok, uint256 first, uint256 second) {
        assembly ("memory-safe") {
            ok := call(gas(), target, 0, add(data, 0x20), mload(data), 0, 0x40)
            if lt(returndatasize(), shl(5, words)) {
                ok := 0
            }
            first := mload(0)
            second := mload(0x20)
        }
    }

    /// @notice The lender shares `account` holds.
    function balanceOf(address account) public view virtual override(ERC20, IERC20) returns (uint256) {
        return _shares[account].amount;
    }

    /// @notice All lender shares.
    function totalSupply() public view virtual override(ERC20, IERC20) returns (uint256) {
        return _lending.shareSupply;
    }

    /// @dev OpenZeppelin's ERC20 `_update` (same checks, errors and event) over `_shares`, whose balances are uint128
    ///      (LendingBook.Balance). A transfer between two accounts moves the sender's deposit credit with the shares
    ///      (the breaker values it); a breaker that fails only loses that move (the sender keeps its credit, the
    ///      recipient's exit counts in full), never blocks the transfer.
    function _update(address from, address to, uint256 value) internal virtual override {
        if (from == address(0)) {
            _lending.shareSupply = SafeCast.toUint128(_lending.shareSupply + value);
        } else {
            uint256 held = _shares[from].amount;
            if (held < value) revert ERC20InsufficientBalance(from, held, value);
            _shares[from].amount = uint128(held - value); // < held
        }
        if (to == address(0)) {
            _lending.shareSupply -= uint128(value); // ≤ the sender's shares ≤ the supply < 2^128
        } else {
            LendingBook.Balance storage receiver = _shares[to];
            receiver.amount = SafeCast.toUint128(receiver.amount + value);
        }
        emit Transfer(from, to, value);
        if (from != address(0) && to != address(0) && from != to) _moveCredit(_shares[from], _shares[to], value);
    }

    /// @dev `_update`'s credit move, made only when the sender has a credit word (most transfers pay no call).
    function _moveCredit(
        LendingBook.Balance storage sender,
        LendingBook.Balance storage receiver,
        uint256 value
    ) internal {
        uint128 credit = sender.credit;
        address breaker = address(_wiring.breaker);
        if (credit == 0 || breaker == address(0)) return;
        bytes memory data = abi.encodeCall(ICircuitBreaker.onShareTransfer, (value, credit, receiver.credit));
        (bool ok, uint256 senderAfter, uint256 receiverAfter) = _tryCall(breaker, data, 2);
        if (ok && (senderAfter | receiverAfter) <= type(uint128).max) {
            (sender.credit, receiver.credit) = (uint128(senderAfter), uint128(receiverAfter));
        }
    }
}
