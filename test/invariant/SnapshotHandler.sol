// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {ILiquidationEngine} from "../../contracts/interfaces/ILiquidationEngine.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {ISolvencySnapshots} from "../../contracts/interfaces/ISolvencySnapshots.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {SolvencySnapshots} from "../../contracts/periphery/zk/SolvencySnapshots.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {RiskHandler} from "./RiskHandler.sol";

/// @notice The snapshot registry of private solvency attestations (issue 25) in the vault's invariant suite: actors
///         snapshot themselves and anyone syncs, between every other action, so every vault invariant is checked with
///         the registry in play. Post-conditions go to `violation`: a snapshot records exactly what the views say;
///         it is refused only for a second identity, no debt or a price that is not OK; nothing else reverts.
contract SnapshotHandler is CommonBase, StdUtils {
    uint256 internal constant MAX_HEALTH = type(uint64).max;
    uint256 internal constant MAX_SCORE = type(uint32).max;

    CollateralVault public immutable vault;
    VaultLens private immutable lens;
    VaultHandler public immutable vaultHandler;
    RiskHandler public immutable riskHandler;
    SolvencySnapshots public immutable registry;

    string public violation;
    mapping(bytes32 action => uint256) public calls;
    /// @notice Snapshots recorded, refused for a second identity, for no debt, for a price not OK; syncs done.
    uint256 public taken;
    uint256 public refusedIdentity;
    uint256 public refusedNoDebt;
    uint256 public refusedPrice;
    uint256 public syncs;

    constructor(VaultHandler vaultHandler_, RiskHandler riskHandler_, SolvencySnapshots registry_) {
        vaultHandler = vaultHandler_;
        riskHandler = riskHandler_;
        registry = registry_;
        vault = vaultHandler_.vault();
        lens = vaultHandler_.lens();
    }

    /// @dev A random actor snapshots itself with a random identity commitment.
    function snapshot(uint256 actorSeed, uint256 idSeed) external tracked("snapshot") {
        address[] memory actors = vaultHandler.actors();
        address actor = actors[actorSeed % actors.length];
        // Its bound identity, or a new one; now and then another, which must be refused.
        uint256 id = registry.identityOf(actor);
        bool other = id != 0 && idSeed % 16 == 0;
        if (id == 0 || other) id = bound(idSeed, 1, type(uint248).max);
        if (other && id == registry.identityOf(actor)) id = id == 1 ? 2 : id - 1;
        uint256 debt = vault.debtOf(actor);
        IPriceOracle.Status status = vault.liquidationView(actor, address(0)).liq.priceStatus;
        uint256 sizeBefore = registry.size();
        vm.prank(actor);
        try registry.snapshot(id) returns (uint256 index) {
            taken++;
            if (debt == 0 || status != IPriceOracle.Status.OK)
                _fail("a snapshot was recorded without debt or an OK price");
            if (index != sizeBefore || registry.size() != sizeBefore + 1) _fail("a snapshot took another index");
            _checkFields(actor, debt);
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            if (selector == ISolvencySnapshots.IdentityMismatch.selector && other) refusedIdentity++;
            else if (selector == ISolvencySnapshots.NoDebt.selector && debt == 0) refusedNoDebt++;
            else if (selector == ISolvencySnapshots.PriceNotOk.selector && status != IPriceOracle.Status.OK)
                refusedPrice++;
            else _fail("a snapshot reverted for another reason");
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

    function _checkFields(address actor, uint256 debt) internal {
        uint256 fields = registry.fieldsOf(actor);
        uint256 health = lens.healthFactor(vault, actor);
        if (health > MAX_HEALTH) health = MAX_HEALTH;
        uint256 score = riskHandler.riskScore(actor) / 1e12;
        if (score > MAX_SCORE) score = MAX_SCORE;
        ILiquidationEngine engine = ILiquidationEngine(lens.liquidationEngine(vault));
        bool flagged = lens.provisionOf(vault, actor) != 0 || engine.flaggedAt(actor) != 0;
        if (fields & MAX_HEALTH != health) _fail("the leaf's health is not the lens's");
        if ((fields >> 64) & type(uint96).max != debt) _fail("the leaf's debt is not the vault's");
        if ((fields >> 160) & MAX_SCORE != score) _fail("the leaf's score is not the risk manager's");
        if ((fields >> 192) & type(uint40).max != block.timestamp) _fail("the leaf's time is not the block's");
        if (((fields >> 232) & 1 == 1) != flagged) _fail("the leaf's flag is not the engine's");
    }

    modifier tracked(bytes32 action) {
        calls[action] += 1;
        _;
    }

    function _fail(string memory what) internal {
        if (bytes(violation).length == 0) violation = what;
    }
}
