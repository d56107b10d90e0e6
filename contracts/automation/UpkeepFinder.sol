// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {UpkeepRules} from "./UpkeepRules.sol";

/// @title UpkeepFinder
/// @notice How SecurityOps finds the work due (`checkUpkeep`): a window of the registry for liquidations, flags and
///         pruning, then every breaker entry and collateral for pokes, volatility samples, cap syncs and rebalances.
/// @dev Invariants: it examines at most `scanSize` registered accounts and finds at most `maxLiquidations`
///      liquidations, MAX_TRACK flags and prunes, and one item of each asset kind per entry; it changes nothing (its
///      poke probes revert).
abstract contract UpkeepFinder is UpkeepRules {
    function _findWork(bytes calldata checkData) internal returns (Work memory work, bool needed) {
        (uint256 from, uint256 to) = _window(checkData);
        address[] memory collaterals = vault.collateralAssets();
        _scanAccounts(work, from, to, collaterals);
        _findAssetWork(work, collaterals);
        work.syncReserves = _reservesDue();
        needed =
            work.liquidations.length + work.flags.length + work.pokes.length + work.volatility.length != 0 ||
            work.syncs.length + work.rebalances.length != 0 ||
            work.syncReserves ||
            work.prune.length == MAX_TRACK;
    }

    /// @dev The registry indices `checkUpkeep` examines: `scanSize` of them from `[from, to)` (the whole registry for
    ///      empty `checkData`), the window chosen by the block number so consecutive blocks cover the range.
    function _window(bytes calldata checkData) internal view returns (uint256 start, uint256 end) {
        uint256 count = _accounts.length;
        if (count == 0) return (0, 0);
        (uint256 from, uint256 to) = (0, count);
        if (checkData.length != 0) {
            if (checkData.length != 64) revert BadCheckData();
            (from, to) = abi.decode(checkData, (uint256, uint256));
            if (from >= to) revert BadCheckData();
            if (to > count) to = count;
            if (from >= to) return (0, 0);
        }
        uint256 size = _settings.scanSize;
        uint256 windows = (to - from + size - 1) / size;
        start = from + (block.number % windows) * size;
        end = start + size < to ? start + size : to;
    }

    function _scanAccounts(Work memory work, uint256 start, uint256 end, address[] memory collaterals) internal view {
        uint256 maxLiq = _settings.maxLiquidations;
        work.liquidations = new ILiquidationEngine.Order[](maxLiq);
        work.flags = new address[](MAX_TRACK);
        work.prune = new address[](MAX_TRACK);
        (uint256 nLiq, uint256 nFlag, uint256 nPrune) = (0, 0, 0);
        IUpkeepLiquidator liquidator = _settings.liquidator;
        for (uint256 i = start; i < end && nLiq < maxLiq; ++i) {
            address account = _accounts[i];
            if (vault.debtOf(account) == 0) {
                if (nPrune < MAX_TRACK) work.prune[nPrune++] = account;
                continue;
            }
            if (!vault.isLiquidatable(account)) continue;
            address collateral = _bestCollateral(liquidator, account, collaterals);
            if (collateral != address(0)) {
                work.liquidations[nLiq++] = ILiquidationEngine.Order(account, collateral, type(uint256).max);
            } else if (engine.flaggedAt(account) == 0 && nFlag < MAX_TRACK) {
                work.flags[nFlag++] = account;
            }
        }
        _shrink(work.liquidations, nLiq);
        _shrink(work.flags, nFlag);
        _shrink(work.prune, nPrune);
    }

    /// @dev The collateral the engine would repay most debt for, among those the liquidator can sell (zero: none, or
    ///      no liquidator yet).
    function _bestCollateral(
        IUpkeepLiquidator liquidator,
        address account,
        address[] memory collaterals
    ) internal view returns (address best) {
        if (address(liquidator) == address(0)) return address(0);
        uint256 bestRepay;
        for (uint256 j; j < collaterals.length; ++j) {
            address collateral = collaterals[j];
            if (address(liquidator.poolFor(collateral)) == address(0) || vault.collateralOf(account, collateral) == 0)
                continue;
            uint256 gasBefore = _gasForItem();
            try engine.previewLiquidation(account, collateral, type(uint256).max) returns (
                ILiquidationEngine.Quote memory quote
            ) {
                if (quote.repay > bestRepay) (best, bestRepay) = (collateral, quote.repay);
            } catch {
                _afterFailure(gasBefore);
            }
        }
    }

    function _findAssetWork(Work memory work, address[] memory collaterals) internal {
        uint256 count = collaterals.length;
        work.pokes = new address[](count + 2);
        work.volatility = new address[](count + 1);
        work.syncs = new address[](count);
        work.rebalances = new address[](count);
        (uint256 nPoke, uint256 nVol, uint256 nSync, uint256 nReb) = (0, 0, 0, 0);
        // Entries: the global one, the base asset, then each collateral.
        for (uint256 i; i < count + 2; ++i) {
            address asset =
                i == 0
                    ? address(0)
                    : i == 1
                        ? _base
                        : collaterals[i - 2];
            if (_pokeDue(asset)) work.pokes[nPoke++] = asset;
            if (i == 0) continue;
            bool sampleDue = _volatilityDue(asset);
            if (sampleDue) work.volatility[nVol++] = asset;
            if (i == 1) continue;
            // A volatility update syncs its asset itself.
            if (!sampleDue && _syncDue(asset)) work.syncs[nSync++] = asset;
            if (_rebalanceDue(asset)) work.rebalances[nReb++] = asset;
        }
        _shrink(work.pokes, nPoke);
        _shrink(work.volatility, nVol);
        _shrink(work.syncs, nSync);
        _shrink(work.rebalances, nReb);
    }
}
