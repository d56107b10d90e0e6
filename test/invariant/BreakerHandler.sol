// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {CircuitBreaker} from "../../contracts/core/CircuitBreaker.sol";
import {WithdrawalQueue} from "../../contracts/core/WithdrawalQueue.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {IWithdrawalQueue} from "../../contracts/interfaces/IWithdrawalQueue.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";
import {VaultHandler} from "./VaultHandler.sol";

/// @notice Breaker actions for the invariant suite, next to VaultHandler's: permissionless pokes, guardian trips
///         (valid and invalid masks), queued claims, and "trip everything, then try to get out": every stop the
///         guardian may set plus a FAILED price, after which every actor must still repay, add collateral and, debt
///         free, withdraw it (through VaultHandler, so its ghosts and INV-27 checks see it).
/// @dev Post-conditions go to `violation`, as in VaultHandler.
contract BreakerHandler is CommonBase, StdUtils {
    CollateralVault public immutable vault;
    CircuitBreaker public immutable breaker;
    WithdrawalQueue public immutable queue;
    VaultHandler public immutable vaultHandler;
    address internal immutable _base;

    string public violation;
    mapping(bytes32 action => uint256) public calls;

    constructor(CollateralVault vault_, CircuitBreaker breaker_, WithdrawalQueue queue_, VaultHandler vaultHandler_) {
        vault = vault_;
        breaker = breaker_;
        queue = queue_;
        vaultHandler = vaultHandler_;
        _base = vault_.asset();
    }

    // ----------------------------------------------------------------- actions

    /// @dev Anyone pokes an entry. INV-29: nothing but the breaker's own state moves; INV-30: no reason clears
    ///      before its cooldown and no guardian stop lapses before its time.
    function poke(uint256 entrySeed) external tracked("poke") {
        address asset = _entry(entrySeed);
        ICircuitBreaker.EntryView memory before = breaker.entry(asset);
        bytes32 books = _books();
        // A panic (an arithmetic underflow of the breaker's count of active entries, say) must not pass as one of the
        // reverts the campaign ignores.
        try breaker.poke(asset) {} catch Panic(uint256 code) {
            _fail("poke panicked", code);
        }
        if (_books() != books) _fail(InvariantsSpec.INV_29_TRIP_NEUTRAL, 1);
        ICircuitBreaker.EntryView memory afterPoke = breaker.entry(asset);
        bool cleared = before.reasons & ~afterPoke.reasons != 0;
        if (cleared && block.timestamp < before.cooldownUntil) _fail(InvariantsSpec.INV_30_GUARDIAN_BOUNDED, 1);
        if (block.timestamp < before.guardianUntil && afterPoke.actionMask & before.actionMask != before.actionMask) {
            // Only a reason clearing after its cooldown may lift a stop; the guardian's stop holds until its time.
            if (!cleared) _fail(InvariantsSpec.INV_30_GUARDIAN_BOUNDED, 2);
        }
    }

    /// @dev The guardian stops a random set of actions: allowed only within SUPPLY|WITHDRAW|BORROW|WITHDRAW_COLLATERAL.
    function guardianTrip(uint256 entrySeed, uint256 maskSeed) external tracked("guardianTrip") {
        address asset = _entry(entrySeed);
        uint8 mask = uint8(bound(maskSeed, 0, 63));
        bool allowed = mask != 0 && mask & ~breaker.GUARDIAN_ACTIONS() == 0;
        bytes32 books = _books();
        try breaker.guardianTrip(asset, mask) {
            if (!allowed) _fail(InvariantsSpec.INV_28_LIQUIDATION_STOP, mask);
            if (breaker.actionMask(asset) & mask != mask) _fail(InvariantsSpec.INV_30_GUARDIAN_BOUNDED, mask);
        } catch {
            if (allowed) _fail("guardianTrip refused a valid mask", mask);
        }
        if (_books() != books) _fail(InvariantsSpec.INV_29_TRIP_NEUTRAL, 2);
    }

    /// @dev INV-27 as a property: every stop the guardian may set, on every entry, plus one asset's price FAILED and
    ///      poked; then each actor repays, adds collateral and (if debt-free) withdraws collateral. VaultHandler
    ///      records any refusal as a violation.
    function tripEverything(uint256 seed, uint256 amount) external tracked("tripEverything") {
        uint8 all = breaker.GUARDIAN_ACTIONS();
        breaker.guardianTrip(address(0), all);
        breaker.guardianTrip(_base, all);
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < assets.length; ++i) breaker.guardianTrip(assets[i], all);
        vaultHandler.setPriceStatus(seed, 3); // statusSeed 3: FAILED
        breaker.poke(_entry(seed));
        address[] memory actors = vaultHandler.actors();
        for (uint256 i; i < actors.length; ++i) {
            vaultHandler.repay(i, amount, seed % 2 == 0);
            vaultHandler.depositCollateral(i, seed + i, amount);
            vaultHandler.withdrawCollateral(i, seed + i, amount);
        }
        // The feed recovers (the breaker's trip stays until its cooldown and a poke): a price left FAILED for the
        // rest of the run would stop every later liquidation and starve the suite of them.
        vaultHandler.setPriceStatus(seed, 0);
    }

    /// @dev Anyone pays out a queued claim. INV-30: before its time it is refused; after, it always pays, exactly.
    function claim(uint256 idSeed) external tracked("claim") {
        uint256 count = queue.claimCount();
        if (count == 0) return;
        uint256 id = idSeed % count;
        IWithdrawalQueue.Claim memory c = queue.claimOf(id);
        if (c.paid) return;
        uint256 balanceBefore = MockERC20(c.asset).balanceOf(c.beneficiary);
        try queue.claim(id) {
            if (block.timestamp < c.readyAt) _fail(InvariantsSpec.INV_30_CLAIMS_PAYABLE, 1);
            if (MockERC20(c.asset).balanceOf(c.beneficiary) - balanceBefore != c.amount) {
                _fail(InvariantsSpec.INV_30_CLAIMS_PAYABLE, 2);
            }
        } catch {
            if (block.timestamp >= c.readyAt) _fail(InvariantsSpec.INV_30_CLAIMS_PAYABLE, 3);
        }
    }

    /// @dev INV-07: tokens sent straight to the vault change no share price, cash, debt or borrow limit. (Here rather
    ///      than in VaultHandler, which is at the contract size limit.)
    function donate(uint256 assetSeed, uint256 amount, uint256 actorSeed) external tracked("donate") {
        MockERC20[] memory tokens = vaultHandler.collaterals();
        MockERC20 token = assetSeed % 2 == 0 ? MockERC20(_base) : tokens[(assetSeed / 2) % tokens.length];
        amount = bound(amount, 1, 1_000_000 * 10 ** token.decimals());
        address[] memory actors = vaultHandler.actors();
        address actor = actors[actorSeed % actors.length];
        uint256 assetsBefore = vault.totalAssets();
        uint256 supplyBefore = vault.totalSupply();
        uint256 cashBefore = vault.cash();
        uint256 limitBefore = vault.accountLiquidity(actor).borrowLimit;
        token.mint(address(vault), amount);
        if (
            vault.totalAssets() != assetsBefore ||
            vault.totalSupply() != supplyBefore ||
            vault.cash() != cashBefore ||
            vault.accountLiquidity(actor).borrowLimit != limitBefore
        ) _fail(InvariantsSpec.INV_07_DONATION, amount);
    }

    // ----------------------------------------------------------------- helpers

    modifier tracked(bytes32 action) {
        calls[action] += 1;
        _;
    }

    /// @dev A digest of every balance, debt and index the breaker must not touch (INV-29). Health is a function of
    ///      these and of prices, which pokes do not move.
    function _books() internal view returns (bytes32 digest) {
        digest = keccak256(abi.encode(vault.cash(), vault.totalDebt(), vault.borrowIndex(), vault.totalSupply()));
        address[] memory actors = vaultHandler.actors();
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < actors.length; ++i) {
            digest = keccak256(abi.encode(digest, vault.debtOf(actors[i]), vault.balanceOf(actors[i])));
            for (uint256 j; j < assets.length; ++j) {
                digest = keccak256(abi.encode(digest, vault.collateralOf(actors[i], assets[j])));
            }
        }
    }

    /// @dev The global entry, the base asset or a collateral.
    function _entry(uint256 seed) internal view returns (address) {
        address[] memory assets = vault.collateralAssets();
        uint256 pick = seed % (assets.length + 2);
        if (pick == 0) return address(0);
        if (pick == 1) return _base;
        return assets[pick - 2];
    }

    function _fail(string memory what, uint256 value) internal {
        if (bytes(violation).length == 0) violation = string.concat(what, " (value ", vm.toString(value), ")");
    }
}
