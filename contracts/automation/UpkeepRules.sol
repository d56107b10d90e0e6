// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IRebalancer} from "../interfaces/IRebalancer.sol";
import {IRiskManager} from "../interfaces/IRiskManager.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {UpkeepState} from "./UpkeepState.sol";

/// @title UpkeepRules
/// @notice When each kind of SecurityOps work is due (the rules on ISecurityOps): the one place both `checkUpkeep`
///         (finding work) and `performUpkeep` (re-validating it) ask.
/// @dev Invariant: finding and performing apply the same predicate to an item at the same block, so `performUpkeep`
///      does nothing `checkUpkeep` would not have found due then. A predicate that calls out does so under the gas
///      guard, and a caught failure counts as not due.
abstract contract UpkeepRules is UpkeepState {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    function _trackable(address account) internal view returns (bool) {
        return account != address(0) && _index[account] == 0 && !_belowMinDebt(vault.debtOf(account));
    }

    /// @dev Registered, and owing nothing, or less than `minDebt` while not liquidatable: a small account in trouble
    ///      stays until it is settled.
    function _prunable(address account) internal view returns (bool) {
        if (_index[account] == 0) return false;
        uint256 debt = vault.debtOf(account);
        return debt == 0 || (debt < _minDebt && !vault.isLiquidatable(account));
    }

    /// @dev Whether `debt` is too small to keep a registry entry: none, or under `minDebt` (issue 19, property 10).
    function _belowMinDebt(uint256 debt) internal view returns (bool) {
        return debt == 0 || debt < _minDebt;
    }

    function _pokeDue(address asset) internal returns (bool) {
        if (block.timestamp >= _lastPoked[asset] + _settings.pokeInterval) return _isEntry(asset);
        uint256 gasBefore = _gasForItem();
        try this.probePoke{gas: _ruleGas()}(asset) {
            return false; // unreachable: the probe always reverts
        } catch (bytes memory reason) {
            _afterFailure(gasBefore);
            if (reason.length != 36 || bytes4(reason) != PokeProbe.selector) return false;
            return abi.decode(_tail(reason), (bool));
        }
    }

    /// @dev Whether `asset` has a breaker entry to poke: the global one, the base asset or a listed collateral, with a
    ///      breaker wired. (Any other address would be "due" by the interval alone, its lastPoked never set.)
    function _isEntry(address asset) internal view returns (bool) {
        if (address(_breaker()) == address(0)) return false;
        if (asset == address(0) || asset == _base) return true;
        address[] memory collaterals = vault.collateralAssets();
        for (uint256 i; i < collaterals.length; ++i) if (collaterals[i] == asset) return true;
        return false;
    }

    function _volatilityDue(address asset) internal view returns (bool) {
        if (address(volatilityOracle) == address(0)) return false;
        uint256 gasBefore = _gasForItem();
        try volatilityOracle.isDue{gas: _ruleGas()}(asset) returns (bool due) {
            return due;
        } catch {
            _afterFailure(gasBefore);
            return false;
        }
    }

    function _syncDue(address asset) internal view returns (bool) {
        IRiskManager rm = _riskManager();
        if (address(rm) == address(0)) return false;
        uint256 gasBefore = _gasForItem();
        try rm.caps{gas: _ruleGas()}(asset) returns (
            uint64 ltvCap,
            uint64 thresholdCap,
            uint256,
            IRiskManager.ReserveStatus
        ) {
            (uint64 ltvNow, uint64 thresholdNow) = vault.riskCaps(asset);
            return ltvCap != ltvNow || thresholdCap != thresholdNow;
        } catch {
            _afterFailure(gasBefore);
            return false;
        }
    }

    function _reservesDue() internal view returns (bool) {
        address rm = vault.riskManager();
        if (rm == address(0)) return false;
        (, uint256 boostNow) = vault.accrualTerms();
        IRiskManager.Params memory params;
        uint256 gasBefore = _gasForItem();
        try IRiskManager(rm).params{gas: _ruleGas()}() returns (IRiskManager.Params memory read) {
            params = read;
        } catch {
            _afterFailure(gasBefore);
            return false;
        }
        uint256 target = vault.totalDebt().wadMulUp(params.reserveTarget);
        uint256 boost = vault.reserves() < target ? params.reserveBoost : 0;
        return boost != boostNow;
    }

    function _rebalanceDue(address asset) internal view returns (bool) {
        address recovery = vault.recovery();
        if (recovery == address(0)) return false;
        uint256 gasBefore = _gasForItem();
        try IRebalancer(recovery).isDue{gas: _ruleGas()}(asset) returns (bool due) {
            return due;
        } catch {
            _afterFailure(gasBefore);
            return false;
        }
    }
}
