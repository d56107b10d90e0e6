// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {ICollateralVault} from "../../interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../../interfaces/ILiquidationEngine.sol";
import {IPriceOracle} from "../../interfaces/IPriceOracle.sol";
import {IRiskManager} from "../../interfaces/IRiskManager.sol";
import {ISolvencySnapshots} from "../../interfaces/ISolvencySnapshots.sol";
import {FixedPointMath} from "../../libraries/FixedPointMath.sol";
import {VaultStorage} from "../../libraries/VaultStorage.sol";
import {SolvencyLayout} from "./SolvencyLayout.sol";

/// @title SolvencySnapshots
/// @notice Periphery for private solvency attestations (docs/zk.md). A borrower snapshots itself: its health (as
///         `VaultLens.healthFactor`), debt, risk score (`RiskManager.riskScore`) and flag (flagged by the engine or
///         provisioned) are read from Bulwark's own views, packed with the time (`SolvencyLayout`), hashed with an
///         identity commitment into a Poseidon leaf and queued. `sync`, which anyone may call, folds queued leaves
///         into a lean incremental Merkle tree and records its root; every root it ever had stays known. A
///         zero-knowledge proof (SolvencyGate) later shows one leaf under a known root satisfies a claim without
///         saying which.
/// @dev Invariants:
///      - it holds no tokens and calls only views: Bulwark's state is the same with or without it;
///      - a leaf records exactly what the views said in the snapshot's block, in a transaction a plain EOA sent
///        straight to the registry (so no flash-loaned collateral can be in the position read), while every price the
///        position needs was OK (no attesting a doubted price), for a debt worth at least the engine's dust value; health and score are
///        capped down, never up, and a debt that does not fit is refused, so every capped field errs against the
///        borrower's claim;
///      - an account has one identity (its first snapshot's commitment, required of every later one) and snapshots at
///        most once every SNAPSHOT_INTERVAL, so the gate's nullifier is one per borrower account and scope;
///      - a leaf is Poseidon with three inputs, a node Poseidon with two: no node can pass for a leaf (a proof cannot
///        start below the real leaves);
///      - the tree of the first `synced` leaves is the lean incremental Merkle tree of scripts/lib/zk/tree.ts and
///        the circuit (a node with no right sibling yet is carried up unhashed; depth ⌈log2 size⌉), and its root is
///        known from the `sync` that reached that size on.
///      Why a queue: folding a leaf into the tree costs about one hash amortised (each complete subtree is hashed
///      once), where recomputing the root at every snapshot would cost one per set bit of the index (16 at leaf
///      65,536). A snapshot thus costs the same whatever the tree's size. The loops of `sync` are bounded by its
///      argument and MAX_DEPTH.
contract SolvencySnapshots is ISolvencySnapshots {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    /// @notice Most levels the tree may grow to: the circuit's MAX_DEPTH (16,777,216 leaves).
    uint256 public constant MAX_DEPTH = 24;
    /// @notice Least time between two snapshots of one account: at most 96 leaves a day per account.
    uint256 public constant SNAPSHOT_INTERVAL = 15 minutes;
    /// @notice A risk score (WAD σ) per unit of the leaf's score (millionths of a σ).
    uint256 internal constant SCORE_UNIT = 1e12;
    /// @notice The third input of a leaf's hash: leaves are Poseidon(3), nodes Poseidon(2) (domain separation).
    uint256 public constant LEAF_DOMAIN = 1;

    /// @notice The vault whose borrowers snapshot themselves.
    ICollateralVault public immutable vault;

    /// @inheritdoc ISolvencySnapshots
    uint256 public size;
    /// @inheritdoc ISolvencySnapshots
    uint256 public synced;
    /// @inheritdoc ISolvencySnapshots
    uint256 public root;
    /// @dev Leaves snapshotted and not yet synced, by index.
    mapping(uint256 index => uint256 leaf) private _queued;
    /// @dev The last complete subtree at each level that is a left child: the left sibling a later node needs.
    mapping(uint256 level => uint256 node) private _frontier;
    /// @dev Tree size when each root was the root (0: never).
    mapping(uint256 root => uint256 size) private _sizeAtRoot;
    /// @dev Each account's identity and its last snapshot's time, in one slot (one new slot on an account's first
    ///      snapshot, so it stays within budget): the commitment's keccak256 cut to 216 bits (a second commitment
    ///      with the same cut is 2^108 work) above the time's 40 bits.
    mapping(address account => uint256 word) private _accounts;

    /// @param vault_ The vault.
    constructor(ICollateralVault vault_) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
    }

    /// @inheritdoc ISolvencySnapshots
    function snapshot(uint256 idCommitment) external onlyPlainEoa returns (uint256 index) {
        if (idCommitment == 0 || idCommitment >= SolvencyLayout.SNARK_FIELD) revert BadIdCommitment(idCommitment);
        uint256 word = _accounts[msg.sender];
        uint256 idHash = _idHash(idCommitment);
        if (word != 0) {
            if (word >> 40 != idHash) revert IdentityMismatch();
            uint256 next = uint40(word) + SNAPSHOT_INTERVAL;
            if (block.timestamp < next) revert SnapshotTooSoon(next);
        }
        _accounts[msg.sender] = (idHash << 40) | block.timestamp;
        index = size;
        if (index == 1 << MAX_DEPTH) revert TreeFull();
        uint256 fields = _fields(msg.sender);
        uint256 leaf = PoseidonT4.hash([idCommitment, fields, LEAF_DOMAIN]);
        _queued[index] = leaf;
        size = index + 1;
        emit Snapshot(msg.sender, index, idCommitment, fields, leaf);
    }

    /// @inheritdoc ISolvencySnapshots
    function sync(uint256 maxLeaves) external returns (uint256 newSize, uint256 newRoot) {
        uint256 from = synced;
        newSize = size;
        if (from == newSize) revert NothingToSync();
        if (maxLeaves != 0 && newSize - from > maxLeaves) newSize = from + maxLeaves;
        uint256 node;
        uint256 level;
        for (uint256 index = from; index < newSize; ++index) {
            node = _queued[index];
            delete _queued[index];
            // A right child completes its parent: hash with the waiting left sibling, and on up while that holds.
            for (level = 0; (index >> level) & 1 == 1; ++level) {
                node = PoseidonT3.hash([_frontier[level], node]);
            }
            _frontier[level] = node;
        }
        // The root at newSize: from the last leaf's complete subtree (`node` at `level`) up, a right child is hashed
        // with its left sibling, a left child (no right sibling yet) is carried.
        uint256 last = newSize - 1;
        for (++level; last >> level != 0; ++level) {
            if ((last >> level) & 1 == 1) node = PoseidonT3.hash([_frontier[level], node]);
        }
        newRoot = node;
        (synced, root) = (newSize, newRoot);
        _sizeAtRoot[newRoot] = newSize;
        emit Synced(newSize, newRoot);
    }

    /// @inheritdoc ISolvencySnapshots
    function fieldsOf(address account) external view returns (uint256) {
        return _fields(account);
    }

    /// @inheritdoc ISolvencySnapshots
    function canUseIdentity(address account, uint256 idCommitment) external view returns (bool) {
        uint256 word = _accounts[account];
        return word == 0 || word >> 40 == _idHash(idCommitment);
    }

    /// @inheritdoc ISolvencySnapshots
    function hasIdentity(address account) external view returns (bool) {
        return _accounts[account] != 0;
    }

    /// @inheritdoc ISolvencySnapshots
    function nextSnapshotAt(address account) external view returns (uint256) {
        uint256 word = _accounts[account];
        return word == 0 ? 0 : uint40(word) + SNAPSHOT_INTERVAL;
    }

    /// @inheritdoc ISolvencySnapshots
    function isKnownRoot(uint256 root_) external view returns (bool) {
        return _sizeAtRoot[root_] != 0;
    }

    /// @inheritdoc ISolvencySnapshots
    function sizeAtRoot(uint256 root_) external view returns (uint256) {
        return _sizeAtRoot[root_];
    }

    // ================================================================= internals

    /// @dev A reading is sent by a plain EOA straight to the registry: its transaction runs no code of the account's
    ///      before the reading, so nothing borrowed inside it (a flash loan) can be in the position read. A contract,
    ///      or an EOA with delegated code (EIP-7702), could borrow collateral, be read, and repay in one transaction.
    modifier onlyPlainEoa() {
        // solhint-disable-next-line avoid-tx-origin
        if (msg.sender != tx.origin || msg.sender.code.length != 0) revert NotAnEoa();
        _;
    }

    /// @dev An identity commitment's keccak256, cut to 216 bits (nonzero: a zero word means no identity yet).
    function _idHash(uint256 idCommitment) private pure returns (uint256) {
        return (uint256(keccak256(abi.encode(idCommitment))) >> 40) | 1;
    }

    /// @dev The packed word for `account` now, from the vault's, the engine's and the risk manager's views.
    function _fields(address account) private view returns (uint256) {
        ICollateralVault.AccountLiquidity memory liq = vault.liquidationView(account, address(0)).liq;
        if (liq.debt == 0) revert NoDebt();
        if (liq.priceStatus != IPriceOracle.Status.OK) revert PriceNotOk(uint8(liq.priceStatus));
        if (liq.debt > SolvencyLayout.MAX_DEBT) revert DebtTooLarge(liq.debt);
        address engine = vault.liquidationEngine();
        if (engine != address(0)) {
            uint256 dust = ILiquidationEngine(engine).params().dustValue;
            if (liq.debtValue < dust) revert DustDebt(liq.debtValue, dust);
        }
        // Health as VaultLens.healthFactor (liquidation side, rounded down), capped down to the leaf's width.
        uint256 health = liq.liquidationLimit.wadDivDown(liq.debtValue);
        if (health > SolvencyLayout.MAX_HEALTH) health = SolvencyLayout.MAX_HEALTH;
        uint256 score;
        address riskManager = vault.riskManager();
        if (riskManager != address(0)) {
            score = IRiskManager(riskManager).riskScore(account) / SCORE_UNIT;
            if (score > SolvencyLayout.MAX_SCORE) score = SolvencyLayout.MAX_SCORE;
        }
        bool flagged =
            vault.provisionOf(account) != 0 ||
                (engine != address(0) && ILiquidationEngine(engine).flaggedAt(account) != 0);
        return SolvencyLayout.pack(health, liq.debt, score, block.timestamp, flagged);
    }
}
