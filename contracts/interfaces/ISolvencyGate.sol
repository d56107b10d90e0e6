// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISolvencyGate
/// @notice Checks private solvency attestations (docs/zk.md) for consumer contracts: a Groth16 proof that its maker
///         holds the identity of a Bulwark borrower's snapshot satisfying a claim, without saying which.
interface ISolvencyGate {
    /// @notice What a consumer requires of a snapshot. Widths are the circuit's: each value must fit them.
    /// @param minHealth Lowest health, WAD (< 2^64).
    /// @param maxDebt Highest debt, base units (< 2^96).
    /// @param minScore Lowest risk score, millionths of a σ (< 2^32).
    /// @param minTimestamp Oldest snapshot time accepted, seconds (< 2^40).
    /// @param requireUnflagged The snapshot must be neither flagged nor provisioned.
    struct Claim {
        uint256 minHealth;
        uint256 maxDebt;
        uint256 minScore;
        uint256 minTimestamp;
        bool requireUnflagged;
    }

    /// @notice A proof and what it names.
    /// @param root A root the snapshot registry has had.
    /// @param nullifier Poseidon(scope, secret): one per identity and scope.
    /// @param a The proof's A point.
    /// @param b The proof's B point, limbs in the verifier's order (imaginary part first).
    /// @param c The proof's C point.
    struct Attestation {
        uint256 root;
        uint256 nullifier;
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice Thrown when a claim's value does not fit its bit width.
    error ThresholdTooWide(bytes32 name, uint256 value, uint256 max);
    /// @notice Thrown when a root was never the registry's root.
    error UnknownRoot(uint256 root);
    /// @notice Thrown when a nullifier is not below the SNARK scalar field.
    error NullifierOutOfField(uint256 nullifier);
    /// @notice Thrown when a nullifier was already consumed.
    error NullifierSpent(uint256 nullifier);
    /// @notice Thrown when the proof does not verify for these inputs.
    error InvalidProof();
    /// @notice Thrown when an address argument is zero.
    error ZeroAddress();

    /// @notice Emitted when a consumer consumes an attestation.
    /// @param consumer The consumer contract (the caller).
    /// @param context The consumer's context.
    /// @param nullifier The nullifier recorded.
    /// @param messageHash keccak256 of the bound message.
    event Consumed(address indexed consumer, bytes32 indexed context, uint256 indexed nullifier, bytes32 messageHash);

    /// @notice Checks an attestation for `consumer` and `context` without recording it.
    /// @dev Reverts with `ThresholdTooWide`, `UnknownRoot`, `NullifierOutOfField`, `NullifierSpent` or `InvalidProof`.
    /// @param consumer The consumer the proof was made for.
    /// @param context The consumer's context.
    /// @param claim What the snapshot must satisfy.
    /// @param message The message the proof is bound to.
    /// @param attestation The proof.
    function verify(
        address consumer,
        bytes32 context,
        Claim calldata claim,
        bytes calldata message,
        Attestation calldata attestation
    ) external view;

    /// @notice Checks an attestation made for the caller and `context` and records its nullifier: each identity may
    ///         be consumed once per consumer and context.
    /// @dev Reverts as `verify`.
    /// @param context The caller's context.
    /// @param claim What the snapshot must satisfy.
    /// @param message The message the proof is bound to.
    /// @param attestation The proof.
    function consume(
        bytes32 context,
        Claim calldata claim,
        bytes calldata message,
        Attestation calldata attestation
    ) external;

    /// @notice The scope a proof for `consumer` and `context` must use here: it binds the chain, this gate, the
    ///         consumer and the context, reduced below the field (keccak256 >> 8).
    /// @param consumer The consumer.
    /// @param context The context.
    function scopeOf(address consumer, bytes32 context) external view returns (uint256);

    /// @notice The field element a message is bound as: keccak256(message) >> 8.
    /// @param message The message.
    function messageField(bytes calldata message) external pure returns (uint256);

    /// @notice The claim as the circuit's packed predicate word.
    /// @dev Reverts with `ThresholdTooWide`.
    /// @param claim The claim.
    function packClaim(Claim calldata claim) external pure returns (uint256);

    /// @notice Whether `nullifier` was consumed.
    /// @param nullifier The nullifier.
    function spent(uint256 nullifier) external view returns (bool);
}
