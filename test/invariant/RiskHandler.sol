// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {CollateralBook} from "../../contracts/core/CollateralBook.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";
import {VaultHandler} from "./VaultHandler.sol";

/// @notice The risk manager's actions for the invariant suite: this handler is the vault's risk manager and sets any
///         valid caps at random, including the deepest cuts and full restores, between VaultHandler's actions and
///         warps. Post-conditions go to `violation`; `invariant_INV38_riskRamp` checks the ramp against the last
///         snapshot each call records.
contract RiskHandler is CommonBase, StdUtils {
    uint256 internal constant WAD = 1e18;

    CollateralVault public immutable vault;
    VaultLens private immutable lens;
    VaultHandler public immutable vaultHandler;

    string public violation;
    mapping(bytes32 action => uint256) public calls;

    /// @dev The effective parameters of each asset when this handler last looked, and when.
    struct Snapshot {
        uint256 ltv;
        uint256 threshold;
        uint256 time;
    }

    mapping(address asset => Snapshot) public snapshots;

    constructor(CollateralVault vault_, VaultHandler vaultHandler_) {
        vault = vault_;
        vaultHandler = vaultHandler_;
        lens = vaultHandler_.lens();
        address[] memory assets = vault_.collateralAssets();
        for (uint256 i; i < assets.length; ++i) _snapshot(assets[i]);
    }

    /// @dev Sets random valid caps on a random collateral: the threshold cap anywhere from the floor (half the config)
    ///      to above the config, the LTV cap anywhere from 0. INV-38: no account's health or liquidatability changes in
    ///      the block the caps change, and nothing but the ramp moves.
    function setCaps(uint256 assetSeed, uint256 ltvSeed, uint256 thresholdSeed) external tracked("setCaps") {
        address asset = _asset(assetSeed);
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        uint256 floor = (uint256(cfg.liquidationThreshold) * CollateralBook.MIN_THRESHOLD_CAP_SHARE + WAD - 1) / WAD;
        uint64 thresholdCap = uint64(bound(thresholdSeed, floor, uint256(cfg.liquidationThreshold) + 0.05e18));
        uint64 ltvCap = uint64(bound(ltvSeed, 0, uint256(cfg.borrowLtv) + 0.05e18));
        _apply(asset, ltvCap, thresholdCap);
    }

    /// @dev The risk score the suite's risk manager reports (SolvencySnapshots reads it): a stand-in that orders accounts
    ///      as health does, (health - 1) in σ; type(uint256).max with no debt, 0 at or below health 1.
    function riskScore(address account) external view returns (uint256) {
        uint256 health = lens.healthFactor(vault, account);
        if (health == type(uint256).max) return health;
        return health > WAD ? health - WAD : 0;
    }

    /// @dev Lifts every cap of a random collateral (the risk manager's "all clear"): the ramp climbs back slowly.
    function clearCaps(uint256 assetSeed) external tracked("clearCaps") {
        _apply(_asset(assetSeed), type(uint64).max, type(uint64).max);
    }

    function _apply(address asset, uint64 ltvCap, uint64 thresholdCap) internal {
        _checkRamp(asset);
        address[] memory actors = vaultHandler.actors();
        uint256[] memory health = new uint256[](actors.length);
        bool[] memory liquidatable = new bool[](actors.length);
        for (uint256 i; i < actors.length; ++i) {
            health[i] = lens.healthFactor(vault, actors[i]);
            liquidatable[i] = vault.isLiquidatable(actors[i]);
        }
        (uint256 ltvBefore, uint256 thresholdBefore) = vault.riskParams(asset);
        vault.setRiskCaps(asset, ltvCap, thresholdCap);
        (uint256 ltvAfter, uint256 thresholdAfter) = vault.riskParams(asset);
        if (thresholdAfter != thresholdBefore) _fail(InvariantsSpec.INV_38_RISK_RAMP, 1);
        // An LTV cut applies at once (that is the point); a raise waits for the ramp.
        if (ltvAfter > ltvBefore) _fail(InvariantsSpec.INV_38_RISK_RAMP, 2);
        for (uint256 i; i < actors.length; ++i) {
            if (lens.healthFactor(vault, actors[i]) != health[i]) _fail(InvariantsSpec.INV_38_RISK_RAMP, 3);
            if (vault.isLiquidatable(actors[i]) != liquidatable[i]) _fail(InvariantsSpec.INV_38_RISK_RAMP, 4);
        }
        _snapshot(asset);
    }

    /// @dev Compares `asset`'s effective parameters with the last snapshot: the threshold fell no faster than
    ///      THRESHOLD_CUT_PER_HOUR and rose no faster than THRESHOLD_RAISE_PER_HOUR, the LTV rose no faster than
    ///      LTV_RAISE_PER_HOUR, the LTV is at most the threshold, both are inside [floor, config], and the LTV heads
    ///      for no more than the threshold's target less governance's LTV-to-threshold gap.
    function rampViolation(address asset) public view returns (uint256 code) {
        Snapshot memory s = snapshots[asset];
        (uint256 ltv, uint256 threshold) = vault.riskParams(asset);
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        uint256 dt = block.timestamp - s.time;
        // The vault rounds each move down from the ramp's start, not from this snapshot, so over a sub-interval a move
        // can exceed rate × dt by under one wei: the bound is rounded up (exact when dt = 0). Found by the campaign
        // with seed 0x6a6e (test/regressions/*INV38*Seed6a6e.t.sol).
        if (threshold < s.threshold && s.threshold - threshold > _allowed(CollateralBook.THRESHOLD_CUT_PER_HOUR, dt)) {
            return 10;
        }
        if (
            threshold > s.threshold && threshold - s.threshold > _allowed(CollateralBook.THRESHOLD_RAISE_PER_HOUR, dt)
        ) {
            return 11;
        }
        if (ltv > s.ltv && ltv - s.ltv > _allowed(CollateralBook.LTV_RAISE_PER_HOUR, dt)) return 12;
        if (ltv > threshold) return 13;
        if (threshold > cfg.liquidationThreshold || ltv > cfg.borrowLtv) return 14;
        if (threshold * WAD < uint256(cfg.liquidationThreshold) * CollateralBook.MIN_THRESHOLD_CAP_SHARE) return 15;
        // The LTV heads no higher than where the threshold heads, less governance's gap: no borrow the ramp liquidates.
        (ICollateralVault.RiskRamp memory ramp, , , ) = lens.riskRamp(vault, asset);
        uint256 gap = cfg.liquidationThreshold - cfg.borrowLtv;
        if (ramp.ltvTarget + gap > ramp.thresholdTarget && ramp.ltvTarget != 0) return 16;
        return 0;
    }

    /// @dev ceil(ratePerHour × dt / 1 hour).
    function _allowed(uint256 ratePerHour, uint256 dt) internal pure returns (uint256) {
        return (ratePerHour * dt + 1 hours - 1) / 1 hours;
    }

    function _checkRamp(address asset) internal {
        uint256 code = rampViolation(asset);
        if (code != 0) _fail(InvariantsSpec.INV_38_RISK_RAMP, code);
    }

    function _snapshot(address asset) internal {
        (uint256 ltv, uint256 threshold) = vault.riskParams(asset);
        snapshots[asset] = Snapshot(ltv, threshold, block.timestamp);
    }

    function _asset(uint256 seed) internal view returns (address) {
        address[] memory assets = vault.collateralAssets();
        return assets[seed % assets.length];
    }

    modifier tracked(bytes32 action) {
        calls[action] += 1;
        _;
    }

    function _fail(string memory what, uint256 value) internal {
        if (bytes(violation).length == 0) violation = string.concat(what, " (value ", vm.toString(value), ")");
    }
}
