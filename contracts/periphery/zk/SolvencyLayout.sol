// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SolvencyLayout
/// @notice The one packed word a solvency snapshot and a claim share with the circuit (zk/circuits/solvency.circom),
///         low bits first: health or minHealth (64 bits, WAD), debt or maxDebt (96, base units), score or minScore
///         (32, millionths of a σ), timestamp or minTimestamp (40, seconds), flagged or requireUnflagged (1). 233
///         bits in all, below the SNARK scalar field, so the circuit splits the word without aliasing.
library SolvencyLayout {
    /// @notice The BN254 scalar field every public input and Poseidon input lives in.
    uint256 internal constant SNARK_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint256 internal constant HEALTH_BITS = 64;
    uint256 internal constant DEBT_BITS = 96;
    uint256 internal constant SCORE_BITS = 32;
    uint256 internal constant TIME_BITS = 40;

    uint256 internal constant DEBT_SHIFT = HEALTH_BITS;
    uint256 internal constant SCORE_SHIFT = DEBT_SHIFT + DEBT_BITS;
    uint256 internal constant TIME_SHIFT = SCORE_SHIFT + SCORE_BITS;
    uint256 internal constant FLAG_SHIFT = TIME_SHIFT + TIME_BITS;

    uint256 internal constant MAX_HEALTH = (1 << HEALTH_BITS) - 1;
    uint256 internal constant MAX_DEBT = (1 << DEBT_BITS) - 1;
    uint256 internal constant MAX_SCORE = (1 << SCORE_BITS) - 1;
    uint256 internal constant MAX_TIME = (1 << TIME_BITS) - 1;

    /// @notice Packs five fields, each already within its width (callers check or cap).
    function pack(
        uint256 health,
        uint256 debt,
        uint256 score,
        uint256 time,
        bool flag
    ) internal pure returns (uint256) {
        return
            health |
            (debt << DEBT_SHIFT) |
            (score << SCORE_SHIFT) |
            (time << TIME_SHIFT) |
            ((flag ? uint256(1) : 0) << FLAG_SHIFT);
    }
}
