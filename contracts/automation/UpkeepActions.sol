// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IRebalancer} from "../interfaces/IRebalancer.sol";
import {IRiskManager} from "../interfaces/IRiskManager.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {UpkeepRules} from "./UpkeepRules.sol";

/// @title UpkeepActions
/// @notice How SecurityOps performs an upkeep's work: each item re-validated with its rule, then done; a failing
///         action is reported and the upkeep goes on.
/// @dev Invariants: an item not due is skipped (`WorkSkipped`), never done; only a liquidation that went through
///      counts as done; at most `maxLiquidations` liquidations, in one flash-liquidation batch.
abstract contract UpkeepActions is UpkeepRules {
    using VaultStorage for ICollateralVault;

    /// @dev Items done and skipped by one `performUpkeep`.
    struct Tally {
        uint256 done;
        uint256 skipped;
    }

    function _checkSizes(Work memory work) internal view {
        _checkLength(Kind.TRACK, work.track.length, MAX_TRACK);
        _checkLength(Kind.LIQUIDATE, work.liquidations.length, _settings.maxLiquidations);
        _checkLength(Kind.FLAG, work.flags.length, MAX_TRACK);
        _checkLength(Kind.POKE, work.pokes.length, MAX_ASSET_ITEMS);
        _checkLength(Kind.VOLATILITY, work.volatility.length, MAX_ASSET_ITEMS);
        _checkLength(Kind.SYNC, work.syncs.length, MAX_ASSET_ITEMS);
        _checkLength(Kind.REBALANCE, work.rebalances.length, MAX_ASSET_ITEMS);
        _checkLength(Kind.PRUNE, work.prune.length, MAX_TRACK);
    }

    function _checkLength(Kind kind, uint256 length, uint256 max) internal pure {
        if (length > max) revert WorkTooLarge(kind, length, max);
    }

    function _performTrack(address[] memory list, Tally memory tally) internal {
        for (uint256 i; i < list.length; ++i) {
            if (_trackable(list[i])) {
                _addAccount(list[i]);
                ++tally.done;
            } else {
                ++tally.skipped;
                emit WorkSkipped(Kind.TRACK, list[i]);
            }
        }
    }

    function _performVolatility(address[] memory list, Tally memory tally) internal {
        IRiskManager rm = _riskManager();
        for (uint256 i; i < list.length; ++i) {
            address asset = list[i];
            if (!_volatilityDue(asset)) {
                ++tally.skipped;
                emit WorkSkipped(Kind.VOLATILITY, asset);
                continue;
            }
            ++tally.done;
            uint256 gasBefore = _gasForItem();
            try volatilityOracle.update(asset) {
                if (asset != _base && address(rm) != address(0) && _syncDue(asset)) _sync(rm, asset);
            } catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.VOLATILITY, asset, reason);
            }
        }
    }

    function _performSyncs(address[] memory list, Tally memory tally) internal {
        IRiskManager rm = _riskManager();
        for (uint256 i; i < list.length; ++i) {
            if (!_syncDue(list[i])) {
                ++tally.skipped;
                emit WorkSkipped(Kind.SYNC, list[i]);
                continue;
            }
            ++tally.done;
            _sync(rm, list[i]);
        }
    }

    function _sync(IRiskManager rm, address asset) internal {
        uint256 gasBefore = _gasForItem();
        try rm.sync(asset) {} catch (bytes memory reason) {
            _afterFailure(gasBefore);
            emit WorkFailed(Kind.SYNC, asset, reason);
        }
    }

    function _performSyncReserves(bool wanted, Tally memory tally) internal {
        if (!wanted) return;
        if (!_reservesDue()) {
            ++tally.skipped;
            emit WorkSkipped(Kind.SYNC_RESERVES, address(0));
            return;
        }
        ++tally.done;
        uint256 gasBefore = _gasForItem();
        try _riskManager().syncReserves() {} catch (bytes memory reason) {
            _afterFailure(gasBefore);
            emit WorkFailed(Kind.SYNC_RESERVES, address(0), reason);
        }
    }

    function _performPokes(address[] memory list, Tally memory tally) internal {
        ICircuitBreaker breaker = _breaker();
        for (uint256 i; i < list.length; ++i) {
            address asset = list[i];
            if (!_pokeDue(asset)) {
                ++tally.skipped;
                emit WorkSkipped(Kind.POKE, asset);
                continue;
            }
            ++tally.done;
            uint256 gasBefore = _gasForItem();
            try breaker.poke(asset) {
                _lastPoked[asset] = block.timestamp;
            } catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.POKE, asset, reason);
            }
        }
    }

    function _performLiquidations(ILiquidationEngine.Order[] memory orders, Tally memory tally) internal {
        ILiquidationEngine.Order[] memory valid = new ILiquidationEngine.Order[](orders.length);
        uint256 count;
        IUpkeepLiquidator liquidator = _settings.liquidator;
        for (uint256 i; i < orders.length; ++i) {
            ILiquidationEngine.Order memory order = orders[i];
            bool due =
                address(liquidator) != address(0) &&
                    vault.isLiquidatable(order.borrower) &&
                    address(liquidator.poolFor(order.collateral)) != address(0) &&
                    vault.collateralOf(order.borrower, order.collateral) != 0 &&
                    !_listed(valid, count, order.borrower);
            if (due) {
                valid[count++] = order;
            } else {
                ++tally.skipped;
                emit WorkSkipped(Kind.LIQUIDATE, order.borrower);
            }
        }
        if (count == 0) return;
        _shrink(valid, count);
        // The engine skips (and reports) a liquidation that fails; the batch itself reverts only if out of gas. Only
        // a liquidation that went through counts as done, so an upkeep whose liquidations all fail (the pool cannot
        // cover the debt, say) and that has nothing else due reverts, and Automation stops sending it. A failed
        // account is flagged instead when it is not yet: its bonus ramp draws liquidators with other routes. That
        // flag is extra work the check did not budget, so it is left (still due, found by a later check as a flag)
        // rather than started without ITEM_GAS: a crash whose sales all fail never reverts the pokes with it.
        (, bool[] memory ok) = liquidator.liquidateBatch(valid, 0);
        for (uint256 i; i < count; ++i) {
            if (ok[i]) {
                ++tally.done;
                continue;
            }
            address borrower = valid[i].borrower;
            emit WorkFailed(Kind.LIQUIDATE, borrower, "");
            if (engine.flaggedAt(borrower) != 0 || gasleft() < ITEM_GAS) continue;
            uint256 gasBefore = _gasForItem();
            try engine.flag(borrower) {
                ++tally.done;
            } catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.FLAG, borrower, reason);
            }
        }
    }

    function _performFlags(address[] memory list, Tally memory tally) internal {
        for (uint256 i; i < list.length; ++i) {
            address account = list[i];
            if (engine.flaggedAt(account) != 0 || !vault.isLiquidatable(account)) {
                ++tally.skipped;
                emit WorkSkipped(Kind.FLAG, account);
                continue;
            }
            ++tally.done;
            uint256 gasBefore = _gasForItem();
            try engine.flag(account) {} catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.FLAG, account, reason);
            }
        }
    }

    function _performRebalances(address[] memory list, Tally memory tally) internal {
        address recovery = vault.recovery();
        for (uint256 i; i < list.length; ++i) {
            if (!_rebalanceDue(list[i])) {
                ++tally.skipped;
                emit WorkSkipped(Kind.REBALANCE, list[i]);
                continue;
            }
            ++tally.done;
            uint256 gasBefore = _gasForItem();
            try IRebalancer(recovery).rebalance(list[i]) {} catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.REBALANCE, list[i], reason);
            }
        }
    }

    /// @dev Pruning is housekeeping: it counts as done but never makes an upkeep worth running on its own, except
    ///      when a full list of it is waiting (see `_findWork`).
    function _performPrune(address[] memory list, Tally memory tally) internal {
        for (uint256 i; i < list.length; ++i) {
            if (_prunable(list[i])) {
                _removeAccount(list[i]);
                ++tally.done;
            } else {
                ++tally.skipped;
                emit WorkSkipped(Kind.PRUNE, list[i]);
            }
        }
    }

    function _listed(
        ILiquidationEngine.Order[] memory list,
        uint256 count,
        address borrower
    ) internal pure returns (bool) {
        for (uint256 i; i < count; ++i) if (list[i].borrower == borrower) return true;
        return false;
    }
}
