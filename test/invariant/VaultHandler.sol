// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../../contracts/interfaces/ILiquidationEngine.sol";
import {LiquidationEngine} from "../../contracts/liquidation/LiquidationEngine.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {MockPriceOracle} from "../doubles/MockPriceOracle.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";
import {VaultHandlerBase} from "./VaultHandlerBase.sol";
import {VaultHandlerChecks} from "./VaultHandlerChecks.sol";

/// @notice Drives random sequences of lender and borrower actions, price moves and crashes, time warps, donations,
///         round trips, liquidations (by a keeper or by the borrower itself), flags and write-offs across several
///         actors and collateral assets. Inputs are bounded so most calls succeed.
/// @dev Post-conditions that must hold after a single action (monotonic share price and index, borrow limits after
///      borrow/withdrawal, donations, round trips) are recorded in `violation`: an assert inside a handler call
///      would only be a swallowed revert. Ghost variables keep an independent model of collateral flows. This file
///      holds the actions; the state and post-conditions are VaultHandlerBase's, the liquidation and cap checks
///      VaultHandlerChecks'.
contract VaultHandler is VaultHandlerChecks {
    constructor(
        CollateralVault vault_,
        LiquidationEngine engine_,
        MockERC20 usdc_,
        MockERC20[] memory collaterals_,
        MockPriceOracle oracle_,
        VaultLens lens_
    ) VaultHandlerBase(vault_, engine_, usdc_, collaterals_, oracle_, lens_) {}

    // ----------------------------------------------------------------- views for the invariant contract

    // ----------------------------------------------------------------- lender actions

    function deposit(uint256 actorSeed, uint256 amount) external tracked("deposit") {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1, 1_000_000e6);
        usdc.mint(actor, amount);
        vm.prank(actor);
        vault.deposit(amount, actor);
        ghostBaseIn += amount;
    }

    function mint(uint256 actorSeed, uint256 shares) external tracked("mint") {
        address actor = _actor(actorSeed);
        shares = bound(shares, 1e6, 1_000_000e12);
        usdc.mint(actor, vault.previewMint(shares));
        vm.prank(actor);
        ghostBaseIn += vault.mint(shares, actor);
    }

    function withdraw(uint256 actorSeed, uint256 amount) external tracked("withdraw") {
        address actor = _actor(actorSeed);
        uint256 max = vault.maxWithdraw(actor);
        if (max == 0) return;
        amount = bound(amount, 1, max);
        uint256 claims = _claimCount();
        vm.prank(actor);
        vault.withdraw(amount, actor, actor);
        ghostBaseOut += amount;
        if (_claimCount() != claims) _fail(InvariantsSpec.INV_27_MAX_PAYS_NOW, amount);
    }

    function redeem(uint256 actorSeed, uint256 shares) external tracked("redeem") {
        address actor = _actor(actorSeed);
        uint256 max = vault.maxRedeem(actor);
        if (max == 0) return;
        shares = bound(shares, 1, max);
        if (vault.previewRedeem(shares) == 0) return; // dust share amounts are rejected by design (ZeroAmount)
        uint256 claims = _claimCount();
        vm.prank(actor);
        ghostBaseOut += vault.redeem(shares, actor, actor);
        if (_claimCount() != claims) _fail(InvariantsSpec.INV_27_MAX_PAYS_NOW, shares);
    }

    /// @dev INV-09: depositing then redeeming the minted shares never returns more than went in.
    function roundTrip(uint256 actorSeed, uint256 amount) external tracked("roundTrip") {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1, 1_000_000e6);
        usdc.mint(actor, amount);
        vm.startPrank(actor);
        uint256 shares = vault.deposit(amount, actor);
        ghostBaseIn += amount;
        if (vault.maxRedeem(actor) >= shares && vault.previewRedeem(shares) != 0) {
            uint256 out = vault.redeem(shares, actor, actor);
            ghostBaseOut += out;
            if (out > amount) _fail(InvariantsSpec.INV_09_ROUND_TRIP, out);
        }
        vm.stopPrank();
    }

    // ----------------------------------------------------------------- borrower actions

    function depositCollateral(
        uint256 actorSeed,
        uint256 assetSeed,
        uint256 amount
    ) external tracked("depositCollateral") {
        address actor = _actor(actorSeed);
        MockERC20 token = _collateral(assetSeed);
        amount = bound(amount, 1, 1_000 * 10 ** token.decimals());
        token.mint(actor, amount);
        (ICollateralVault.CollateralConfig memory cfg, , uint256 total) = lens.collateralInfo(vault, address(token));
        bool pastCap = total + amount > cfg.supplyCap;
        bool indebted = vault.debtOf(actor) != 0;
        Bound memory cover;
        if (pastCap && indebted && cfg.supplyCap != 0)
            cover = _overCapBound(actor, token, amount, total, cfg.supplyCap);
        uint256 limitBefore = vault.accountLiquidity(actor).borrowLimit;
        vm.prank(actor);
        try vault.depositCollateral(address(token), amount, actor) {
            ghostCollateralIn[address(token)] += amount;
            if (pastCap && (!indebted || cfg.supplyCap == 0))
                _fail("a deposit went past a supply cap it may not", amount);
            if (pastCap && indebted) {
                topUpsPastCap += 1;
                if (!cover.fits && !cover.near) _fail("a top-up went past the cap beyond twice its debt", amount);
                _checkPastCapLendsNothing(actor, token, cover.room, limitBefore);
            }
        } catch (bytes memory reason) {
            // Property 6: only the supply cap may refuse a deposit: to an account without debt, past a cap of 0 (a
            // freeze), or beyond what backs twice the account's debt (or with a price the bound cannot read); never
            // an indebted account's own top-up within that bound.
            if (!pastCap || (indebted && cfg.supplyCap != 0 && cover.fits && !cover.near))
                _fail(InvariantsSpec.INV_27_ALWAYS_OPEN, uint256(_status[address(token)]));
            if (cover.unknownPrice) {
                _expectSelector(reason, ICollateralVault.PriceNotOk.selector, "depositCollateral (price)");
            } else {
                _expectSelector(reason, ICollateralVault.SupplyCapExceeded.selector, "depositCollateral (cap)");
            }
            capRefusals += 1;
        }
    }

    function withdrawCollateral(
        uint256 actorSeed,
        uint256 assetSeed,
        uint256 amount
    ) external tracked("withdrawCollateral") {
        address actor = _actor(actorSeed);
        MockERC20 token = _collateral(assetSeed);
        uint256 balance = vault.collateralOf(actor, address(token));
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        bool indebted = vault.debtOf(actor) != 0;
        bool doubted =
            _status[address(token)] != IPriceOracle.Status.OK || _status[address(usdc)] != IPriceOracle.Status.OK;
        vm.prank(actor);
        try vault.withdrawCollateral(address(token), amount, actor) {
            ghostCollateralOut[address(token)] += amount;
            if (indebted && doubted) _fail(InvariantsSpec.INV_12_DOUBTED_PRICE, amount);
            _checkWithinBorrowLimit(actor);
        } catch (bytes memory reason) {
            // Acceptable refusals of an in-range withdrawal: the borrow limit, or a doubted price with debt.
            if (!indebted) _fail("INV-35: an account without debt was refused its collateral", amount);
            else if (!doubted || !_hasSelector(reason, ICollateralVault.PriceNotOk.selector)) {
                _expectSelector(reason, ICollateralVault.BorrowLimitExceeded.selector, "withdrawCollateral");
            }
        }
    }

    function borrow(uint256 actorSeed, uint256 amount) external tracked("borrow") {
        // The first actor from the seed with room to borrow, so positions get opened.
        address actor = _actor(actorSeed);
        ICollateralVault.AccountLiquidity memory liq = vault.accountLiquidity(actor);
        for (uint256 i = 1; i < _actors.length && liq.borrowLimit <= liq.debtValue; ++i) {
            actor = _actor(actorSeed + i);
            liq = vault.accountLiquidity(actor);
        }
        if (liq.borrowLimit <= liq.debtValue) return;
        // Headroom in USDC at $1 (6 decimals from a WAD USD value), capped by cash; occasionally aim 1% past it.
        uint256 headroom = (liq.borrowLimit - liq.debtValue) / 1e12;
        uint256 cash = vault.cash();
        uint256 cap = headroom < cash ? headroom : cash;
        if (cap == 0) return;
        // Mostly in the upper half of the headroom, so price moves make accounts liquidatable.
        amount =
            amount % 4 == 0 ? bound(amount, 1, cap + cap / 100 + 1) : bound(amount, cap / 2 + 1, cap + cap / 100 + 1);
        vm.prank(actor);
        try vault.borrow(amount, actor) {
            ghostBaseOut += amount;
            borrows += 1;
            if (_status[address(usdc)] != IPriceOracle.Status.OK) _fail(InvariantsSpec.INV_12_DOUBTED_PRICE, amount);
            _checkWithinBorrowLimit(actor);
        } catch (bytes memory reason) {
            bool breakerRefused =
                _hasSelector(reason, ICircuitBreaker.ActionPaused.selector) ||
                    _hasSelector(reason, ICircuitBreaker.OutflowLimitReached.selector);
            if (amount <= cap && _status[address(usdc)] == IPriceOracle.Status.OK && !breakerRefused) {
                // Rounding at the boundary (value rounded down, debt up) may refuse the exact limit; so may the
                // breaker's exclusion of a fallen or stopped collateral (same error).
                _expectSelector(reason, ICollateralVault.BorrowLimitExceeded.selector, "borrow");
            }
        }
    }

    function repay(uint256 actorSeed, uint256 amount, bool all) external tracked("repay") {
        address actor = _actor(actorSeed);
        uint256 debt = vault.debtOf(actor);
        if (debt == 0) return;
        amount = all ? type(uint256).max : bound(amount, 1, debt);
        usdc.mint(actor, debt);
        vm.prank(actor);
        try vault.repay(amount, actor) returns (uint256 repaid) {
            ghostBaseIn += repaid;
        } catch {
            _fail(InvariantsSpec.INV_27_ALWAYS_OPEN, uint256(_status[address(usdc)]));
        }
    }

    // ----------------------------------------------------------------- liquidations

    /// @dev A keeper (or, one time in five, the borrower itself: self-liquidation) liquidates a random account,
    ///      taking everything allowed or a random amount.
    function liquidate(
        uint256 liquidatorSeed,
        uint256 borrowerSeed,
        uint256 assetSeed,
        uint256 maxRepay,
        bool all
    ) external tracked("liquidate") {
        // Aim where liquidations are possible: the first liquidatable account from the seed, and a collateral it
        // holds (the rest of the time a random one, to exercise refusals).
        address borrower = _actor(borrowerSeed);
        for (uint256 i; i < _actors.length && assetSeed % 4 != 0; ++i) {
            address candidate = _actor(borrowerSeed + i);
            if (vault.isLiquidatable(candidate)) {
                borrower = candidate;
                break;
            }
        }
        address liquidator = liquidatorSeed % 5 == 0 ? borrower : keeper;
        MockERC20 token = _collateral(assetSeed);
        for (uint256 i; i < _collaterals.length && assetSeed % 4 != 0; ++i) {
            if (vault.collateralOf(borrower, address(_collateral(assetSeed + i))) != 0) {
                token = _collateral(assetSeed + i);
                break;
            }
        }
        uint256 debt = vault.debtOf(borrower);
        maxRepay = all ? type(uint256).max : bound(maxRepay, 1, debt + 1);
        usdc.mint(liquidator, debt * 2 + 1);
        if (liquidator == borrower) {
            vm.prank(borrower);
            usdc.approve(address(vault), type(uint256).max);
        }
        Before memory b = _before(borrower, liquidator, token);

        vm.prank(liquidator);
        try engine.liquidate(borrower, address(token), maxRepay, liquidator) returns (
            ILiquidationEngine.Quote memory q
        ) {
            liquidations += 1;
            _stepFee += q.fee;
            if (b.doubted) doubtedLiquidations += 1;
            _afterLiquidation(borrower, liquidator, token, b, q);
        } catch (bytes memory reason) {
            if (b.doubted && b.unhealthyOnBorrowSide && !b.atBothBounds) doubtedRefusals += 1;
            // Liveness: an account the vault calls liquidatable, holding the asset, is liquidated when the
            // liquidator takes what is allowed; only a liquidation too small to seize anything may be refused.
            if (all && b.liquidatable && b.held != 0 && !_sequencerDown() && !_breakerStopsLiquidation(token)) {
                _expectSelector(reason, ILiquidationEngine.LiquidationTooSmall.selector, "liquidate (liveness)");
            }
        }
    }

    /// @dev Anyone flags an account: it starts the time ramp and provisions the loss already certain.
    function flag(uint256 actorSeed) external tracked("flag") {
        address account = _actor(actorSeed);
        bool liquidatable = vault.isLiquidatable(account);
        bool stopped = _sequencerDown();
        for (uint256 i; i < _collaterals.length && !stopped; ++i) stopped = _breakerStopsLiquidation(_collaterals[i]);
        try engine.flag(account) {
            if (!liquidatable) _fail(InvariantsSpec.INV_13_ONLY_LIQUIDATABLE, 1);
            if (stopped) flagsWhileStopped += 1;
        } catch {
            // Property 3: whatever stops liquidations, a liquidatable account is flagged and its loss booked.
            if (liquidatable) _fail(InvariantsSpec.INV_25_LOSS_BOOKED_WHEN_STOPPED, 0);
        }
    }

    /// @dev Anyone unflags an account that is no longer liquidatable.
    function unflag(uint256 actorSeed) external tracked("unflag") {
        try engine.unflag(_actor(actorSeed)) {} catch {} // solhint-disable-line no-empty-blocks
    }

    /// @dev Anyone writes off an unhealthy account whose collateral is dust.
    function writeOff(uint256 actorSeed) external tracked("writeOff") {
        address account = _actor(actorSeed);
        try engine.writeOff(account) returns (uint256 amount) {
            ghostBadDebt += amount;
            _sweptAll(account);
            if (vault.debtOf(account) != 0) _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, amount);
        } catch {} // solhint-disable-line no-empty-blocks
    }

    // ----------------------------------------------------------------- market and time

    /// @dev Moves one collateral's price by −30%…+30%, kept within [1%, 100×] of its starting price.
    function movePrice(uint256 assetSeed, uint256 moveBps) external tracked("movePrice") {
        MockERC20 token = _collateral(assetSeed);
        moveBps = bound(moveBps, 7_000, 13_000);
        uint256 initial = _initialPrice[address(token)];
        uint256 price = (_marketPrice[address(token)] * moveBps) / 10_000;
        _marketPrice[address(token)] = bound(price, initial / 100, initial * 100);
        _publish(address(token));
    }

    /// @dev Puts a collateral or the base asset in OK, DEGRADED (±10% around the market price) or FAILED status.
    function setPriceStatus(uint256 assetSeed, uint256 statusSeed) external tracked("setPriceStatus") {
        address token = assetSeed % 4 == 0 ? address(usdc) : address(_collateral(assetSeed));
        // OK half of the time, so positions keep being opened.
        uint256 roll = statusSeed % 4;
        _status[token] =
            roll < 2
                ? IPriceOracle.Status.OK
                : roll == 2
                    ? IPriceOracle.Status.DEGRADED
                    : IPriceOracle.Status.FAILED;
        _publish(token);
    }

    function _publish(address token) internal {
        uint256 p = _marketPrice[token];
        IPriceOracle.Status status = _status[token];
        if (status == IPriceOracle.Status.OK) oracle.setPrice(token, p);
        else if (status == IPriceOracle.Status.DEGRADED) {
            oracle.setPriceData(token, (p * 9) / 10, (p * 11) / 10, status, IPriceOracle.Reason.SOURCES_DISAGREE);
        } else oracle.setPriceData(token, 0, 0, status, IPriceOracle.Reason.STALE);
    }

    /// @dev A market-wide crash: every collateral loses 30–70% at once (floored at 1% of its starting price).
    function crash(uint256 dropBps) external tracked("crash") {
        dropBps = bound(dropBps, 3_000, 7_000);
        for (uint256 i; i < _collaterals.length; ++i) {
            address token = address(_collaterals[i]);
            uint256 price = (_marketPrice[token] * (10_000 - dropBps)) / 10_000;
            uint256 floor = _initialPrice[token] / 100;
            _marketPrice[token] = price < floor ? floor : price;
            _publish(token);
        }
    }

    /// @dev The L2 sequencer goes down, or comes back (its grace, zero here, ends at once): liquidations above the
    ///      engine's emergency health stop meanwhile; flags and the loss they book do not (properties 3 and 7).
    function setSequencer(bool down) external tracked("setSequencer") {
        if (down == _sequencerDown()) return;
        if (down) {
            oracle.setSequencerReason(IPriceOracle.Reason.SEQUENCER_DOWN);
            sequencerOutages += 1;
        } else {
            oracle.setSequencerReason(IPriceOracle.Reason.NONE);
            oracle.setSequencerReadySince(block.timestamp);
        }
    }

    /// @dev Governance moves a collateral's supply cap to between 50% and 150% of what is deposited now (its other
    ///      terms unchanged), so full caps meet indebted top-ups (property 6).
    function setSupplyCap(uint256 assetSeed, uint256 shareBps) external tracked("setSupplyCap") {
        MockERC20 token = _collateral(assetSeed);
        (ICollateralVault.CollateralConfig memory cfg, , uint256 total) = lens.collateralInfo(vault, address(token));
        cfg.supplyCap = uint128((total * bound(shareBps, 5_000, 15_000)) / 10_000);
        vm.prank(vault.owner());
        vault.setCollateralConfig(address(token), cfg);
    }

    /// @dev Time passes, and with it blocks (one per 12 s, at least one), so the breaker sees new block openings.
    function warp(uint256 seconds_) external tracked("warp") {
        seconds_ = bound(seconds_, 1, 30 days);
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + 1 + seconds_ / 12);
    }

    // ----------------------------------------------------------------- post-conditions
}
