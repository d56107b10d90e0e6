// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISolvencyGate} from "../../interfaces/ISolvencyGate.sol";
import {ISolvencySnapshots} from "../../interfaces/ISolvencySnapshots.sol";
import {SolvencyLayout} from "./SolvencyLayout.sol";

/// @notice The verifier `npm run zk:setup` exports from the circuit's key (Groth16Verifier.sol).
interface IGroth16Verifier {
    /// @notice Whether the proof (a, b, c) verifies for the public signals.
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[5] calldata publicSignals
    ) external view returns (bool);
}

/// @title SolvencyGate
/// @notice Checks private solvency attestations for consumer contracts (docs/zk.md): a proof that its maker knows the
///         secret behind a SolvencySnapshots leaf satisfying the consumer's claim, bound to a message, under a root
///         the registry has had, with a nullifier per identity and scope.
/// @dev Invariants:
///      - the scope binds the chain, this gate, the consumer and its context: a proof made for one of them fails at
///        every other (its scope is a public input, and so is the nullifier computed from it);
///      - a nullifier is recorded at most once (`consume`), and only below the field, so no alias of it (n + r)
///        passes as another;
///      - only a root the registry has had is accepted; every claim value must fit its width, so the predicate the
///        circuit checks is exactly the claim the consumer wrote.
///      The gate holds no funds and no role over Bulwark: a forged proof could fool a consumer, never move Bulwark's
///      funds.
contract SolvencyGate is ISolvencyGate {
    /// @notice The snapshot registry whose roots proofs name.
    ISolvencySnapshots public immutable snapshots;
    /// @notice The Groth16 verifier of the circuit's key.
    IGroth16Verifier public immutable verifier;

    /// @inheritdoc ISolvencyGate
    mapping(uint256 nullifier => bool) public spent;

    /// @param snapshots_ The snapshot registry.
    /// @param verifier_ The verifier.
    constructor(ISolvencySnapshots snapshots_, IGroth16Verifier verifier_) {
        if (address(snapshots_) == address(0) || address(verifier_) == address(0)) revert ZeroAddress();
        (snapshots, verifier) = (snapshots_, verifier_);
    }

    /// @inheritdoc ISolvencyGate
    function verify(
        address consumer,
        bytes32 context,
        Claim calldata claim,
        bytes calldata message,
        Attestation calldata attestation
    ) external view {
        _check(consumer, context, claim, message, attestation);
    }

    /// @inheritdoc ISolvencyGate
    function consume(
        bytes32 context,
        Claim calldata claim,
        bytes calldata message,
        Attestation calldata attestation
    ) external {
        _check(msg.sender, context, claim, message, attestation);
        spent[attestation.nullifier] = true;
        emit Consumed(msg.sender, context, attestation.nullifier, keccak256(message));
    }

    /// @inheritdoc ISolvencyGate
    function scopeOf(address consumer, bytes32 context) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), consumer, context))) >> 8;
    }

    /// @inheritdoc ISolvencyGate
    function messageField(bytes calldata message) public pure returns (uint256) {
        return uint256(keccak256(message)) >> 8;
    }

    /// @inheritdoc ISolvencyGate
    function packClaim(Claim calldata claim) public pure returns (uint256) {
        _fits("minHealth", claim.minHealth, SolvencyLayout.MAX_HEALTH);
        _fits("maxDebt", claim.maxDebt, SolvencyLayout.MAX_DEBT);
        _fits("minScore", claim.minScore, SolvencyLayout.MAX_SCORE);
        _fits("minTimestamp", claim.minTimestamp, SolvencyLayout.MAX_TIME);
        return
            SolvencyLayout.pack(
                claim.minHealth,
                claim.maxDebt,
                claim.minScore,
                claim.minTimestamp,
                claim.requireUnflagged
            );
    }

    // ================================================================= internals

    function _check(
        address consumer,
        bytes32 context,
        Claim calldata claim,
        bytes calldata message,
        Attestation calldata attestation
    ) private view {
        uint256 predicate = packClaim(claim);
        uint256 nullifier = attestation.nullifier;
        if (nullifier >= SolvencyLayout.SNARK_FIELD) revert NullifierOutOfField(nullifier);
        if (spent[nullifier]) revert NullifierSpent(nullifier);
        if (!snapshots.isKnownRoot(attestation.root)) revert UnknownRoot(attestation.root);
        uint256[5] memory signals = [
            attestation.root,
            nullifier,
            scopeOf(consumer, context),
            messageField(message),
            predicate
        ];
        if (!verifier.verifyProof(attestation.a, attestation.b, attestation.c, signals)) revert InvalidProof();
    }

    function _fits(bytes32 name, uint256 value, uint256 max) private pure {
        if (value > max) revert ThresholdTooWide(name, value, max);
    }
}
