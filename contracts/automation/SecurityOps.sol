// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
// solhint-disable-next-line max-line-length
import {AutomationCompatibleInterface} from "@chainlink/contracts/src/v0.8/automation/interfaces/AutomationCompatibleInterface.sol";
import {ILogAutomation, Log} from "@chainlink/contracts/src/v0.8/automation/interfaces/ILogAutomation.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {ISecurityOps} from "../interfaces/ISecurityOps.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {IVolatilityOracle} from "../interfaces/IVolatilityOracle.sol";
import {Bounds} from "../libraries/Bounds.sol";
import {UpkeepActions} from "./UpkeepActions.sol";
import {UpkeepFinder} from "./UpkeepFinder.sol";
import {UpkeepState} from "./UpkeepState.sol";

/// @title SecurityOps
/// @notice The market's security operations as a Chainlink Automation upkeep (conditional and log-triggered): finds
///         liquidations, breaker pokes, volatility samples, risk syncs and recovery sales that are due
///         (`UpkeepFinder`), and performs them after checking each again (`UpkeepActions`, with the rules of
///         `UpkeepRules`; the rules are on the interface).
/// @dev Invariants:
///      - `performUpkeep` does nothing that is not due at the block it runs in: every item is re-validated with the
///        same rule `checkUpkeep` used, and a call with no valid item reverts `NothingToPerform`. Every action it
///        takes is itself permissionless, so a forged `performData` can achieve no more than a direct call could.
///      - Its gas is bounded: at most `maxLiquidations` (≤ MAX_LIQUIDATIONS) liquidations, MAX_ASSET_ITEMS per
///        asset list and MAX_TRACK per account list; longer lists revert `WorkTooLarge` before anything runs.
///      - It never holds user funds: the flash liquidator it is given (and owns) keeps only liquidation proceeds,
///        which anyone can sweep to the fixed `proceedsRecipient`.
///      - The registry holds only accounts that had at least `minDebt` of debt when added, and `checkUpkeep` examines
///        at most `scanSize` of them per call: a window that rotates with the block number, or the `(from, to)` shard
///        in `checkData`, starting at an offset that changes with every visit.
///      - `checkUpkeep` does not revert for want of gas or for a failing read (issue 19, property 10): every read it
///        makes gets only the gas above SCAN_GAS_RESERVE and a failure counts as not due; it stops with that reserve
///        left and returns what it found (below the reserve itself, no call can return anything). The work it
///        returns is estimated to fit PERFORM_GAS_BUDGET.
///      - Limits, pools and the liquidator change only through the owner (the timelock), inside the bounds.
contract SecurityOps is
    AutomationCompatibleInterface,
    ILogAutomation,
    Ownable2Step,
    ReentrancyGuardTransient,
    UpkeepFinder,
    UpkeepActions
{
    /// @param vault_ The vault.
    /// @param engine_ The vault's liquidation engine.
    /// @param volatilityOracle_ The volatility estimator, or zero.
    /// @param config_ Initial limits, inside the bounds.
    /// @param proceedsRecipient_ Where proceeds go.
    /// @param owner_ Governance: the timelock in production (the deployer until it gives the upkeep its liquidator).
    constructor(
        ICollateralVault vault_,
        ILiquidationEngine engine_,
        IVolatilityOracle volatilityOracle_,
        Config memory config_,
        address proceedsRecipient_,
        address owner_
    ) Ownable(owner_) UpkeepState(vault_, engine_, volatilityOracle_, proceedsRecipient_) {
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
        Tally memory tally;
        _performTrack(work.track, tally);
        _performVolatility(work.volatility, tally);
        _performSyncs(work.syncs, tally);
        _performSyncReserves(work.syncReserves, tally);
        _performPokes(work.pokes, tally);
        _performLiquidations(work.liquidations, tally);
        _performFlags(work.flags, tally);
        _performRebalances(work.rebalances, tally);
        _performPrune(work.prune, tally);
        if (tally.done == 0) revert NothingToPerform();
        emit UpkeepPerformed(msg.sender, tally.done, tally.skipped);
    }

    /// @inheritdoc ISecurityOps
    function findWork(bytes calldata checkData) external returns (Work memory work, bool needed) {
        return _findWork(checkData);
    }

    /// @inheritdoc ISecurityOps
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
        IUpkeepLiquidator liquidator_ = _requireLiquidator();
        amount = IERC20(token).balanceOf(address(liquidator_));
        emit ProceedsSwept(token, amount);
        liquidator_.sweep(IERC20(token), proceedsRecipient, amount);
    }

    // ================================================================= governance

    /// @inheritdoc ISecurityOps
    function setConfig(Config calldata config_) external onlyOwner {
        _setConfig(config_);
    }

    /// @inheritdoc ISecurityOps
    function setLiquidationPool(address collateral, address pool) external onlyOwner {
        IUpkeepLiquidator liquidator_ = _requireLiquidator();
        emit LiquidationPoolSet(collateral, pool);
        liquidator_.setPool(collateral, IUniswapV3Pool(pool));
    }

    /// @inheritdoc ISecurityOps
    function setLiquidator(IUpkeepLiquidator liquidator_) external onlyOwner {
        if (address(liquidator_) == address(0)) revert ZeroAddress();
        _settings.liquidator = liquidator_;
        emit LiquidatorSet(address(liquidator_));
        // Reverts unless this contract is the pending owner the liquidator's owner named.
        Ownable2Step(address(liquidator_)).acceptOwnership();
    }

    /// @notice Disabled: governance can be handed over (in two steps), never abandoned.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= views

    /// @inheritdoc ISecurityOps
    function config() external view returns (Config memory) {
        Settings memory settings = _settings;
        return Config(settings.scanSize, settings.maxLiquidations, settings.pokeInterval, uint128(_minDebt));
    }

    /// @inheritdoc ISecurityOps
    function liquidator() external view returns (IUpkeepLiquidator) {
        return _settings.liquidator;
    }

    /// @inheritdoc ISecurityOps
    function accountCount() external view returns (uint256) {
        return _accounts.length;
    }

    /// @inheritdoc ISecurityOps
    function accounts(uint256 from, uint256 to) external view returns (address[] memory list) {
        uint256 count = _accounts.length;
        if (to > count) to = count;
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

    // ================================================================= internals

    function _setConfig(Config memory config_) internal {
        Bounds.check("scanSize", config_.scanSize, 1, MAX_SCAN);
        Bounds.check("maxLiquidations", config_.maxLiquidations, 1, MAX_LIQUIDATIONS);
        Bounds.check("pokeInterval", config_.pokeInterval, MIN_POKE_INTERVAL, MAX_POKE_INTERVAL);
        Bounds.check("minDebt", config_.minDebt, 0, _maxMinDebt);
        (_settings.scanSize, _settings.maxLiquidations, _settings.pokeInterval) = (
            config_.scanSize,
            config_.maxLiquidations,
            config_.pokeInterval
        );
        _minDebt = config_.minDebt;
        emit ConfigSet(config_);
    }

    function _requireLiquidator() internal view returns (IUpkeepLiquidator liquidator_) {
        liquidator_ = _settings.liquidator;
        if (address(liquidator_) == address(0)) revert NoLiquidator();
    }
}
