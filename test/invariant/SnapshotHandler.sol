// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {ILiquidationEngine} from "../../contracts/interfaces/ILiquidationEngine.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {ISolvencySnapshots} from "../../contracts/interfaces/ISolvencySnapshots.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {SolvencyLayout} from "../../contracts/periphery/zk/SolvencyLayout.sol";
import {SolvencySnapshots} from "../../contracts/periphery/zk/SolvencySnapshots.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {RiskHandler} from "./RiskHandler.sol";

/// @notice The snapshot registry of private solvency attestations (issue 25) in the vault's invariant suite: actors
///         snapshot themselves and anyone syncs, between every other action (each call in a block of its own), so
///         every vault invariant is checked with the registry in play. Post-conditions go to `violation`: a leaf
///         records exactly what the views say, hashed as the circuit hashes it; the only refusals are the ones the
///         registry promises, each when its condition holds.
contract SnapshotHandler is CommonBase, StdUtils {
    CollateralVault public immutable vault;
    VaultLens private immutable lens;
    VaultHandler public immutable vaultHandler;
    RiskHandler public immutable riskHandler;
    SolvencySnapshots public immutable registry;

    string public violation;
    mapping(bytes32 action => uint256) public calls;
    /// @notice Snapshots taken, and refusals by reason; syncs done.
    uint256 public taken;
    uint256 public refusedIdentity;
    uint256 public refusedNoDebt;
    uint256 public refusedPrice;
    uint256 public refusedTooSoon;
    uint256 public syncs;
    /// @notice Each actor's identity, as this handler bound it (the registry keeps only its hash).
    mapping(address actor => uint256) public idOf;

    constructor(VaultHandler vaultHandler_, RiskHandler riskHandler_, SolvencySnapshots registry_) {
        vaultHandler = vaultHandler_;
        riskHandler = riskHandler_;
        registry = registry_;
        vault = vaultHandler_.vault();
        lens = vaultHandler_.lens();
    }

    /// @dev A random actor snapshots itself with its identity (a new one the first time), or now and then with a
    ///      second one, which must be refused.
    function snapshot(uint256 actorSeed, uint256 idSeed) external tracked("snapshot") {
        address[] memory actors = vaultHandler.actors();
        address actor = actors[actorSeed % actors.length];
        uint256 id = idOf[actor];
        // Now and then a second identity for an actor that has one (another actor's, or a new one): refused.
        bool wrong = id != 0 && idSeed % 16 == 0;
        if (wrong) {
            uint256 theirs = idOf[actors[(actorSeed + 1) % actors.length]];
            id = theirs != 0 && theirs != id ? theirs : id + 1;
        }
        if (id == 0) id = bound(idSeed, 1, type(uint248).max);
        (bool ok, uint8 reason) = _readable(actor);
        // Once every SNAPSHOT_INTERVAL per account, checked before the views are read.
        if (!wrong && idOf[actor] == id && block.timestamp < registry.nextSnapshotAt(actor)) {
            (ok, reason) = (false, 3);
        }
        uint256 expected = ok ? _expectedFields(actor) : 0;
        uint256 sizeBefore = registry.size();
        vm.recordLogs();
        vm.prank(actor, actor); // a plain EOA's own transaction
        try registry.snapshot(id) returns (uint256 index) {
            taken++;
            idOf[actor] = id;
            if (wrong) _fail("a snapshot took another's identity or a second one");
            if (!ok) _fail("a snapshot was taken too soon, without debt above dust or at a price not OK");
            if (index != sizeBefore || registry.size() != sizeBefore + 1) _fail("a snapshot took another index");
            _checkLeaf(actor, expected);
        } catch (bytes memory data) {
            _refused(bytes4(data), wrong, ok, reason);
        }
    }

    /// @dev Anyone syncs up to a few queued leaves (0: all).
    function sync(uint256 maxSeed) external tracked("sync") {
        uint256 before = registry.synced();
        if (before == registry.size()) return;
        try registry.sync(bound(maxSeed, 0, 4)) returns (uint256 size, uint256 root) {
            syncs++;
            if (size <= before || registry.sizeAtRoot(root) != size) _fail("a sync did not record its root");
        } catch {
            _fail("a sync with leaves queued reverted");
        }
    }

    /// @dev Whether `actor` may snapshot now: debt above the engine's dust, every price it needs OK.
    function _readable(address actor) internal view returns (bool, uint8) {
        // In the registry's own order: no debt, a price not OK, then dust.
        CollateralVault.AccountLiquidity memory liq = vault.liquidationView(actor, address(0)).liq;
        if (liq.debt == 0) return (false, 1);
        if (liq.priceStatus != IPriceOracle.Status.OK) return (false, 2);
        uint256 dust = ILiquidationEngine(lens.liquidationEngine(vault)).params().dustValue;
        if (liq.debtValue < dust) return (false, 1);
        return (true, 0);
    }

    function _refused(bytes4 selector, bool wrong, bool ok, uint8 reason) internal {
        if (wrong) {
            if (selector == ISolvencySnapshots.IdentityMismatch.selector) refusedIdentity++;
            else _fail("another identity was refused for another reason");
        } else if (
            !ok &&
            reason == 1 &&
            (selector == ISolvencySnapshots.NoDebt.selector || selector == ISolvencySnapshots.DustDebt.selector)
        ) {
            refusedNoDebt++;
        } else if (!ok && reason == 2 && selector == ISolvencySnapshots.PriceNotOk.selector) {
            refusedPrice++;
        } else if (!ok && reason == 3 && selector == ISolvencySnapshots.SnapshotTooSoon.selector) {
            refusedTooSoon++;
        } else {
            _fail("a snapshot reverted for another reason");
        }
    }

    /// @dev What a snapshot must record: the lens's health, the vault's debt, the risk manager's score, the engine's
    ///      flag or a provision, the block's time (each capped as the layout says).
    function _expectedFields(address actor) internal view returns (uint256) {
        uint256 health = lens.healthFactor(vault, actor);
        if (health > SolvencyLayout.MAX_HEALTH) health = SolvencyLayout.MAX_HEALTH;
        uint256 score = riskHandler.riskScore(actor) / 1e12;
        if (score > SolvencyLayout.MAX_SCORE) score = SolvencyLayout.MAX_SCORE;
        ILiquidationEngine engine = ILiquidationEngine(lens.liquidationEngine(vault));
        bool flagged = lens.provisionOf(vault, actor) != 0 || engine.flaggedAt(actor) != 0;
        return SolvencyLayout.pack(health, vault.debtOf(actor), score, block.timestamp, flagged);
    }

    /// @dev The Snapshot event just logged holds `expected` and its leaf is Poseidon(id, fields, LEAF_DOMAIN).
    function _checkLeaf(address actor, uint256 expected) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ISolvencySnapshots.Snapshot.selector) continue;
            (uint256 id, uint256 fields, uint256 leaf) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            if (fields != expected) _fail("a leaf is not what the views say");
            if (id != idOf[actor]) _fail("a leaf names another identity");
            if (leaf != PoseidonT4.hash([id, fields, registry.LEAF_DOMAIN()]))
                _fail("a leaf is not hashed as the circuit hashes it");
            return;
        }
        _fail("a snapshot logged no Snapshot");
    }

    modifier tracked(bytes32 action) {
        calls[action] += 1;
        vm.roll(block.number + 1);
        _;
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }
}
