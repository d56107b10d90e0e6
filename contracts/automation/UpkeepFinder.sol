// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {UpkeepRules} from "./UpkeepRules.sol";

/// @title UpkeepFinder
/// @notice How SecurityOps finds the work due (`checkUpkeep`): every breaker entry and collateral for pokes,
///         volatility samples, cap syncs and rebalances first, then a window of the registry for liquidations, flags
///         and pruning, while gas lasts.
/// @dev Invariants: it examines at most `scanSize` registered accounts and finds at most `maxLiquidations`
///      liquidations, MAX_TRACK flags and prunes, and one item of each asset kind per entry; liquidations and flags
///      stop once their estimated perform gas would pass ACCOUNT_WORK_GAS (at least one is always allowed); it changes nothing (its
///      poke probes revert). It never reverts for want of gas or because one read fails (issue 19, property 10):
///      below ITEM_GAS + SCAN_GAS_RESERVE it starts no more asset items, below SCAN_GAS_RESERVE no more accounts, an
///      account's reads get only the gas above SCAN_GAS_RESERVE, and a read that fails skips its account.
abstract contract UpkeepFinder is UpkeepRules {
    function _findWork(bytes calldata checkData) internal returns (Work memory work, bool needed) {
        (uint256 from, uint256 to, uint256 visit) = _window(checkData);
        address[] memory collaterals = vault.collateralAssets();
        uint256 performGas = _findAssetWork(work, collaterals);
        if (!_gasLowForItem()) work.syncReserves = _reservesDue();
        _scanAccounts(work, from, to, visit, collaterals, performGas);
        needed =
            work.liquidations.length + work.flags.length + work.pokes.length + work.volatility.length != 0 ||
            work.syncs.length + work.rebalances.length != 0 ||
            work.syncReserves ||
            work.prune.length == MAX_TRACK;
    }

    /// @dev The registry indices `checkUpkeep` examines: `scanSize` of them from `[from, to)` (the whole registry for
    ///      empty `checkData`), the window chosen by the block number so consecutive blocks cover the range; and how
    ///      many times this window has come round (`visit`), which moves where its examination starts.
    function _window(bytes calldata checkData) internal view returns (uint256 start, uint256 end, uint256 visit) {
        uint256 count = _accounts.length;
        if (count == 0) return (0, 0, 0);
        (uint256 from, uint256 to) = (0, count);
        if (checkData.length != 0) {
            if (checkData.length != 64) revert BadCheckData();
            (from, to) = abi.decode(checkData, (uint256, uint256));
            if (from >= to) revert BadCheckData();
            if (to > count) to = count;
            if (from >= to) return (0, 0, 0);
        }
        uint256 size = _settings.scanSize;
        uint256 windows = (to - from + size - 1) / size;
        start = from + (block.number % windows) * size;
        end = start + size < to ? start + size : to;
        visit = block.number / windows;
    }

    /// @dev How many of each account item one scan has found, and the perform gas the work found so far is estimated
    ///      to need (`full`: the next liquidation or flag would pass PERFORM_GAS_BUDGET).
    struct Found {
        uint256 liquidations;
        uint256 flags;
        uint256 prunes;
        uint256 performGas;
        bool full;
    }

    /// @dev Examines the window `[start, end)` from a point that moves with each `visit` (a scrambled offset, so a
    ///      check that gas cuts short reaches a different part of the window next time), until gas runs low.
    function _scanAccounts(
        Work memory work,
        uint256 start,
        uint256 end,
        uint256 visit,
        address[] memory collaterals,
        uint256 assetWorkGas
    ) internal view {
        uint256 maxLiq = _settings.maxLiquidations;
        work.liquidations = new ILiquidationEngine.Order[](maxLiq);
        work.flags = new address[](MAX_TRACK);
        work.prune = new address[](MAX_TRACK);
        Found memory found;
        found.performGas = assetWorkGas;
        uint256 length = end - start;
        uint256 offset = length == 0 ? 0 : uint256(keccak256(abi.encode(visit))) % length;
        for (uint256 j; j < length && found.liquidations < maxLiq && !found.full && gasleft() > SCAN_GAS_RESERVE; ++j) {
            _scanOne(work, found, _accounts[start + ((offset + j) % length)], collaterals);
        }
        _shrink(work.liquidations, found.liquidations);
        _shrink(work.flags, found.flags);
        _shrink(work.prune, found.prunes);
    }

    /// @dev One registered account: to prune (debt below the minimum), to liquidate (through the collateral the
    ///      engine repays most for, among those the liquidator sells), to flag, or nothing; a liquidation or flag only
    ///      while the perform gas estimated for the whole work stays within PERFORM_GAS_BUDGET (the first always).
    function _scanOne(
        Work memory work,
        Found memory found,
        address account,
        address[] memory collaterals
    ) internal view {
        uint256 gasBefore = gasleft();
        (bool ok, bool liquidatable, bool belowMin) = _examine(account);
        if (!ok) return;
        if (belowMin) {
            if (found.prunes < MAX_TRACK) work.prune[found.prunes++] = account;
            return;
        }
        if (!liquidatable) return;
        address collateral = _bestCollateral(_settings.liquidator, account, collaterals);
        bool flag = collateral == address(0);
        if (flag && (engine.flaggedAt(account) != 0 || found.flags >= MAX_TRACK)) return;
        uint256 found_ = gasBefore - gasleft();
        uint256 cost = flag ? PERFORM_GAS_FACTOR * found_ : found_ + SWAP_GAS;
        if (found.liquidations + found.flags != 0 && found.performGas + cost > PERFORM_GAS_BUDGET) {
            found.full = true;
            return;
        }
        found.performGas += cost;
        if (!flag) {
            work.liquidations[found.liquidations++] = ILiquidationEngine.Order(account, collateral, type(uint256).max);
        } else {
            work.flags[found.flags++] = account;
        }
    }

    /// @dev Whether `account`'s reads succeeded (`ok`), whether it is liquidatable, and whether its debt is below the
    ///      registry's minimum. Each read gets only the gas above SCAN_GAS_RESERVE: one that runs out (a feed
    ///      burning its budget, the adapter refusing a read it cannot fund) fails alone.
    function _examine(address account) internal view returns (bool ok, bool liquidatable, bool belowMin) {
        uint256 budget = _readGas();
        if (budget == 0) return (false, false, false);
        try vault.debtOf{gas: budget}(account) returns (uint256 debt) {
            if (_belowMinDebt(debt)) return (true, false, true);
        } catch {
            return (false, false, false);
        }
        budget = _readGas();
        if (budget == 0) return (false, false, false);
        try vault.isLiquidatable{gas: budget}(account) returns (bool yes) {
            return (true, yes, false);
        } catch {
            return (false, false, false);
        }
    }

    /// @dev The collateral the engine would repay most debt for, among those the liquidator can sell (zero: none, or
    ///      no liquidator yet). Each quote gets only the gas above SCAN_GAS_RESERVE; one that fails is skipped.
    function _bestCollateral(
        IUpkeepLiquidator liquidator,
        address account,
        address[] memory collaterals
    ) internal view returns (address best) {
        if (address(liquidator) == address(0)) return address(0);
        uint256 bestRepay;
        for (uint256 j; j < collaterals.length && gasleft() > SCAN_GAS_RESERVE; ++j) {
            address collateral = collaterals[j];
            if (address(liquidator.poolFor(collateral)) == address(0) || vault.collateralOf(account, collateral) == 0)
                continue;
            uint256 budget = _readGas();
            if (budget == 0) break;
            try engine.previewLiquidation{gas: budget}(account, collateral, type(uint256).max) returns (
                ILiquidationEngine.Quote memory quote
            ) {
                if (quote.repay > bestRepay) (best, bestRepay) = (collateral, quote.repay);
            } catch {} // solhint-disable-line no-empty-blocks
        }
    }

    /// @dev The gas a scan read may use: what is left above SCAN_GAS_RESERVE (0: too little to start one).
    function _readGas() internal view returns (uint256) {
        uint256 left = gasleft();
        return left > SCAN_GAS_RESERVE + 10_000 ? left - SCAN_GAS_RESERVE : 0;
    }

    /// @dev Whether too little gas is left to start an item whose rule calls out (they need ITEM_GAS each).
    function _gasLowForItem() internal view returns (bool) {
        return gasleft() < ITEM_GAS + SCAN_GAS_RESERVE;
    }

    /// @dev The asset work due, and the perform gas it is estimated to need (PERFORM_GAS_FACTOR × what finding each
    ///      due item cost).
    function _findAssetWork(Work memory work, address[] memory collaterals) internal returns (uint256 performGas) {
        uint256 count = collaterals.length;
        work.pokes = new address[](count + 2);
        work.volatility = new address[](count + 1);
        work.syncs = new address[](count);
        work.rebalances = new address[](count);
        (uint256 nPoke, uint256 nVol, uint256 nSync, uint256 nReb) = (0, 0, 0, 0);
        // Entries: the global one, the base asset, then each collateral. Each rule is asked only with ITEM_GAS to
        // spare above the reserve (its own guard would revert below ITEM_GAS).
        for (uint256 i; i < count + 2; ++i) {
            address asset =
                i == 0
                    ? address(0)
                    : i == 1
                        ? _base
                        : collaterals[i - 2];
            if (_gasLowForItem()) break;
            uint256 gasBefore = gasleft();
            if (_pokeDue(asset)) {
                work.pokes[nPoke++] = asset;
                performGas += PERFORM_GAS_FACTOR * (gasBefore - gasleft());
            }
            if (i == 0 || _gasLowForItem()) continue;
            gasBefore = gasleft();
            bool sampleDue = _volatilityDue(asset);
            if (sampleDue) {
                work.volatility[nVol++] = asset;
                performGas += PERFORM_GAS_FACTOR * (gasBefore - gasleft()) + SAMPLE_GAS;
            }
            if (i == 1 || _gasLowForItem()) continue;
            gasBefore = gasleft();
            // A volatility update syncs its asset itself.
            if (!sampleDue && _syncDue(asset)) {
                work.syncs[nSync++] = asset;
                performGas += PERFORM_GAS_FACTOR * (gasBefore - gasleft()) + SAMPLE_GAS;
            }
            gasBefore = gasleft();
            if (!_gasLowForItem() && _rebalanceDue(asset)) {
                work.rebalances[nReb++] = asset;
                performGas += PERFORM_GAS_FACTOR * (gasBefore - gasleft()) + SWAP_GAS;
            }
        }
        _shrink(work.pokes, nPoke);
        _shrink(work.volatility, nVol);
        _shrink(work.syncs, nSync);
        _shrink(work.rebalances, nReb);
    }
}
