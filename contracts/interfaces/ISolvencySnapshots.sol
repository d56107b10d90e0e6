// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISolvencySnapshots
/// @notice A registry of borrowers' solvency snapshots, each a leaf of a Poseidon Merkle tree, that a zero-knowledge
///         proof can later show membership of without saying which leaf (docs/zk.md). A snapshot queues its leaf;
///         `sync` folds queued leaves into the tree and records the root, which proofs then name.
/// @dev The packed `fields` word, low bits first (the circuit's layout, zk/circuits/solvency.circom):
///      bits 0–63 health (WAD, capped at 2^64-1), 64–159 debt (base units), 160–191 risk score (millionths of a σ,
///      capped at 2^32-1), 192–231 timestamp (seconds), 232 flagged-or-provisioned.
interface ISolvencySnapshots {
    /// @notice Thrown when a price the account's health relies on is not OK: nobody attests a doubted price.
    error PriceNotOk(uint8 status);
    /// @notice Thrown when the account has no debt: a snapshot attests a borrower.
    error NoDebt();
    /// @notice Thrown when the account's debt is worth less than the engine's dust value: a borrower worth attesting,
    ///         not a throwaway account (each would be one more identity for a consumer).
    error DustDebt(uint256 debtValue, uint256 dustValue);
    /// @notice Thrown when the account's debt does not fit the leaf's 96 bits.
    error DebtTooLarge(uint256 debt);
    /// @notice Thrown when an identity commitment is 0 or not below the SNARK scalar field.
    error BadIdCommitment(uint256 idCommitment);
    /// @notice Thrown when an account snapshots with another identity than its first: one identity per account, so a
    ///         consumer's nullifier is one per borrower account and scope. (Its commitment is kept as a 216-bit hash.)
    error IdentityMismatch();
    /// @notice Thrown when a reading is not sent by a plain externally owned account straight to the registry: a
    ///         contract (or a delegated EOA) could borrow collateral inside its own transaction, be read, and return it.
    error NotAnEoa();

    /// @notice Thrown when an account snapshots again before `SNAPSHOT_INTERVAL` has passed: the tree's 2^24 leaves
    ///         are shared, and one account must not fill them.
    error SnapshotTooSoon(uint256 nextAt);
    /// @notice Thrown when the tree holds 2^MAX_DEPTH leaves.
    error TreeFull();
    /// @notice Thrown when an address argument is zero.
    error ZeroAddress();

    /// @notice Thrown by `sync` when every leaf is already in the tree.
    error NothingToSync();

    /// @notice Emitted for each snapshot, once its leaf is queued for the tree.
    /// @param account The account that snapshotted itself.
    /// @param index The leaf's index in the tree.
    /// @param idCommitment Poseidon(secret) of the identity that may prove this leaf.
    /// @param fields The packed health, debt, score, time and flag.
    /// @param leaf Poseidon(idCommitment, fields, LEAF_DOMAIN).
    event Snapshot(address indexed account, uint256 indexed index, uint256 idCommitment, uint256 fields, uint256 leaf);

    /// @notice Emitted when `sync` folded queued leaves into the tree and a new root became known.
    /// @param size Leaves in the tree.
    /// @param root The tree's root at that size.
    event Synced(uint256 size, uint256 root);

    /// @notice Reads the caller's health, debt, risk score and flag from Bulwark's views, packs them with the time,
    ///         and queues Poseidon(idCommitment, fields, LEAF_DOMAIN) as the tree's next leaf (`sync` folds it in).
    ///         The caller must be a plain EOA calling the registry directly.
    /// @dev Reverts with `NotAnEoa`, `PriceNotOk`, `NoDebt`, `DustDebt`, `DebtTooLarge`, `BadIdCommitment`,
    ///      `IdentityMismatch`, `SnapshotTooSoon` or `TreeFull`. An account's first snapshot binds its identity for
    ///      good.
    /// @param idCommitment Poseidon(secret) of the identity that will prove this snapshot (npm run zk:identity).
    /// @return index The leaf's index.
    function snapshot(uint256 idCommitment) external returns (uint256 index);

    /// @notice Folds up to `maxLeaves` queued leaves into the tree, in order, and records the new root. Anyone may
    ///         call it (a prover whose leaf is queued, a keeper); about one Poseidon hash per leaf, plus at most one
    ///         per level for the root.
    /// @dev Reverts with `NothingToSync`.
    /// @param maxLeaves Most leaves to fold (0: all queued).
    /// @return size Leaves in the tree after it.
    /// @return root The new root.
    function sync(uint256 maxLeaves) external returns (uint256 size, uint256 root);

    /// @notice What `snapshot` would record for `account` now, without recording it.
    /// @dev Reverts as `snapshot` does (but `BadIdCommitment` and `TreeFull`).
    /// @param account The account.
    /// @return fields The packed word.
    function fieldsOf(address account) external view returns (uint256 fields);

    /// @notice Whether `account` snapshots with `idCommitment`, or may (no identity yet): its first snapshot binds it.
    /// @param account The account.
    /// @param idCommitment The commitment.
    function canUseIdentity(address account, uint256 idCommitment) external view returns (bool);

    /// @notice Whether `account` has bound an identity.
    /// @param account The account.
    function hasIdentity(address account) external view returns (bool);

    /// @notice When `account` may snapshot next (0: at once).
    /// @param account The account.
    function nextSnapshotAt(address account) external view returns (uint256);

    /// @notice Whether `root` was ever the tree's root (a proof must name one).
    /// @param root The root.
    function isKnownRoot(uint256 root) external view returns (bool);

    /// @notice Tree size when `root` was the root (0: never a root).
    /// @param root The root.
    function sizeAtRoot(uint256 root) external view returns (uint256);

    /// @notice The root of the synced tree (0 while it is empty).
    function root() external view returns (uint256);

    /// @notice Snapshots taken: leaves in the tree and queued.
    function size() external view returns (uint256);

    /// @notice Leaves in the tree (the first `synced` snapshots).
    function synced() external view returns (uint256);
}
