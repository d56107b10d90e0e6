// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {UpkeepRules} from "./UpkeepRules.sol";

/// @title UpkeepFinder
/// @notice How SecurityOps finds the work due (`checkUpkeep`): every breaker entry and collateral for pokes,
///         volatility samples, cap syncs and rebalances first, then a window of the registry for liquidations, flags
///         and pruning, while gas lasts and while the perform it asks for fits its budget.
/// @dev Invariants (issue 19, property 10):
///      - It examines at most `scanSize` registered accounts and finds at most `maxLiquidations` liquidations,
///        MAX_TRACK flags and prunes, and one item of each asset kind per entry; it changes nothing (probes revert).
///      - Every item it returns is counted in an estimate of the perform's gas, and an item joins only while that
///        estimate stays within PERFORM_GAS_BUDGET (an item alone, when nothing else is due, always joins).
///      - It does not revert for want of gas or because one read fails: below ITEM_GAS + SCAN_GAS_RESERVE it asks no
///        more asset rules, below SCAN_GAS_RESERVE it examines no more accounts, every read it makes gets only the
///        gas above SCAN_GAS_RESERVE, and a read that fails counts as not due (its account skipped).
///      - A registered account is listed to prune only if it owes nothing, or owes less than `minDebt` and is not
///        liquidatable.
abstract contract UpkeepFinder is UpkeepRules {
    /// @dev The scan's tallies: items of each account kind found, the items in the work and the perform gas they are
    ///      estimated to need, and whether the next liquidation or flag no longer fits (`full`).
    struct Found {
        uint256 liquidations;
        uint256 flags;
        uint256 prunes;
        uint256 items;
        uint256 performGas;
        bool full;
    }

    function _findWork(bytes calldata checkData) internal returns (Work memory work, bool needed) {
        (uint256 from, uint256 to, uint256 visit) = _window(checkData);
        address[] memory collaterals = vault.collateralAssets();
        Found memory found;
        _checking = true;
        _findAssetWork(work, found, collaterals);
        if (!_gasLowForItem() && _fits(found, SAMPLE_GAS)) {
            uint256 gasBefore = gasleft();
            work.syncReserves = _reservesDue();
            if (work.syncReserves) _add(found, PERFORM_GAS_FACTOR * (gasBefore - gasleft()) + SAMPLE_GAS);
        }
        _scanAccounts(work, found, from, to, visit, collaterals);
        _checking = false;
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

    /// @dev Examines the window `[start, end)` from a point that moves with each `visit` (a scrambled offset, so a
    ///      check that gas or the budget cuts short reaches a different part of the window next time).
    function _scanAccounts(
        Work memory work,
        Found memory found,
        uint256 start,
        uint256 end,
        uint256 visit,
        address[] memory collaterals
    ) internal view {
        uint256 maxLiq = _settings.maxLiquidations;
        work.liquidations = new ILiquidationEngine.Order[](maxLiq);
        work.flags = new address[](MAX_TRACK);
        work.prune = new address[](MAX_TRACK);
        uint256 length = end - start;
        uint256 offset = length == 0 ? 0 : uint256(keccak256(abi.encode(visit))) % length;
        for (uint256 j; j < length && found.liquidations < maxLiq && !found.full && gasleft() > SCAN_GAS_RESERVE; ++j) {
            _scanOne(work, found, _accounts[start + ((offset + j) % length)], collaterals);
        }
        _shrink(work.liquidations, found.liquidations);
        _shrink(work.flags, found.flags);
        _shrink(work.prune, found.prunes);
    }

    /// @dev One registered account: to prune, to liquidate (through the collateral the engine repays most for,
    ///      among those the liquidator sells), to flag, or nothing; each only if the perform still fits its budget.
    function _scanOne(
        Work memory work,
        Found memory found,
        address account,
        address[] memory collaterals
    ) internal view {
        uint256 gasBefore = gasleft();
        (bool ok, bool liquidatable, bool prunable) = _examine(account);
        if (!ok) return;
        if (prunable) {
            // The perform reads what the check read (its debt, and its health if it owes anything), then prunes.
            uint256 pruneCost = PRUNE_GAS + (gasBefore - gasleft());
            if (found.prunes < MAX_TRACK && _fits(found, pruneCost)) {
                work.prune[found.prunes++] = account;
                _add(found, pruneCost);
            }
            return;
        }
        if (!liquidatable) return;
        uint256 examined = gasBefore - gasleft();
        (address collateral, uint256 quoteGas) = _bestCollateral(_settings.liquidator, account, collaterals);
        bool flag = collateral == address(0);
        if (flag && (engine.flaggedAt(account) != 0 || found.flags >= MAX_TRACK)) return;
        // A flag reads what the check read and values the account again; a liquidation reads it once more and
        // quotes one collateral (the engine's own), then sells it.
        uint256 cost = flag ? PERFORM_GAS_FACTOR * examined : examined + quoteGas + SWAP_GAS;
        if (!_fits(found, cost)) {
            found.full = true;
            return;
        }
        _add(found, cost);
        if (flag) work.flags[found.flags++] = account;
        else work.liquidations[found.liquidations++] = ILiquidationEngine.Order(account, collateral, type(uint256).max);
    }

    /// @dev Whether `account`'s reads succeeded (`ok`), whether it is liquidatable, and whether it is to be pruned:
    ///      no debt, or less than `minDebt` and not liquidatable (a small account in trouble stays registered). Each
    ///      read gets only the gas above SCAN_GAS_RESERVE: one that runs out (a feed burning its budget, the adapter
    ///      refusing a read it cannot fund) fails alone.
    function _examine(address account) internal view returns (bool ok, bool liquidatable, bool prunable) {
        uint256 debt;
        uint256 budget = _readGas();
        if (budget == 0) return (false, false, false);
        try vault.debtOf{gas: budget}(account) returns (uint256 owed) {
            debt = owed;
        } catch {
            return (false, false, false);
        }
        if (debt == 0) return (true, false, true);
        budget = _readGas();
        if (budget == 0) return (false, false, false);
        try vault.isLiquidatable{gas: budget}(account) returns (bool yes) {
            return (true, yes, !yes && debt < _minDebt);
        } catch {
            return (false, false, false);
        }
    }

    /// @dev The collateral the engine would repay most debt for, among those the liquidator can sell (zero: none, or
    ///      no liquidator yet), and the gas of one of the quotes that found it. Each quote gets only the gas above
    ///      SCAN_GAS_RESERVE; one that fails is skipped.
    function _bestCollateral(
        IUpkeepLiquidator liquidator,
        address account,
        address[] memory collaterals
    ) internal view returns (address best, uint256 quoteGas) {
        if (address(liquidator) == address(0)) return (address(0), 0);
        uint256 bestRepay;
        for (uint256 j; j < collaterals.length; ++j) {
            address collateral = collaterals[j];
            if (address(liquidator.poolFor(collateral)) == address(0) || vault.collateralOf(account, collateral) == 0)
                continue;
            uint256 budget = _readGas();
            if (budget == 0) break;
            uint256 gasBefore = gasleft();
            try engine.previewLiquidation{gas: budget}(account, collateral, type(uint256).max) returns (
                ILiquidationEngine.Quote memory quote
            ) {
                uint256 spent = gasBefore - gasleft();
                if (spent > quoteGas) quoteGas = spent;
                if (quote.repay > bestRepay) (best, bestRepay) = (collateral, quote.repay);
            } catch {} // solhint-disable-line no-empty-blocks
        }
    }

    /// @dev Whether an item estimated at `cost` joins the work: the perform stays within PERFORM_GAS_BUDGET, or the
    ///      work is otherwise empty.
    function _fits(Found memory found, uint256 cost) internal pure returns (bool) {
        return found.items == 0 || found.performGas + cost <= PERFORM_GAS_BUDGET;
    }

    function _add(Found memory found, uint256 cost) internal pure {
        ++found.items;
        found.performGas += cost;
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

    /// @dev The asset work due, each item counted in `found` and joining only while the perform fits its budget
    ///      (estimated at PERFORM_GAS_FACTOR × what finding it due cost, plus its action's own gas).
    function _findAssetWork(Work memory work, Found memory found, address[] memory collaterals) internal {
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
            if (_pokeDue(asset) && _join(found, gasBefore, 0)) work.pokes[nPoke++] = asset;
            if (i == 0 || _gasLowForItem()) continue;
            gasBefore = gasleft();
            bool sampleDue = _volatilityDue(asset);
            if (sampleDue && _join(found, gasBefore, SAMPLE_GAS)) work.volatility[nVol++] = asset;
            if (i == 1 || _gasLowForItem()) continue;
            gasBefore = gasleft();
            // A volatility update syncs its asset itself.
            if (!sampleDue && _syncDue(asset) && _join(found, gasBefore, SAMPLE_GAS)) work.syncs[nSync++] = asset;
            if (_gasLowForItem()) continue;
            gasBefore = gasleft();
            if (_rebalanceDue(asset) && _join(found, gasBefore, SWAP_GAS)) work.rebalances[nReb++] = asset;
        }
        _shrink(work.pokes, nPoke);
        _shrink(work.volatility, nVol);
        _shrink(work.syncs, nSync);
        _shrink(work.rebalances, nReb);
    }

    /// @dev Adds an asset item found due since `gasBefore`, with `actionGas` of its own, if it fits the budget.
    function _join(Found memory found, uint256 gasBefore, uint256 actionGas) internal view returns (bool) {
        uint256 cost = PERFORM_GAS_FACTOR * (gasBefore - gasleft()) + actionGas;
        if (!_fits(found, cost)) return false;
        _add(found, cost);
        return true;
    }
}
