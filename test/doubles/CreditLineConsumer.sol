// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISolvencyGate} from "../../contracts/interfaces/ISolvencyGate.sol";

/// @title CreditLineConsumer
/// @notice The example consumer of private solvency attestations (docs/zk.md): grants a credit flag to the address a
///         proof's message names, when the proof shows a healthy, unflagged Bulwark borrower snapshotted within the
///         consumer's window (`maxAge`). Each identity is granted once per context (the gate's nullifier).
contract CreditLineConsumer {
    /// @notice Thrown when the message is not one 32-byte word holding an address.
    error BadMessage();
    /// @notice Thrown when a claim accepts snapshots older than this consumer's window.
    error ClaimTooOld(uint256 minTimestamp, uint256 oldestAccepted);

    /// @notice Emitted when `beneficiary` is granted credit.
    event CreditGranted(address indexed beneficiary, uint256 nullifier);

    ISolvencyGate public immutable gate;
    bytes32 public immutable context;
    uint256 public immutable minHealth;
    uint256 public immutable maxAge;

    /// @notice Addresses granted credit.
    mapping(address => bool) public hasCredit;

    constructor(ISolvencyGate gate_, bytes32 context_, uint256 minHealth_, uint256 maxAge_) {
        (gate, context, minHealth, maxAge) = (gate_, context_, minHealth_, maxAge_);
    }

    /// @notice The claim this consumer requires of a proof that accepts snapshots from `minTimestamp` on. The prover
    ///         picks `minTimestamp` (a proof binds it, so it cannot follow the clock): it must lie within the window.
    /// @param minTimestamp Oldest snapshot time the proof accepts.
    function claim(uint256 minTimestamp) public view returns (ISolvencyGate.Claim memory) {
        uint256 oldest = block.timestamp > maxAge ? block.timestamp - maxAge : 0;
        if (minTimestamp < oldest) revert ClaimTooOld(minTimestamp, oldest);
        return
            ISolvencyGate.Claim({
                minHealth: minHealth,
                maxDebt: type(uint96).max,
                minScore: 0,
                minTimestamp: minTimestamp,
                requireUnflagged: true
            });
    }

    /// @notice Grants credit to the address in `message` (abi.encode(address)) if the attestation holds.
    /// @param message abi.encode(beneficiary): a front-runner who copies the proof can only grant the same address.
    /// @param minTimestamp The oldest snapshot time the proof accepts (within the last `maxAge` seconds).
    /// @param attestation The proof.
    function grant(
        bytes calldata message,
        uint256 minTimestamp,
        ISolvencyGate.Attestation calldata attestation
    ) external {
        if (message.length != 32) revert BadMessage();
        uint256 word = uint256(bytes32(message));
        if (word >> 160 != 0) revert BadMessage();
        gate.consume(context, claim(minTimestamp), message, attestation);
        address beneficiary = address(uint160(word));
        hasCredit[beneficiary] = true;
        emit CreditGranted(beneficiary, attestation.nullifier);
    }
}
