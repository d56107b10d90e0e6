// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";

import {CollateralBook} from "../../contracts/core/CollateralBook.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {VaultFixture} from "../utils/VaultFixture.sol";

/// @notice The bounded ramp of a collateral's effective LTV and threshold (`riskParams`), against any sequence of
///         warps, risk-manager caps and governance configs that keep INV-17. This contract is the risk manager.
///         Observed after every warp and every change, the effective values never move faster than the vault's
///         constants allow, never overshoot, never move in a block without time passing (but for an LTV cut, which
///         applies at once), and reach their targets once the ramp has had the time it needs. The threshold target
///         is never below half the config (whatever cap an older config left), and no LTV in effect at any point of a
///         ramp is above a threshold that ramp reaches later: a borrow at the limit is never liquidated by the ramp
///         it was made in.
contract RiskRampFuzzTest is Test, VaultFixture {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant STEPS = 12;
    /// @dev The longest ramp: a threshold from 95% to 0 at 0.25 points an hour is 380 hours; the LTV is faster.
    uint256 internal constant LONGEST_RAMP = 380 hours;

    uint256 internal cutPerHour;
    uint256 internal raisePerHour;
    uint256 internal ltvRaisePerHour;

    address internal asset;
    uint256 internal prevLtv;
    uint256 internal prevLt;
    uint256 internal prevTime;
    /// @dev The highest LTV observed since the ramp last restarted.
    uint256 internal highestLtv;

    function setUp() public {
        _deployMarket();
        vm.warp(1_700_000_000);
        vault.setRiskModules(address(this), address(0));
        cutPerHour = CollateralBook.THRESHOLD_CUT_PER_HOUR;
        raisePerHour = CollateralBook.THRESHOLD_RAISE_PER_HOUR;
        ltvRaisePerHour = CollateralBook.LTV_RAISE_PER_HOUR;
    }

    /// @dev Each step: a warp of `dt` (0 in a quarter of the steps), an observation, then one of: new risk caps
    ///      (anywhere from the floor to above the config, or none), a new governance config keeping INV-17 along the
    ///      ramp, or nothing; then an observation in the same block. Finally, a warp past the longest ramp: the
    ///      targets are reached.
    function testFuzz_rampMovesWithinItsBounds(
        uint256 assetSeed,
        uint256[STEPS] memory dtSeeds,
        uint256[STEPS] memory kindSeeds,
        uint256[STEPS] memory ltvSeeds,
        uint256[STEPS] memory ltSeeds
    ) public {
        asset = address(collaterals[assetSeed % collaterals.length]);
        (prevLtv, prevLt) = vault.riskParams(asset);
        prevTime = block.timestamp;
        highestLtv = prevLtv;
        for (uint256 i; i < STEPS; ++i) {
            uint256 dt = dtSeeds[i] % 4 == 0 ? 0 : bound(dtSeeds[i] >> 2, 1, 30 hours);
            vm.warp(block.timestamp + dt);
            _observe(false);
            uint256 kind = kindSeeds[i] % 4;
            vm.recordLogs();
            if (kind == 0) _setCaps(ltvSeeds[i], ltSeeds[i]);
            else if (kind == 1) _setConfig(ltvSeeds[i], ltSeeds[i], kindSeeds[i] >> 2);
            else if (kind == 2) vault.setRiskCaps(asset, type(uint64).max, type(uint64).max);
            bool restarted = _rampRestarted();
            if (kind == 1) assertTrue(restarted, "a new config did not restart the ramp");
            if (kind == 3) assertFalse(restarted, "nothing restarted the ramp");
            _observe(restarted);
        }
        vm.warp(block.timestamp + LONGEST_RAMP);
        _observe(false);
        (uint256 ltvTarget, uint256 ltTarget) = _targets();
        assertEq(prevLt, ltTarget, "threshold target not reached");
        assertEq(prevLtv, ltvTarget < ltTarget ? ltvTarget : ltTarget, "LTV target not reached");
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        assertGe(prevLt, _floor(cfg.liquidationThreshold), "threshold below half the config");
    }

    /// @dev Risk caps: the threshold cap from the floor (half the config, rounded up) to 10 points above the config,
    ///      the LTV cap from 0 to 10 points above the config; either may be "none" (type(uint64).max).
    function _setCaps(uint256 ltvSeed, uint256 ltSeed) internal {
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        uint256 floor = _floor(cfg.liquidationThreshold);
        uint64 thresholdCap =
            ltSeed % 8 == 0
                ? type(uint64).max
                : uint64(bound(ltSeed >> 3, floor, uint256(cfg.liquidationThreshold) + 0.1e18));
        uint64 ltvCap =
            ltvSeed % 8 == 0 ? type(uint64).max : uint64(bound(ltvSeed >> 3, 0, uint256(cfg.borrowLtv) + 0.1e18));
        vault.setRiskCaps(asset, ltvCap, thresholdCap);
    }

    /// @dev A governance config: any threshold (1%–95%), LTV up to it, and the highest bonus INV-17 allows against
    ///      both the new threshold and the one still in effect, scaled by a seed.
    function _setConfig(uint256 ltvSeed, uint256 ltSeed, uint256 bonusSeed) internal {
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        uint256 lt = bound(ltSeed, 0.01e18, CollateralBook.MAX_LIQUIDATION_THRESHOLD);
        uint256 ltv = bound(ltvSeed, 0, lt);
        uint256 highest = lt > prevLt ? lt : prevLt;
        // (1 + bonus) · highest < 1, with the vault's upward rounding: highest · (WAD + bonus) ≤ WAD² − WAD.
        uint256 maxBonus = (WAD * WAD - WAD) / highest - WAD;
        if (maxBonus > CollateralBook.MAX_LIQUIDATION_BONUS) maxBonus = CollateralBook.MAX_LIQUIDATION_BONUS;
        cfg.borrowLtv = uint64(ltv);
        cfg.liquidationThreshold = uint64(lt);
        cfg.liquidationBonus = uint64(bound(bonusSeed, 0, maxBonus));
        vault.setCollateralConfig(asset, cfg);
    }

    /// @dev Whether the vault emitted RiskRampStarted since `vm.recordLogs()`.
    function _rampRestarted() internal returns (bool) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(vault) && logs[i].topics[0] == ICollateralVault.RiskRampStarted.selector) {
                return true;
            }
        }
        return false;
    }

    /// @dev The targets now. Threshold: min(config, cap), never below half the config (rounded up). LTV: min(config,
    ///      cap, threshold target less the config's LTV-to-threshold gap), floored at 0.
    function _targets() internal view returns (uint256 ltvTarget, uint256 ltTarget) {
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        (, , uint64 ltvCap, uint64 thresholdCap) = lens.riskRamp(vault, asset);
        ltTarget = cfg.liquidationThreshold < thresholdCap ? cfg.liquidationThreshold : thresholdCap;
        uint256 floor = _floor(cfg.liquidationThreshold);
        if (ltTarget < floor) ltTarget = floor;
        uint256 gap = uint256(cfg.liquidationThreshold) - cfg.borrowLtv;
        ltvTarget = cfg.borrowLtv < ltvCap ? cfg.borrowLtv : ltvCap;
        uint256 belowThreshold = ltTarget > gap ? ltTarget - gap : 0;
        if (ltvTarget > belowThreshold) ltvTarget = belowThreshold;
    }

    /// @dev Half a threshold, rounded up: the lowest threshold cap the vault accepts.
    function _floor(uint256 lt) internal pure returns (uint256) {
        return (lt * CollateralBook.MIN_THRESHOLD_CAP_SHARE + WAD - 1) / WAD;
    }

    /// @dev Checks the effective values against the last observation, then makes them the last observation.
    ///      Between two observations the ramp does not restart (every change is observed in its block), so the
    ///      values move monotonically towards one target. The ramp rounds its move down from its own start, so the
    ///      move over an interval that starts mid-ramp can be one wei above rate · dt / 1 h, never more: bounded by
    ///      that, rounded up (exact when dt = 0: no move at all).
    function _observe(bool restarted) internal {
        (uint256 ltv, uint256 lt) = vault.riskParams(asset);
        uint256 dt = block.timestamp - prevTime;
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, asset);
        (uint256 ltvTarget, uint256 ltTarget) = _targets();

        assertLe(ltv, lt, "LTV above the threshold");
        if (lt < prevLt) {
            assertLe(prevLt - lt, _ceilDiv(cutPerHour * dt, 1 hours), "threshold fell too fast");
        } else {
            assertLe(lt - prevLt, _ceilDiv(raisePerHour * dt, 1 hours), "threshold rose too fast");
        }
        if (ltv > prevLtv) assertLe(ltv - prevLtv, _ceilDiv(ltvRaisePerHour * dt, 1 hours), "LTV rose too fast");
        if (dt == 0) {
            assertEq(lt, prevLt, "threshold moved in the block of a change");
            assertLe(ltv, prevLtv, "LTV rose in the block of a change");
        }
        // No overshoot: between the last value and the target; never above the config or the last value.
        assertGe(lt, prevLt < ltTarget ? prevLt : ltTarget, "threshold below both the last value and the target");
        assertLe(lt, prevLt > ltTarget ? prevLt : ltTarget, "threshold above both the last value and the target");
        assertLe(lt, prevLt > cfg.liquidationThreshold ? prevLt : cfg.liquidationThreshold, "threshold above config");
        assertLe(ltv, prevLtv > ltvTarget ? prevLtv : ltvTarget, "LTV above both the last value and the target");
        // A restart starts from the values in effect: what was observed just before, in the same block.
        if (restarted) {
            (ICollateralVault.RiskRamp memory ramp, uint256 start, , ) = lens.riskRamp(vault, asset);
            assertEq(start, block.timestamp, "ramp restarted at another time");
            assertEq(ramp.thresholdFrom, prevLt, "ramp restarted from another threshold");
            assertEq(ramp.ltvFrom, prevLtv, "ramp restarted from another LTV");
            assertEq(ramp.thresholdTarget, ltTarget, "ramp towards another threshold");
            assertEq(ramp.ltvTarget, ltvTarget, "ramp towards another LTV");
            // An LTV cut applies at once; anything else waits for time to pass.
            assertEq(ltv, prevLtv < ltvTarget ? prevLtv : ltvTarget, "LTV cut not applied at once");
            assertGe(ramp.thresholdTarget, _floor(cfg.liquidationThreshold), "threshold target below the floor");
            highestLtv = ltv; // a new ramp: a parameter change may tighten, but only along it
        }
        // Within one ramp, no threshold is below an LTV that was in effect earlier: a borrow at the limit at any point
        // of the ramp is never liquidated by the ramp itself, prices unchanged.
        if (ltv > highestLtv) highestLtv = ltv;
        assertGe(lt, highestLtv, "threshold below an earlier LTV of the same ramp");
        (prevLtv, prevLt, prevTime) = (ltv, lt, block.timestamp);
    }

    function _ceilDiv(uint256 x, uint256 d) internal pure returns (uint256) {
        return (x + d - 1) / d;
    }
}
