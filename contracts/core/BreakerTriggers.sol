// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {BreakerState} from "./BreakerState.sol";

/// @title BreakerTriggers
/// @notice The circuit breaker's automatic triggers that a `poke` evaluates: the oracle's status, a price fall
///         against the highest price of the last two fall windows, and bad debt realised within BAD_DEBT_WINDOW.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-30 each trigger trips from what it reads now and resets only after `cooldownUntil`, with nobody's
///        permission; a FAILED read leaves the price-fall reasons as they are.
abstract contract BreakerTriggers is BreakerState {
    // ================================================================= internal: triggers

    /// @dev Oracle status and price fall. A FAILED read tells nothing about the fall: those reasons keep their state.
    function _pokePrice(address asset, Status storage status) internal {
        IPriceOracle oracle = VaultStorage.oracle(ICollateralVault(vault));
        IPriceOracle.Price memory price = oracle.getPrice(asset);
        _set(asset, status, Reason.ORACLE_FAILED, price.status == IPriceOracle.Status.FAILED);
        _set(asset, status, Reason.ORACLE_DEGRADED, price.status == IPriceOracle.Status.DEGRADED);
        if (price.status == IPriceOracle.Status.FAILED || price.low == 0) return;
        AssetParams memory triggers = _paramsOf(asset);
        uint256 high = _observe(asset, price.low, triggers.fallWindow);
        // fall = 1 − low / high, rounded up (a trip errs on the safe side).
        uint256 fall = high > price.low ? ((high - price.low) * WAD + high - 1) / high : 0;
        _set(asset, status, Reason.PRICE_FALL, fall >= triggers.maxFall);
        _set(asset, status, Reason.PRICE_FALL_SOFT, fall >= triggers.maxFall / 2);
        // The floor the vault checks inside borrows until the next poke: valid while this reference is.
        uint256 floor = (high * (WAD - triggers.maxFall)) / WAD;
        status.fallFloor = floor > type(uint104).max ? type(uint104).max : uint104(floor);
        status.floorUntil = uint32(uint256(_refs[asset].start) + 2 * uint256(triggers.fallWindow));
    }

    /// @dev Bad debt realised within the window, re-read from the vault (it only ever grows, so the condition cannot
    ///      clear by itself): once cooled down, the trip resets and the realised loss becomes the new baseline.
    function _pokeBadDebt(Status storage status) internal {
        if (_has(status, Reason.BAD_DEBT)) {
            if (block.timestamp < status.cooldownUntil) return;
            _clear(GLOBAL, status, Reason.BAD_DEBT);
            (_badDebtSeen, _badDebtWindowStart) = (ICollateralVault(vault).badDebt(), block.timestamp);
            return;
        }
        _rollBadDebtWindow(status, 0);
        if (_recentBadDebtTrips(IERC4626(vault).totalAssets())) _trip(GLOBAL, status, Reason.BAD_DEBT);
    }

    /// @dev Opens a new bad-debt window once the last is over; `pending` is bad debt already in the vault's total
    ///      that belongs to the new window (a write-off being reported).
    function _rollBadDebtWindow(Status storage status, uint256 pending) internal {
        if (block.timestamp < _badDebtWindowStart + BAD_DEBT_WINDOW || _has(status, Reason.BAD_DEBT)) return;
        _badDebtWindowStart = block.timestamp;
        _badDebtSeen = ICollateralVault(vault).badDebt() - pending;
    }

    function _recentBadDebtTrips(uint256 supply) internal view returns (bool) {
        uint256 recent = ICollateralVault(vault).badDebt() - _badDebtSeen;
        return recent != 0 && recent * WAD > supply * _params.badDebtShare;
    }

    /// @dev Records `price` in `asset`'s fall reference and returns the reference high (this window's and the last).
    function _observe(address asset, uint256 price, uint32 window) internal returns (uint256 high) {
        Reference memory priceRef = _refs[asset];
        uint256 elapsed = block.timestamp - priceRef.start;
        if (elapsed >= window) {
            // Two buckets of one window each: the last window is kept while it ended less than `window` ago.
            bool adjacent = elapsed < 2 * uint256(window);
            priceRef.previousHigh = adjacent ? priceRef.currentHigh : 0;
            priceRef.currentHigh = 0;
            priceRef.start = adjacent ? priceRef.start + window : uint32(block.timestamp);
        }
        uint112 capped = price > type(uint112).max ? type(uint112).max : uint112(price);
        if (capped > priceRef.currentHigh) priceRef.currentHigh = capped;
        _refs[asset] = priceRef;
        return priceRef.previousHigh > priceRef.currentHigh ? priceRef.previousHigh : priceRef.currentHigh;
    }
}
