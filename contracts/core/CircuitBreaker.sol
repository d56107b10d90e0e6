// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {RateLimit} from "../libraries/RateLimit.sol";
import {BreakerState} from "./BreakerState.sol";
import {BreakerTriggers} from "./BreakerTriggers.sol";
import {OutflowLimiter} from "./OutflowLimiter.sol";

/// @title CircuitBreaker
/// @notice Notices on its own a failed or doubted oracle, a price collapse, money leaving too fast and realised bad
///         debt; limits the damage at once; resumes by itself. The vault and the liquidation engine consult it on
///         every action. Governance (the timelock) sets bounded parameters; the guardian can only restrict, for a
///         bounded time. This file is the entry points; the state and its rules live in BreakerState, the rate
///         limits in OutflowLimiter, the poke-driven triggers in BreakerTriggers.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-27 no entry, level or role can stop repay or depositCollateral (the vault calls `onRepay` and
///        `onInflow` so that their failure stops nothing, and nothing here refuses them), and withdrawals the vault may queue (collateral, and a lender's
///        `withdrawOrQueue`) are queued, never refused; a lender's ERC-4626 exit, which pays now or not at all, is
///        refused instead (`mayQueue` false).
///      - INV-29 tripping or resetting changes no balance, index or health: this contract holds no funds and writes
///        only its own state.
///      - INV-30 every trigger is permissionless (`poke`) or runs inside the action it guards.
///      - INV-31/32 parameters change only through `owner` (the guardian only restricts, within GUARDIAN_ACTIONS).
contract CircuitBreaker is Ownable2Step, BreakerTriggers, OutflowLimiter {
    using RateLimit for RateLimit.Window;

    /// @param vault_ The vault to guard.
    /// @param params_ Shared policy.
    /// @param defaults Triggers of every asset without its own.
    /// @param owner_ Governance: the timelock.
    constructor(
        address vault_,
        Params memory params_,
        AssetParams memory defaults,
        address owner_
    ) Ownable(owner_) BreakerState(vault_) {
        _setParams(params_);
        _setAssetParams(GLOBAL, defaults);
        _badDebtWindowStart = block.timestamp;
    }

    modifier onlyVault() {
        if (msg.sender != vault) revert NotVault(msg.sender);
        _;
    }

    // ================================================================= permissionless

    /// @inheritdoc ICircuitBreaker
    function poke(address asset) external returns (uint8, Level) {
        Status storage status = _status[asset];
        if (asset == GLOBAL) {
            _pokeBadDebt(status);
        } else {
            _requireKnown(asset);
            _pokePrice(asset, status);
            _pokeOutflow(asset, status);
        }
        if (status.guardianMask != 0 && block.timestamp >= status.guardianUntil) {
            status.guardianMask = 0;
            if (status.reasons == 0) --_activeEntries;
            _emit(asset, status, Reason.GUARDIAN, false);
        }
        return (_mask(status), _level(status));
    }

    // ================================================================= vault hooks

    /// @inheritdoc ICircuitBreaker
    function onSupply(uint256 amount, uint256 cashBefore, uint128 credit) external onlyVault returns (uint128) {
        _requireOpen(_base, SUPPLY);
        (RateLimit.Window memory window, ) = _flow(_base, cashBefore);
        Credit memory creditAfter = _in(window, _unpack(credit), amount);
        _flows[_base] = window;
        return _pack(creditAfter);
    }

    /// @inheritdoc ICircuitBreaker
    function onInflow(
        address asset,
        uint256 amount,
        uint256 balanceBefore,
        uint128 credit
    ) external onlyVault returns (uint128) {
        (RateLimit.Window memory window, ) = _flow(asset, balanceBefore);
        Credit memory creditAfter = _in(window, _unpack(credit), amount);
        _flows[asset] = window;
        return _pack(creditAfter);
    }

    /// @inheritdoc ICircuitBreaker
    function onRepay(uint256 amount, uint256 cashBefore, uint128 credit) external onlyVault returns (uint128) {
        (RateLimit.Window memory window, ) = _flow(_base, cashBefore);
        Credit memory creditAfter = _in(window, _unpack(credit), amount);
        _flows[_base] = window;
        return _pack(creditAfter);
    }

    /// @inheritdoc ICircuitBreaker
    function beforeBorrow(uint256 amount, uint256 cashBefore, uint128 credit) external onlyVault returns (uint128) {
        _requireOpen(_base, BORROW);
        (RateLimit.Window memory window, AssetParams memory triggers) = _flow(_base, cashBefore);
        uint256 limit = window.limit(triggers.outflowShare, _tight(_base));
        (uint256 uncovered, int256 netAfter) = _debit(window, _unpack(credit), amount);
        if (!window.fits(triggers.outflowWindow, uncovered, limit)) {
            revert OutflowLimitReached(_base, window.used(triggers.outflowWindow), limit, amount);
        }
        Credit memory creditAfter = _commit(window, uncovered, netAfter);
        _flows[_base] = window;
        return _pack(creditAfter);
    }

    /// @inheritdoc ICircuitBreaker
    function onOutflow(
        address asset,
        uint256 amount,
        uint256 balanceBefore,
        bool mayQueue,
        uint128 credit
    ) external onlyVault returns (uint256 readyAt, uint128 creditAfter) {
        (RateLimit.Window memory window, AssetParams memory triggers) = _flow(asset, balanceBefore);
        if (_outflowStopped(asset, window, triggers)) {
            // Reverts ActionPaused with the entry and reason.
            if (!mayQueue) _requireOpen(asset, asset == _base ? WITHDRAW : WITHDRAW_COLLATERAL);
            readyAt = block.timestamp + _params.claimDelay;
            creditAfter = _spend(window, credit, amount);
        } else {
            (uint256 uncovered, int256 netAfter) = _debit(window, _unpack(credit), amount);
            if (_fits(window, triggers, asset, uncovered)) {
                creditAfter = _pack(_commit(window, uncovered, netAfter));
            } else {
                if (!mayQueue) _refuseOutflow(asset, window, triggers, amount);
                _trip(asset, _status[asset], Reason.OUTFLOW);
                readyAt = block.timestamp + _params.claimDelay;
                creditAfter = _spend(window, credit, amount);
            }
        }
        _flows[asset] = window;
    }

    /// @inheritdoc ICircuitBreaker
    function onShareTransfer(
        uint256 shares,
        uint128 fromCredit,
        uint128 toCredit
    ) external onlyVault returns (uint128, uint128) {
        RateLimit.Window memory window = _flows[_base];
        Credit memory credit = _unpack(fromCredit);
        // Credit lives only in the window it was earned in (one that is due to roll is over).
        if (
            credit.start != window.start ||
            credit.net >= 0 ||
            block.timestamp >= window.start + RateLimit.bucket(_paramsOf(_base).outflowWindow)
        ) return (fromCredit, toCredit);
        // The credit follows the shares, so a deposit made by one account and withdrawn by another nets out too.
        // Priced only here, for the few transfers that carry credit (rounded down: credit never grows in transit).
        uint256 assets = IERC4626(vault).convertToAssets(shares);
        uint256 moved = uint256(-int256(credit.net));
        if (assets < moved) moved = assets;
        Credit memory toAfter = _in(window, _unpack(toCredit), moved);
        _flows[_base] = window;
        return (_pack(Credit(window.start, int224(int256(credit.net) + int256(moved)))), _pack(toAfter));
    }

    /// @inheritdoc ICircuitBreaker
    function onBadDebt(uint256 amount, uint256 supply) external onlyVault {
        Status storage status = _status[GLOBAL];
        // A window that rolls now starts before this write-off: it counts in the new window, not in the baseline.
        _rollBadDebtWindow(status, amount);
        if (_recentBadDebtTrips(supply)) _trip(GLOBAL, status, Reason.BAD_DEBT);
    }

    // ================================================================= guardian and governance

    /// @inheritdoc ICircuitBreaker
    function guardianTrip(address asset, uint8 mask) external {
        if (msg.sender != _guardian || msg.sender == address(0)) revert NotGuardian(msg.sender);
        if (mask == 0 || mask & ~GUARDIAN_ACTIONS != 0) revert InvalidActionMask(mask);
        if (asset != GLOBAL) _requireKnown(asset);
        Status storage status = _status[asset];
        uint256 until = block.timestamp + _params.guardianCooldown;
        if (!_active(status)) ++_activeEntries;
        status.guardianMask = (block.timestamp < status.guardianUntil ? status.guardianMask : 0) | mask;
        if (until > status.guardianUntil) status.guardianUntil = uint32(until);
        _emit(asset, status, Reason.GUARDIAN, true);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less contract could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc ICircuitBreaker
    function setGuardian(address guardian_) external onlyOwner {
        _guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @inheritdoc ICircuitBreaker
    function setParams(Params calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc ICircuitBreaker
    function setAssetParams(address asset, AssetParams calldata params_) external onlyOwner {
        if (asset != GLOBAL) _requireKnown(asset);
        _setAssetParams(asset, params_);
    }

    // ================================================================= views

    /// @inheritdoc ICircuitBreaker
    function borrowAllowed(address collateral, uint256 price) external view returns (bool) {
        Status memory status = _status[collateral];
        if (_mask(status) & BORROW != 0) return false;
        // The price-fall trigger, checked inside the borrow before anyone pokes: at the floor, the fall is the bound.
        return block.timestamp >= status.floorUntil || price > status.fallFloor;
    }

    /// @inheritdoc ICircuitBreaker
    function checkLiquidation(address collateral) external view returns (uint256 openSince) {
        openSince = _requireLiquidatable(collateral);
        uint256 since = _requireLiquidatable(_base);
        if (since > openSince) openSince = since;
        since = _requireLiquidatable(GLOBAL);
        if (since > openSince) openSince = since;
    }

    /// @inheritdoc ICircuitBreaker
    function outflowRoom(address asset, uint256 balanceBefore, uint128 credit) external view returns (uint256) {
        return _payableNow(asset, credit, balanceBefore);
    }

    /// @inheritdoc ICircuitBreaker
    function actionMask(address asset) external view returns (uint8) {
        return _mask(_status[asset], _status[GLOBAL]);
    }

    /// @inheritdoc ICircuitBreaker
    function entry(address asset) public view returns (EntryView memory entryView) {
        Status memory status = _status[asset];
        entryView.asset = asset;
        entryView.actionMask = _mask(status);
        entryView.level = _level(status);
        entryView.reasons = status.reasons;
        entryView.cooldownUntil = status.cooldownUntil;
        entryView.guardianUntil = status.guardianUntil;
        entryView.liquidationsFrom = status.resumedAt == 0 ? 0 : uint256(status.resumedAt) + _params.liquidationGrace;
        if (block.timestamp < status.floorUntil) entryView.fallFloor = status.fallFloor;
        if (asset != GLOBAL) {
            // What a flow now would see: the window rolled to now over the vault's booked balance.
            (RateLimit.Window memory window, AssetParams memory triggers) = _flow(asset, _bookedBalance(asset));
            entryView.outflowUsed = window.used(triggers.outflowWindow);
            entryView.outflowLimit = window.limit(triggers.outflowShare, _tight(asset));
        }
    }

    /// @inheritdoc ICircuitBreaker
    function state() external view returns (EntryView[] memory entries) {
        address[] memory collaterals = ICollateralVault(vault).collateralAssets();
        entries = new EntryView[](collaterals.length + 2);
        entries[0] = entry(GLOBAL);
        entries[1] = entry(_base);
        for (uint256 i; i < collaterals.length; ++i) entries[i + 2] = entry(collaterals[i]);
    }

    /// @inheritdoc ICircuitBreaker
    function activeEntries() external view returns (uint256) {
        return _activeEntries;
    }

    /// @inheritdoc ICircuitBreaker
    function guardian() external view returns (address) {
        return _guardian;
    }

    /// @inheritdoc ICircuitBreaker
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc ICircuitBreaker
    function assetParams(address asset) external view returns (AssetParams memory) {
        return _paramsOf(asset);
    }
}
