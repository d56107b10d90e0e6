// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
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
///         provisioned) are read from Bulwark's own views, packed with the time (`SolvencyLayout`) and hashed with an
///         identity commitment into a Poseidon leaf, appended to a lean incremental Merkle tree whose every root is
///         remembered. A zero-knowledge proof (SolvencyGate) later shows one leaf satisfies a claim without saying
///         which.
/// @dev Invariants:
///      - it holds no tokens and calls only views: Bulwark's state is the same with or without it;
///      - a leaf records exactly what the views said in the snapshot's block, and only while every price the
///        position needs is OK (no attesting a doubted price); health and score are capped down, never up, and a
///        debt that does not fit is refused, so every capped field errs against the borrower's claim;
///      - the tree is the lean incremental Merkle tree of scripts/lib/zk/tree.ts and the circuit: a node with no
///        right sibling yet is carried up unhashed; depth = ⌈log2 size⌉; every root it ever had stays known.
///      The insertion loop runs at most MAX_DEPTH times.
contract SolvencySnapshots is ISolvencySnapshots {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    /// @notice Most levels the tree may grow to: the circuit's MAX_DEPTH.
    uint256 public constant MAX_DEPTH = 20;
    /// @notice A risk score (WAD σ) per unit of the leaf's score (millionths of a σ).
    uint256 internal constant SCORE_UNIT = 1e12;

    /// @notice The vault whose borrowers snapshot themselves.
    ICollateralVault public immutable vault;

    /// @inheritdoc ISolvencySnapshots
    uint256 public size;
    /// @inheritdoc ISolvencySnapshots
    uint256 public depth;
    /// @dev The last left node of each level still waiting for its right sibling; `_sideNodes[depth]` is the root.
    mapping(uint256 level => uint256 node) private _sideNodes;
    /// @dev Tree size when each root was the root (0: never).
    mapping(uint256 root => uint256 size) private _sizeAtRoot;

    /// @param vault_ The vault.
    constructor(ICollateralVault vault_) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
    }

    /// @inheritdoc ISolvencySnapshots
    function snapshot(uint256 idCommitment) external returns (uint256 index, uint256 newRoot) {
        if (idCommitment == 0 || idCommitment >= SolvencyLayout.SNARK_FIELD) revert BadIdCommitment(idCommitment);
        uint256 fields = _fields(msg.sender);
        uint256 leaf = PoseidonT3.hash([idCommitment, fields]);
        (index, newRoot) = _insert(leaf);
        emit Snapshot(msg.sender, index, idCommitment, fields, leaf, newRoot);
    }

    /// @inheritdoc ISolvencySnapshots
    function fieldsOf(address account) external view returns (uint256) {
        return _fields(account);
    }

    /// @inheritdoc ISolvencySnapshots
    function isKnownRoot(uint256 root_) external view returns (bool) {
        return _sizeAtRoot[root_] != 0;
    }

    /// @inheritdoc ISolvencySnapshots
    function sizeAtRoot(uint256 root_) external view returns (uint256) {
        return _sizeAtRoot[root_];
    }

    /// @inheritdoc ISolvencySnapshots
    function root() external view returns (uint256) {
        return _sideNodes[depth];
    }

    // ================================================================= internals

    /// @dev The packed word for `account` now, from the vault's, the engine's and the risk manager's views.
    function _fields(address account) private view returns (uint256) {
        ICollateralVault.AccountLiquidity memory liq = vault.liquidationView(account, address(0)).liq;
        if (liq.debt == 0) revert NoDebt();
        if (liq.priceStatus != IPriceOracle.Status.OK) revert PriceNotOk(uint8(liq.priceStatus));
        if (liq.debt > SolvencyLayout.MAX_DEBT) revert DebtTooLarge(liq.debt);
        // Health as VaultLens.healthFactor (liquidation side, rounded down), capped down to the leaf's width.
        uint256 health = liq.liquidationLimit.wadDivDown(liq.debtValue);
        if (health > SolvencyLayout.MAX_HEALTH) health = SolvencyLayout.MAX_HEALTH;
        uint256 score;
        address riskManager = vault.riskManager();
        if (riskManager != address(0)) {
            score = IRiskManager(riskManager).riskScore(account) / SCORE_UNIT;
            if (score > SolvencyLayout.MAX_SCORE) score = SolvencyLayout.MAX_SCORE;
        }
        address engine = vault.liquidationEngine();
        bool flagged =
            vault.provisionOf(account) != 0 ||
                (engine != address(0) && ILiquidationEngine(engine).flaggedAt(account) != 0);
        return SolvencyLayout.pack(health, liq.debt, score, block.timestamp, flagged);
    }

    /// @dev Appends `leaf`: walking up from it, a right child is hashed with the waiting left node of its level, a
    ///      left child waits there and is carried up unhashed (its right sibling does not exist yet).
    function _insert(uint256 leaf) private returns (uint256 index, uint256 node) {
        index = size;
        uint256 treeDepth = depth;
        if (index == 1 << MAX_DEPTH) revert TreeFull();
        if (index != 0 && index == 1 << treeDepth) depth = ++treeDepth;
        node = leaf;
        for (uint256 level; level < treeDepth; ++level) {
            if ((index >> level) & 1 == 1) {
                node = PoseidonT3.hash([_sideNodes[level], node]);
            } else {
                _sideNodes[level] = node;
            }
        }
        _sideNodes[treeDepth] = node;
        size = index + 1;
        _sizeAtRoot[node] = index + 1;
    }
}
