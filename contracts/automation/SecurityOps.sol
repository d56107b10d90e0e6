// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
// solhint-disable-next-line max-line-length
import {AutomationCompatibleInterface} from "@chainlink/contracts/src/v0.8/automation/interfaces/AutomationCompatibleInterface.sol";
import {ILogAutomation, Log} from "@chainlink/contracts/src/v0.8/automation/interfaces/ILogAutomation.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IRebalancer} from "../interfaces/IRebalancer.sol";
import {IRiskManager} from "../interfaces/IRiskManager.sol";
import {ISecurityOps} from "../interfaces/ISecurityOps.sol";
import {IVolatilityOracle} from "../interfaces/IVolatilityOracle.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {UniswapV3FlashLiquidator} from "../periphery/UniswapV3FlashLiquidator.sol";

/// @title SecurityOps
/// @notice The market's security operations as a Chainlink Automation upkeep (conditional and log-triggered): finds
///         liquidations, breaker pokes, volatility samples, risk syncs and recovery sales that are due, and performs
///         them after checking each again (the rules are on the interface).
/// @dev Invariants:
///      - `performUpkeep` does nothing that is not due at the block it runs in: every item is re-validated with the
///        same rule `checkUpkeep` used, and a call with no valid item reverts `NothingToPerform`. Every action it
///        takes is itself permissionless, so a forged `performData` can achieve no more than a direct call could.
///      - Its gas is bounded: at most `maxLiquidations` (≤ MAX_LIQUIDATIONS) liquidations, MAX_ASSET_ITEMS per
///        asset list and MAX_TRACK per account list; longer lists revert `WorkTooLarge` before anything runs.
///      - It never holds user funds: the flash liquidator it owns keeps only liquidation proceeds, which anyone can
///        sweep to the fixed `proceedsRecipient`.
///      - The registry holds only accounts that had debt when added, and `checkUpkeep` examines at most `scanSize`
///        of them per call: a window that rotates with the block number, or the `(from, to)` shard in `checkData`.
///      - Limits and pools change only through the owner (the timelock), inside the bounds below.
contract SecurityOps is
    ISecurityOps,
    AutomationCompatibleInterface,
    ILogAutomation,
    Ownable2Step,
    ReentrancyGuardTransient
{
    using FixedPointMath for uint256;

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

    /// @notice Thrown when too little gas is left for an item: a low gas limit reverts the upkeep, never skips work.
    error UpkeepOutOfGas();

    /// @notice The vault this upkeep defends.
    ICollateralVault public immutable vault;
    /// @notice The engine liquidations and flags go through.
    ILiquidationEngine public immutable engine;
    /// @notice The volatility estimator (zero: no volatility work).
    IVolatilityOracle public immutable volatilityOracle;
    /// @notice The flash liquidator this contract owns: it sells seized collateral in its pools, needs no capital.
    UniswapV3FlashLiquidator public immutable liquidator;
    /// @notice Where liquidation proceeds are swept (the treasury that funds the upkeep).
    address public immutable proceedsRecipient;
    address private immutable _base;

    Config private _config;
    address[] private _accounts;
    mapping(address account => uint256 indexPlusOne) private _index;
    mapping(address asset => uint256) private _lastPoked;

    /// @param vault_ The vault.
    /// @param engine_ The vault's liquidation engine.
    /// @param volatilityOracle_ The volatility estimator, or zero.
    /// @param config_ Initial limits, inside the bounds.
    /// @param proceedsRecipient_ Where proceeds go.
    /// @param owner_ Governance: the timelock in production.
    constructor(
        ICollateralVault vault_,
        ILiquidationEngine engine_,
        IVolatilityOracle volatilityOracle_,
        Config memory config_,
        address proceedsRecipient_,
        address owner_
    ) Ownable(owner_) {
        if (address(vault_) == address(0) || address(engine_) == address(0) || proceedsRecipient_ == address(0)) {
            revert ZeroAddress();
        }
        vault = vault_;
        engine = engine_;
        volatilityOracle = volatilityOracle_;
        proceedsRecipient = proceedsRecipient_;
        _base = IERC4626(address(vault_)).asset();
        liquidator = new UniswapV3FlashLiquidator(engine_, address(vault_), IERC20(_base), address(this));
        _setConfig(config_);
    }

    // ================================================================= Automation

    /// @notice Finds the work due (see `findWork`); Chainlink Automation simulates it off chain.
    /// @param checkData Empty (a rotating window over all accounts) or `abi.encode(from, to)`: a shard of the registry.
    /// @return upkeepNeeded Whether anything is due.
    /// @return performData `abi.encode(Work)`.
    function checkUpkeep(
        bytes calldata checkData
    ) external override returns (bool upkeepNeeded, bytes memory performData) {
        Work memory work;
        (work, upkeepNeeded) = _findWork(checkData);
        performData = abi.encode(work);
    }

    /// @notice Log trigger: a `Borrowed` event of the vault names an account to register.
    /// @return upkeepNeeded Whether the account has debt and is not registered yet.
    /// @return performData `abi.encode(Work)` with the account in `track`.
    function checkLog(
        Log calldata log,
        bytes calldata
    ) external view override returns (bool upkeepNeeded, bytes memory performData) {
        Work memory work;
        if (
            log.source == address(vault) && log.topics.length > 1 && log.topics[0] == ICollateralVault.Borrowed.selector
        ) {
            address account = address(uint160(uint256(log.topics[1])));
            if (_trackable(account)) {
                work.track = new address[](1);
                work.track[0] = account;
                upkeepNeeded = true;
            }
        }
        performData = abi.encode(work);
    }

    /// @notice Performs what is still due in `performData` (an encoded `Work`); skips the rest. Anyone may call it.
    /// @dev Reverts with `WorkTooLarge` on an over-long list and `NothingToPerform` when no item is due.
    function performUpkeep(
        bytes calldata performData
    ) external override(AutomationCompatibleInterface, ILogAutomation) nonReentrant {
        Work memory work = abi.decode(performData, (Work));
        _checkSizes(work);
        Tally memory t;
        _performTrack(work.track, t);
        _performVolatility(work.volatility, t);
        _performSyncs(work.syncs, t);
        _performSyncReserves(work.syncReserves, t);
        _performPokes(work.pokes, t);
        _performLiquidations(work.liquidations, t);
        _performFlags(work.flags, t);
        _performRebalances(work.rebalances, t);
        _performPrune(work.prune, t);
        if (t.done == 0) revert NothingToPerform();
        emit UpkeepPerformed(msg.sender, t.done, t.skipped);
    }

    /// @inheritdoc ISecurityOps
    function findWork(bytes calldata checkData) external returns (Work memory work, bool needed) {
        return _findWork(checkData);
    }

    /// @notice Pokes `asset`'s breaker entry and reverts with `PokeProbe(changes)`: nothing is kept. Only this contract
    ///         may call it (from `checkUpkeep` and `performUpkeep`).
    function probePoke(address asset) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        ICircuitBreaker breaker = _breaker();
        ICircuitBreaker.EntryView memory before = breaker.entry(asset);
        breaker.poke(asset);
        ICircuitBreaker.EntryView memory afterPoke = breaker.entry(asset);
        revert PokeProbe(
            before.reasons != afterPoke.reasons ||
                before.level != afterPoke.level ||
                before.actionMask != afterPoke.actionMask
        );
    }

    // ================================================================= permissionless

    /// @inheritdoc ISecurityOps
    function track(address[] calldata accounts_) external nonReentrant returns (uint256 added) {
        if (accounts_.length > MAX_TRACK) revert WorkTooLarge(Kind.TRACK, accounts_.length, MAX_TRACK);
        for (uint256 i; i < accounts_.length; ++i) {
            if (_trackable(accounts_[i])) {
                _addAccount(accounts_[i]);
                ++added;
            }
        }
    }

    /// @inheritdoc ISecurityOps
    function prune(address account) external nonReentrant returns (bool removed) {
        removed = _prunable(account);
        if (removed) _removeAccount(account);
    }

    /// @inheritdoc ISecurityOps
    function sweep(address token) external nonReentrant returns (uint256 amount) {
        amount = IERC20(token).balanceOf(address(liquidator));
        liquidator.sweep(IERC20(token), proceedsRecipient, amount);
        emit ProceedsSwept(token, amount);
    }

    // ================================================================= governance

    /// @inheritdoc ISecurityOps
    function setConfig(Config calldata config_) external onlyOwner {
        _setConfig(config_);
    }

    /// @inheritdoc ISecurityOps
    function setLiquidationPool(address collateral, address pool) external onlyOwner {
        liquidator.setPool(collateral, IUniswapV3Pool(pool));
        emit LiquidationPoolSet(collateral, pool);
    }

    /// @notice Disabled: governance can be handed over (in two steps), never abandoned.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= views

    /// @inheritdoc ISecurityOps
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @inheritdoc ISecurityOps
    function accountCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @inheritdoc ISecurityOps
    function accounts(uint256 from, uint256 to) external view returns (address[] memory list) {
        uint256 n = _accounts.length;
        if (to > n) to = n;
        if (from >= to) return list;
        list = new address[](to - from);
        for (uint256 i; i < list.length; ++i) list[i] = _accounts[from + i];
    }

    /// @inheritdoc ISecurityOps
    function isTracked(address account) external view returns (bool) {
        return _index[account] != 0;
    }

    /// @inheritdoc ISecurityOps
    function lastPoked(address asset) external view returns (uint256) {
        return _lastPoked[asset];
    }

    // ================================================================= finding work

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
        uint256 n = _accounts.length;
        if (n == 0) return (0, 0);
        (uint256 from, uint256 to) = (0, n);
        if (checkData.length != 0) {
            if (checkData.length != 64) revert BadCheckData();
            (from, to) = abi.decode(checkData, (uint256, uint256));
            if (from >= to) revert BadCheckData();
            if (to > n) to = n;
            if (from >= to) return (0, 0);
        }
        uint256 size = _config.scanSize;
        uint256 windows = (to - from + size - 1) / size;
        start = from + (block.number % windows) * size;
        end = start + size < to ? start + size : to;
    }

    function _scanAccounts(Work memory work, uint256 start, uint256 end, address[] memory collaterals) internal view {
        uint256 maxLiq = _config.maxLiquidations;
        work.liquidations = new ILiquidationEngine.Order[](maxLiq);
        work.flags = new address[](MAX_TRACK);
        work.prune = new address[](MAX_TRACK);
        (uint256 nLiq, uint256 nFlag, uint256 nPrune) = (0, 0, 0);
        for (uint256 i = start; i < end && nLiq < maxLiq; ++i) {
            address account = _accounts[i];
            if (vault.debtOf(account) == 0) {
                if (nPrune < MAX_TRACK) work.prune[nPrune++] = account;
                continue;
            }
            if (!vault.isLiquidatable(account)) continue;
            address collateral = _bestCollateral(account, collaterals);
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

    /// @dev The collateral the engine would repay most debt for, among those the liquidator can sell (zero: none).
    function _bestCollateral(address account, address[] memory collaterals) internal view returns (address best) {
        uint256 bestRepay;
        for (uint256 j; j < collaterals.length; ++j) {
            address c = collaterals[j];
            if (address(liquidator.poolFor(c)) == address(0) || vault.collateralOf(account, c) == 0) continue;
            uint256 gasBefore = _gasForItem();
            try engine.previewLiquidation(account, c, type(uint256).max) returns (ILiquidationEngine.Quote memory q) {
                if (q.repay > bestRepay) (best, bestRepay) = (c, q.repay);
            } catch {
                _afterFailure(gasBefore);
            }
        }
    }

    function _findAssetWork(Work memory work, address[] memory collaterals) internal {
        uint256 n = collaterals.length;
        work.pokes = new address[](n + 2);
        work.volatility = new address[](n + 1);
        work.syncs = new address[](n);
        work.rebalances = new address[](n);
        (uint256 nPoke, uint256 nVol, uint256 nSync, uint256 nReb) = (0, 0, 0, 0);
        // Entries: the global one, the base asset, then each collateral.
        for (uint256 i; i < n + 2; ++i) {
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

    // ================================================================= due rules (shared by check and perform)

    function _trackable(address account) internal view returns (bool) {
        return account != address(0) && _index[account] == 0 && vault.debtOf(account) != 0;
    }

    function _prunable(address account) internal view returns (bool) {
        return _index[account] != 0 && vault.debtOf(account) == 0;
    }

    function _pokeDue(address asset) internal returns (bool) {
        if (block.timestamp >= _lastPoked[asset] + _config.pokeInterval) return _isEntry(asset);
        uint256 gasBefore = _gasForItem();
        try this.probePoke(asset) {
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
        try volatilityOracle.isDue(asset) returns (bool due) {
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
        try rm.caps(asset) returns (uint64 ltvCap, uint64 thresholdCap, uint256, IRiskManager.ReserveStatus) {
            (, , uint64 ltvNow, uint64 thresholdNow) = vault.riskRamp(asset);
            return ltvCap != ltvNow || thresholdCap != thresholdNow;
        } catch {
            _afterFailure(gasBefore);
            return false;
        }
    }

    function _reservesDue() internal view returns (bool) {
        (address rm, , uint256 boostNow) = vault.riskModules();
        if (rm == address(0)) return false;
        IRiskManager.Params memory p = IRiskManager(rm).params();
        uint256 target = vault.totalDebt().wadMulUp(p.reserveTarget);
        uint256 boost = vault.reserves() < target ? p.reserveBoost : 0;
        return boost != boostNow;
    }

    function _rebalanceDue(address asset) internal view returns (bool) {
        (, address recovery, ) = vault.riskModules();
        if (recovery == address(0)) return false;
        uint256 gasBefore = _gasForItem();
        try IRebalancer(recovery).isDue(asset) returns (bool due) {
            return due;
        } catch {
            _afterFailure(gasBefore);
            return false;
        }
    }

    // ================================================================= performing

    function _checkSizes(Work memory w) internal view {
        _bound(Kind.TRACK, w.track.length, MAX_TRACK);
        _bound(Kind.LIQUIDATE, w.liquidations.length, _config.maxLiquidations);
        _bound(Kind.FLAG, w.flags.length, MAX_TRACK);
        _bound(Kind.POKE, w.pokes.length, MAX_ASSET_ITEMS);
        _bound(Kind.VOLATILITY, w.volatility.length, MAX_ASSET_ITEMS);
        _bound(Kind.SYNC, w.syncs.length, MAX_ASSET_ITEMS);
        _bound(Kind.REBALANCE, w.rebalances.length, MAX_ASSET_ITEMS);
        _bound(Kind.PRUNE, w.prune.length, MAX_TRACK);
    }

    function _bound(Kind kind, uint256 length, uint256 max) internal pure {
        if (length > max) revert WorkTooLarge(kind, length, max);
    }

    function _performTrack(address[] memory list, Tally memory t) internal {
        for (uint256 i; i < list.length; ++i) {
            if (_trackable(list[i])) {
                _addAccount(list[i]);
                ++t.done;
            } else {
                ++t.skipped;
                emit WorkSkipped(Kind.TRACK, list[i]);
            }
        }
    }

    function _performVolatility(address[] memory list, Tally memory t) internal {
        IRiskManager rm = _riskManager();
        for (uint256 i; i < list.length; ++i) {
            address asset = list[i];
            if (!_volatilityDue(asset)) {
                ++t.skipped;
                emit WorkSkipped(Kind.VOLATILITY, asset);
                continue;
            }
            ++t.done;
            uint256 gasBefore = _gasForItem();
            try volatilityOracle.update(asset) {
                if (asset != _base && address(rm) != address(0) && _syncDue(asset)) _sync(rm, asset);
            } catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.VOLATILITY, asset, reason);
            }
        }
    }

    function _performSyncs(address[] memory list, Tally memory t) internal {
        IRiskManager rm = _riskManager();
        for (uint256 i; i < list.length; ++i) {
            if (!_syncDue(list[i])) {
                ++t.skipped;
                emit WorkSkipped(Kind.SYNC, list[i]);
                continue;
            }
            ++t.done;
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

    function _performSyncReserves(bool wanted, Tally memory t) internal {
        if (!wanted) return;
        if (!_reservesDue()) {
            ++t.skipped;
            emit WorkSkipped(Kind.SYNC_RESERVES, address(0));
            return;
        }
        ++t.done;
        uint256 gasBefore = _gasForItem();
        try _riskManager().syncReserves() {} catch (bytes memory reason) {
            _afterFailure(gasBefore);
            emit WorkFailed(Kind.SYNC_RESERVES, address(0), reason);
        }
    }

    function _performPokes(address[] memory list, Tally memory t) internal {
        ICircuitBreaker breaker = _breaker();
        for (uint256 i; i < list.length; ++i) {
            address asset = list[i];
            if (!_pokeDue(asset)) {
                ++t.skipped;
                emit WorkSkipped(Kind.POKE, asset);
                continue;
            }
            ++t.done;
            uint256 gasBefore = _gasForItem();
            try breaker.poke(asset) {
                _lastPoked[asset] = block.timestamp;
            } catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.POKE, asset, reason);
            }
        }
    }

    function _performLiquidations(ILiquidationEngine.Order[] memory orders, Tally memory t) internal {
        ILiquidationEngine.Order[] memory valid = new ILiquidationEngine.Order[](orders.length);
        uint256 n;
        for (uint256 i; i < orders.length; ++i) {
            ILiquidationEngine.Order memory o = orders[i];
            bool due =
                vault.isLiquidatable(o.borrower) &&
                    address(liquidator.poolFor(o.collateral)) != address(0) &&
                    vault.collateralOf(o.borrower, o.collateral) != 0 &&
                    !_listed(valid, n, o.borrower);
            if (due) {
                valid[n++] = o;
            } else {
                ++t.skipped;
                emit WorkSkipped(Kind.LIQUIDATE, o.borrower);
            }
        }
        if (n == 0) return;
        _shrink(valid, n);
        // The engine skips (and reports) a liquidation that fails; the batch itself reverts only if out of gas. Only
        // a liquidation that went through counts as done, so an upkeep whose liquidations all fail (the pool cannot
        // cover the debt, say) and that has nothing else due reverts, and Automation stops sending it. A failed
        // account is flagged instead when it is not yet: its bonus ramp draws liquidators with other routes.
        (, bool[] memory ok) = liquidator.liquidateBatch(valid, 0);
        for (uint256 i; i < n; ++i) {
            if (ok[i]) {
                ++t.done;
                continue;
            }
            address borrower = valid[i].borrower;
            emit WorkFailed(Kind.LIQUIDATE, borrower, "");
            if (engine.flaggedAt(borrower) != 0) continue;
            uint256 gasBefore = _gasForItem();
            try engine.flag(borrower) {
                ++t.done;
            } catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.FLAG, borrower, reason);
            }
        }
    }

    function _performFlags(address[] memory list, Tally memory t) internal {
        for (uint256 i; i < list.length; ++i) {
            address account = list[i];
            if (engine.flaggedAt(account) != 0 || !vault.isLiquidatable(account)) {
                ++t.skipped;
                emit WorkSkipped(Kind.FLAG, account);
                continue;
            }
            ++t.done;
            uint256 gasBefore = _gasForItem();
            try engine.flag(account) {} catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.FLAG, account, reason);
            }
        }
    }

    function _performRebalances(address[] memory list, Tally memory t) internal {
        (, address recovery, ) = vault.riskModules();
        for (uint256 i; i < list.length; ++i) {
            if (!_rebalanceDue(list[i])) {
                ++t.skipped;
                emit WorkSkipped(Kind.REBALANCE, list[i]);
                continue;
            }
            ++t.done;
            uint256 gasBefore = _gasForItem();
            try IRebalancer(recovery).rebalance(list[i]) {} catch (bytes memory reason) {
                _afterFailure(gasBefore);
                emit WorkFailed(Kind.REBALANCE, list[i], reason);
            }
        }
    }

    /// @dev Pruning is housekeeping: it counts as done but never makes an upkeep worth running on its own, except
    ///      when a full list of it is waiting (see `_findWork`).
    function _performPrune(address[] memory list, Tally memory t) internal {
        for (uint256 i; i < list.length; ++i) {
            if (_prunable(list[i])) {
                _removeAccount(list[i]);
                ++t.done;
            } else {
                ++t.skipped;
                emit WorkSkipped(Kind.PRUNE, list[i]);
            }
        }
    }

    // ================================================================= internals

    /// @dev Items done and skipped by one `performUpkeep`.
    struct Tally {
        uint256 done;
        uint256 skipped;
    }

    function _setConfig(Config memory c) internal {
        _check("scanSize", c.scanSize, 1, MAX_SCAN);
        _check("maxLiquidations", c.maxLiquidations, 1, MAX_LIQUIDATIONS);
        _check("pokeInterval", c.pokeInterval, MIN_POKE_INTERVAL, MAX_POKE_INTERVAL);
        _config = c;
        emit ConfigSet(c);
    }

    function _check(bytes32 name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert ParameterOutOfBounds(name, value, min, max);
    }

    /// @dev Reverts unless ITEM_GAS is left; returns the gas left, for `_afterFailure`.
    function _gasForItem() internal view returns (uint256 gasBefore) {
        gasBefore = gasleft();
        if (gasBefore < ITEM_GAS) revert UpkeepOutOfGas();
    }

    /// @dev A caught call that burnt (nearly) all the gas it was given ran out of it: that is the caller's gas limit,
    ///      not the item, so the whole upkeep reverts rather than skip or fail the item.
    function _afterFailure(uint256 gasBefore) internal view {
        if (gasleft() < gasBefore / 32) revert UpkeepOutOfGas();
    }

    function _addAccount(address account) internal {
        _accounts.push(account);
        _index[account] = _accounts.length;
        emit AccountTracked(account);
    }

    function _removeAccount(address account) internal {
        uint256 i = _index[account] - 1;
        address last = _accounts[_accounts.length - 1];
        _accounts[i] = last;
        _index[last] = i + 1;
        _accounts.pop();
        delete _index[account];
        emit AccountPruned(account);
    }

    function _breaker() internal view returns (ICircuitBreaker breaker) {
        (breaker, ) = vault.circuitBreaker();
    }

    function _riskManager() internal view returns (IRiskManager rm) {
        (address a, , ) = vault.riskModules();
        rm = IRiskManager(a);
    }

    function _listed(ILiquidationEngine.Order[] memory list, uint256 n, address borrower) internal pure returns (bool) {
        for (uint256 i; i < n; ++i) if (list[i].borrower == borrower) return true;
        return false;
    }

    /// @dev The revert data after its 4-byte selector.
    function _tail(bytes memory reason) internal pure returns (bytes memory tail) {
        tail = new bytes(reason.length - 4);
        for (uint256 i; i < tail.length; ++i) tail[i] = reason[i + 4];
    }

    function _shrink(address[] memory list, uint256 n) internal pure {
        assembly ("memory-safe") {
            mstore(list, n)
        }
    }

    function _shrink(ILiquidationEngine.Order[] memory list, uint256 n) internal pure {
        assembly ("memory-safe") {
            mstore(list, n)
        }
    }
}
