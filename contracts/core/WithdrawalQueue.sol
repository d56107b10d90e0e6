// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";

/// @title WithdrawalQueue
/// @notice Escrow for the withdrawals the circuit breaker queued: one job, no owner.
/// @dev Invariants: per asset, owed ≤ balanceOf(this) (checked on every enqueue, and a payment lowers both by the
///      same amount); a claim is paid at most once, never before `readyAt`, only to its beneficiary or where the
///      beneficiary says. Nothing else moves tokens out.
contract WithdrawalQueue is IWithdrawalQueue, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IWithdrawalQueue
    address public immutable vault;

    Claim[] private _claims;
    mapping(address asset => uint256) private _owed;

    /// @param vault_ The only contract that may queue claims.
    constructor(address vault_) {
        if (vault_ == address(0)) revert ZeroInput();
        vault = vault_;
    }

    /// @inheritdoc IWithdrawalQueue
    function enqueue(
        address beneficiary,
        address asset,
        uint256 amount,
        uint256 readyAt
    ) external nonReentrant returns (uint256 id) {
        if (msg.sender != vault) revert NotVault(msg.sender);
        if (beneficiary == address(0) || asset == address(0) || amount == 0) revert ZeroInput();
        uint256 owedAfter = _owed[asset] + amount;
        uint256 balance = IERC20(asset).balanceOf(address(this));
        if (balance < owedAfter) revert Unfunded(asset, owedAfter, balance);
        _owed[asset] = owedAfter;
        id = _claims.length;
        _claims.push(Claim(beneficiary, uint64(readyAt), false, asset, amount));
        emit ClaimQueued(id, beneficiary, asset, amount, readyAt);
    }

    /// @inheritdoc IWithdrawalQueue
    function claim(uint256 id) external nonReentrant {
        _pay(id, _readyClaim(id).beneficiary);
    }

    /// @inheritdoc IWithdrawalQueue
    function claimTo(uint256 id, address to) external nonReentrant {
        if (to == address(0)) revert ZeroInput();
        Claim storage record = _readyClaim(id);
        if (msg.sender != record.beneficiary) revert NotBeneficiary(id, msg.sender);
        _pay(id, to);
    }

    /// @inheritdoc IWithdrawalQueue
    function claimOf(uint256 id) external view returns (Claim memory) {
        if (id >= _claims.length) revert NoClaim(id);
        return _claims[id];
    }

    /// @inheritdoc IWithdrawalQueue
    function owed(address asset) external view returns (uint256) {
        return _owed[asset];
    }

    /// @inheritdoc IWithdrawalQueue
    function claimCount() external view returns (uint256) {
        return _claims.length;
    }

    /// @dev The unpaid claim `id`, once its delay has passed; reverts `NoClaim` or `NotReady` otherwise.
    function _readyClaim(uint256 id) internal view returns (Claim storage record) {
        if (id >= _claims.length) revert NoClaim(id);
        record = _claims[id];
        if (record.paid) revert NoClaim(id);
        if (block.timestamp < record.readyAt) revert NotReady(id, record.readyAt);
    }

    /// @dev Effects and their event before the transfer: the claim is spent before any token hook runs.
    function _pay(uint256 id, address to) internal {
        Claim storage record = _claims[id];
        record.paid = true;
        (address asset, uint256 amount) = (record.asset, record.amount);
        _owed[asset] -= amount;
        emit ClaimPaid(id, record.beneficiary, to, asset, amount);
        IERC20(asset).safeTransfer(to, amount);
    }
}
