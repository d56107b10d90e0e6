// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IRiskManager} from "../interfaces/IRiskManager.sol";
import {ISecurityOps} from "../interfaces/ISecurityOps.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {IVolatilityOracle} from "../interfaces/IVolatilityOracle.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title UpkeepState
/// @notice What SecurityOps knows: the contracts it works on, its limits and flash liquidator, the registry of
///         accounts it scans, and when it last poked each breaker entry; with the gas guard every caught call uses.
/// @dev Invariants:
///      - The registry holds each account at most once: `_index[account]` is its position plus one, or zero.
///      - `_minDebt` ≤ MAX_MIN_DEBT_UNITS whole base units.
///      - In `performUpkeep`, `_gasForItem` refuses to start an item with less than ITEM_GAS left, and
///        `_afterFailure` turns a caught failure that burnt (nearly) all its gas into a revert of the whole upkeep: a
///        low gas limit never passes for "not due" or "failed". While `checkUpkeep` runs (`_checking`), a rule's
///        calls get only the gas above SCAN_GAS_RESERVE and a failure counts as not due: a check never reverts for
///        want of gas, it finds less (the perform re-checks every item anyway).
abstract contract UpkeepState is ISecurityOps {
    using VaultStorage for ICollateralVault;

    /// @notice Largest scan window: 200 accounts (a few million gas of views, inside Automation's check limit).
    uint32 public constant MAX_SCAN = 200;
    /// @notice Most liquidations per upkeep: 8 flash liquidations stay under about 4M gas.
    uint32 public constant MAX_LIQUIDATIONS = 8;
    /// @notice Pokes repeat at least every day and at most every 5 minutes.
    uint32 public constant MIN_POKE_INTERVAL = 5 minutes;
    uint32 public constant MAX_POKE_INTERVAL = 1 days;
    /// @notice Longest asset list in one upkeep: every collateral (the vault lists at most 16), the base asset and
    ///         the global entry.
    uint256 public constant MAX_ASSET_ITEMS = 18;
    /// @notice Longest account list (track, flags, prune) in one upkeep or one `track` call.
    uint256 public constant MAX_TRACK = 50;
    /// @notice Gas that must be left before each call whose failure is caught (a due check or an action): the oracle
    ///         adapter refuses to read a feed with less than its fixed budget, so a call started below this could fail
    ///         for want of gas and pass for "not due" or "failed" (as LiquidationEngine's BATCH_ITEM_GAS).
    uint256 public constant ITEM_GAS = 400_000;
    /// @notice Gas `checkUpkeep` keeps back to encode and return what it found: it stops examining (never reverts)
    ///         below it, and no read it makes is given the gas under it.
    uint256 public constant SCAN_GAS_RESERVE = 300_000;
    /// @notice Perform gas one upkeep may be expected to need: `checkUpkeep` finds the asset work (bounded by the
    ///         entries), then adds liquidations and flags only while the estimate stays within it (always allowing
    ///         one). A flag or an asset item is estimated at PERFORM_GAS_FACTOR times the gas the check spent finding it
    ///         due (the perform asks the same rule again, then acts on what it read), a liquidation at that gas once
    ///         (the engine's own quote is most of it) plus SWAP_GAS for the flash sale; so a perform
    ///         stays under Automation's 5M perform limit even when every account holds 16 collaterals (issue 19,
    ///         property 10; measured in the bench).
    uint256 public constant PERFORM_GAS_BUDGET = 4_500_000;
    uint256 public constant PERFORM_GAS_FACTOR = 2;
    uint256 public constant SWAP_GAS = 150_000;
    /// @notice Estimated perform gas of pruning one registered account.
    uint256 public constant PRUNE_GAS = 30_000;
    /// @notice Estimated perform gas of a volatility sample or a cap sync beyond its due check (a price read and a few
    ///         writes).
    uint256 public constant SAMPLE_GAS = 100_000;
    /// @notice Largest `minDebt`, in whole base units (bounds a governance mistake that would empty the registry).
    uint256 public constant MAX_MIN_DEBT_UNITS = 1_000_000;

    /// @notice The vault this upkeep defends.
    ICollateralVault public immutable vault;
    /// @notice The engine liquidations and flags go through.
    ILiquidationEngine public immutable engine;
    /// @notice The volatility estimator (zero: no volatility work).
    IVolatilityOracle public immutable volatilityOracle;
    /// @notice Where liquidation proceeds are swept (the treasury that funds the upkeep).
    address public immutable proceedsRecipient;
    address internal immutable _base;
    /// @dev MAX_MIN_DEBT_UNITS in base units.
    uint256 internal immutable _maxMinDebt;

    /// @dev The limits and the flash liquidator, one slot: an upkeep reads its limits first, then the liquidator warm.
    struct Settings {
        uint32 scanSize;
        uint32 maxLiquidations;
        uint32 pokeInterval;
        IUpkeepLiquidator liquidator;
    }

    Settings internal _settings;
    /// @dev Debt (base units) an account needs to be registered and stay registered.
    uint256 internal _minDebt;
    /// @dev Set while `checkUpkeep` (or `findWork`) runs: rules then spare the reserve and never revert for gas.
    bool internal transient _checking;
    address[] internal _accounts;
    mapping(address account => uint256 indexPlusOne) internal _index;
    mapping(address asset => uint256) internal _lastPoked;

    /// @param vault_ The vault.
    /// @param engine_ The vault's liquidation engine.
    /// @param volatilityOracle_ The volatility estimator, or zero.
    /// @param proceedsRecipient_ Where proceeds go.
    constructor(
        ICollateralVault vault_,
        ILiquidationEngine engine_,
        IVolatilityOracle volatilityOracle_,
        address proceedsRecipient_
    ) {
        if (address(vault_) == address(0) || address(engine_) == address(0) || proceedsRecipient_ == address(0)) {
            revert ZeroAddress();
        }
        vault = vault_;
        engine = engine_;
        volatilityOracle = volatilityOracle_;
        proceedsRecipient = proceedsRecipient_;
        _base = IERC4626(address(vault_)).asset();
        _maxMinDebt = MAX_MIN_DEBT_UNITS * 10 ** IERC20Metadata(_base).decimals();
    }

    /// @dev Reverts unless ITEM_GAS is left; returns the gas left, for `_afterFailure`.
    function _gasForItem() internal view returns (uint256 gasBefore) {
        gasBefore = gasleft();
        if (gasBefore < ITEM_GAS) revert UpkeepOutOfGas();
    }

    /// @dev A caught call that burnt (nearly) all the gas it was given ran out of it: that is the caller's gas limit,
    ///      not the item, so the whole upkeep reverts rather than skip or fail the item.
    function _afterFailure(uint256 gasBefore) internal view {
        if (!_checking && gasleft() < gasBefore / 32) revert UpkeepOutOfGas();
    }

    /// @dev Gas for a rule's call: all there is in a perform; in a check, only what is above SCAN_GAS_RESERVE.
    function _ruleGas() internal view returns (uint256) {
        uint256 left = gasleft();
        if (!_checking) return left;
        return left > SCAN_GAS_RESERVE ? left - SCAN_GAS_RESERVE : 0;
    }

    function _addAccount(address account) internal {
        _accounts.push(account);
        _index[account] = _accounts.length;
        emit AccountTracked(account);
    }

    function _removeAccount(address account) internal {
        uint256 position = _index[account] - 1;
        address last = _accounts[_accounts.length - 1];
        _accounts[position] = last;
        _index[last] = position + 1;
        _accounts.pop();
        delete _index[account];
        emit AccountPruned(account);
    }

    function _breaker() internal view returns (ICircuitBreaker) {
        return vault.circuitBreaker();
    }

    function _riskManager() internal view returns (IRiskManager) {
        return IRiskManager(vault.riskManager());
    }

    /// @dev The revert data after its 4-byte selector.
    function _tail(bytes memory reason) internal pure returns (bytes memory tail) {
        tail = new bytes(reason.length - 4);
        for (uint256 i; i < tail.length; ++i) tail[i] = reason[i + 4];
    }

    function _shrink(address[] memory list, uint256 length) internal pure {
        assembly ("memory-safe") {
            mstore(list, length)
        }
    }

    function _shrink(ILiquidationEngine.Order[] memory list, uint256 length) internal pure {
        assembly ("memory-safe") {
            mstore(list, length)
        }
    }
}
