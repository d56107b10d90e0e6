// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../../contracts/interfaces/ILiquidationEngine.sol";
import {LiquidationEngine} from "../../contracts/liquidation/LiquidationEngine.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {IWithdrawalQueue} from "../../contracts/interfaces/IWithdrawalQueue.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {MockPriceOracle} from "../doubles/MockPriceOracle.sol";
import {LiquidationMath} from "../../contracts/libraries/LiquidationMath.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {VaultStorage} from "../../contracts/libraries/VaultStorage.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";

/// @notice Drives random sequences of lender and borrower actions, price moves and crashes, time warps, donations,
///         round trips, liquidations (by a keeper or by the borrower itself), flags and write-offs across several
///         actors and collateral assets. Inputs are bounded so most calls succeed.
/// @dev Post-conditions that must hold after a single action (monotonic share price and index, borrow limits after
///      borrow/withdrawal, donations, round trips) are recorded in `violation`: an assert inside a handler call
///      would only be a swallowed revert. Ghost variables keep an independent model of collateral flows.
contract VaultHandler is CommonBase, StdCheats, StdUtils {
    CollateralVault public immutable vault;
    /// @dev The fixture's lens, passed in (not deployed here: each `new` embeds a contract's whole creation code in
    ///      its deployer, and the invariant suites' compile job is already as large as the WebAssembly solc handles).
    VaultLens public immutable lens;
    LiquidationEngine public immutable engine;
    address public immutable keeper;
    MockERC20 public immutable usdc;
    MockPriceOracle public immutable oracle;
    MockERC20[] internal _collaterals;
    address[] internal _actors;

    /// @notice The first post-condition that failed, with its context; empty while everything holds.
    string public violation;

    mapping(address token => uint256) public ghostCollateralIn;
    mapping(address token => uint256) public ghostCollateralOut;
    /// @notice Base asset the handler saw enter the vault's books (deposits, mints, repays) and leave them
    ///         (withdrawals, redemptions, borrows). Donations are not booked, so they count in neither.
    uint256 public ghostBaseIn;
    uint256 public ghostBaseOut;
    /// @notice Σ of the write-offs the handler saw, and how many liquidations went through.
    uint256 public ghostBadDebt;
    uint256 public liquidations;
    uint256 public borrows;
    /// @notice Reach of INV-13 under doubted prices: liquidations that went through while a price the account needs
    ///         was DEGRADED with `low` < `high`, and liquidations refused because only the doubt's worse bound made
    ///         the account liquidatable.
    uint256 public doubtedLiquidations;
    uint256 public doubtedRefusals;
    /// @notice Reach of properties 3 and 7: sequencer outages started, flags that went through while liquidations of
    ///         some asset were stopped, and liquidations of an account flagged before a stop that ended since.
    uint256 public sequencerOutages;
    /// @notice Reach of property 6: top-ups of indebted accounts past a full supply cap, and deposits the cap refused.
    uint256 public topUpsPastCap;
    uint256 public capRefusals;
    /// @notice Reach of property 4: liquidations whose seizure left debt below the dust minimum that the same
    ///         transaction closed, and remainders left because free reserves could not pay them.
    uint256 public remaindersClosed;
    uint256 public remaindersLeft;
    /// @notice Reach of property 2: liquidations that left an account insolvent (its shortfall then must stay booked).
    uint256 public insolventAfterLiquidation;
    uint256 public flagsWhileStopped;
    uint256 public liquidationsAcrossStops;
    /// @dev The last moment the handler saw liquidations of a collateral stopped (by its breaker entry, the base's or
    ///      the global one, or the grace after a resume) or the sequencer stopping them. The true end of that stop is
    ///      later, so no open ramp started before it: the bound property 7 checks.
    mapping(address token => uint256) internal _stopSeenAt;
    uint256 internal _sequencerStopSeenAt;
    mapping(address token => uint256) internal _initialPrice;
    /// @dev The market price of each token, whatever status the oracle reports it with.
    mapping(address token => uint256) internal _marketPrice;
    mapping(address token => IPriceOracle.Status) internal _status;
    mapping(bytes32 action => uint256) public calls;

    uint256 internal _lastAssetsPlusOne;
    uint256 internal _lastSupplyPlusVirtual;
    uint256 internal _lastIndex;
    uint256 internal _lastBadDebt;
    uint256 internal _lastProvision;

    constructor(
        CollateralVault vault_,
        LiquidationEngine engine_,
        MockERC20 usdc_,
        MockERC20[] memory collaterals_,
        MockPriceOracle oracle_,
        VaultLens lens_
    ) {
        vault = vault_;
        lens = lens_;
        engine = engine_;
        keeper = makeAddr("keeper");
        vm.prank(keeper);
        usdc_.approve(address(vault_), type(uint256).max);
        usdc = usdc_;
        oracle = oracle_;
        for (uint256 i; i < collaterals_.length; ++i) {
            _collaterals.push(collaterals_[i]);
            _initialPrice[address(collaterals_[i])] = oracle_.prices(address(collaterals_[i]));
            _marketPrice[address(collaterals_[i])] = _initialPrice[address(collaterals_[i])];
        }
        for (uint256 i; i < 4; ++i) {
            address actor = makeAddr(string.concat("actor", vm.toString(i)));
            _actors.push(actor);
            vm.startPrank(actor);
            usdc.approve(address(vault_), type(uint256).max);
            for (uint256 j; j < collaterals_.length; ++j) collaterals_[j].approve(address(vault_), type(uint256).max);
            vm.stopPrank();
        }
        _marketPrice[address(usdc_)] = oracle_.prices(address(usdc_));
        _recordSharePriceAndIndex();
    }

    // ----------------------------------------------------------------- views for the invariant contract

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function collaterals() external view returns (MockERC20[] memory) {
        return _collaterals;
    }

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

    /// @dev Claims the withdrawal queue has ever created (0 without a breaker).
    function _claimCount() internal view returns (uint256) {
        (, IWithdrawalQueue queue) = lens.circuitBreaker(vault);
        return address(queue) == address(0) ? 0 : queue.claimCount();
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

    /// @dev What the vault's cover bound on a top-up past a supply cap should say, recomputed here from raw reads.
    struct Bound {
        uint256 room; // units that still fit under the cap
        bool fits; // the holding past the cap backs at most twice the debt
        bool near; // within rounding of the bound: either answer is right
        bool unknownPrice; // a price the bound needs is FAILED: refused with PriceNotOk
    }

    function _overCapBound(
        address actor,
        MockERC20 token,
        uint256 amount,
        uint256 total,
        uint256 cap
    ) internal view returns (Bound memory b) {
        b.room = cap > total ? cap - total : 0;
        IPriceOracle.Price memory price = oracle.getPrice(address(token));
        IPriceOracle.Price memory base = oracle.getPrice(address(usdc));
        if (price.status == IPriceOracle.Status.FAILED || base.status == IPriceOracle.Status.FAILED) {
            b.unknownPrice = true;
            return b;
        }
        uint256 past = VaultStorage.overCapOf(vault, actor, address(token)) + amount - b.room;
        (, uint256 threshold) = vault.riskParams(address(token));
        uint256 coverValue = (((past * price.high) / 10 ** token.decimals()) * threshold) / 1e18;
        uint256 most = (2 * vault.debtOf(actor) * base.low) / 1e6;
        b.fits = coverValue <= most;
        uint256 gap = coverValue > most ? coverValue - most : most - coverValue;
        b.near = gap <= most / 1_000 + 1e12;
    }

    /// @dev Property 6: a top-up past the cap raises the borrow limit by no more than the units that fit under it lend.
    function _checkPastCapLendsNothing(address actor, MockERC20 token, uint256 room, uint256 limitBefore) internal {
        IPriceOracle.Price memory price = oracle.getPrice(address(token));
        (uint256 ltv, ) = vault.riskParams(address(token));
        uint256 most = limitBefore + (((room * price.low) / 10 ** token.decimals()) * ltv) / 1e18 + 1e9;
        uint256 limitAfter = vault.accountLiquidity(actor).borrowLimit;
        if (limitAfter > most) _fail("units past a supply cap lend", limitAfter - limitBefore);
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

    /// @dev What a liquidation post-condition compares, read before the call.
    struct Before {
        ICollateralVault.AccountLiquidity liq;
        bool liquidatable;
        bool atBothBounds;
        bool doubted;
        bool unhealthyOnBorrowSide;
        uint256 held;
        uint256 payerBase;
        uint256 receiverCollateral;
        uint256 badDebt;
        uint256 flaggedAt;
        uint256 flaggedHealth;
    }

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

    function _before(address borrower, address liquidator, MockERC20 token) internal view returns (Before memory b) {
        b.liq = vault.liquidationView(borrower, address(0)).liq;
        ICollateralVault.AccountLiquidity memory borrowSide = vault.accountLiquidity(borrower);
        b.unhealthyOnBorrowSide = borrowSide.debt != 0 && borrowSide.debtValue > borrowSide.liquidationLimit;
        (b.atBothBounds, b.doubted) = _liquidatableAtBothBounds(borrower);
        b.liquidatable = vault.isLiquidatable(borrower);
        b.held = vault.collateralOf(borrower, address(token));
        b.payerBase = usdc.balanceOf(liquidator);
        b.receiverCollateral = token.balanceOf(liquidator);
        b.badDebt = vault.badDebt();
        b.flaggedAt = engine.flaggedAt(borrower);
        b.flaggedHealth = engine.flaggedHealth(borrower);
    }

    function _afterLiquidation(
        address borrower,
        address liquidator,
        MockERC20 token,
        Before memory b,
        ILiquidationEngine.Quote memory q
    ) internal {
        if (!b.liquidatable) _fail(InvariantsSpec.INV_13_ONLY_LIQUIDATABLE, q.repay);
        if (!b.atBothBounds) _fail(InvariantsSpec.INV_13_DOUBTED_PRICE, q.repay);
        _checkRamp(token, b, q);
        // The liquidator paid exactly repay + fee and received exactly `seize`.
        if (b.payerBase - usdc.balanceOf(liquidator) != q.repay + q.fee) _fail(InvariantsSpec.INV_14_BONUS_BOUND, 1);
        if (token.balanceOf(liquidator) - b.receiverCollateral != q.seize) _fail(InvariantsSpec.INV_14_BONUS_BOUND, 2);
        ghostBaseIn += q.repay + q.fee;
        ghostCollateralOut[address(token)] += q.seize;

        // The floor, at the bounds that favour the borrower (collateral at its high, the base at its low): at any price
        // a doubt allows, never more than the collateral's maximum bonus.
        (ICollateralVault.CollateralConfig memory cfg, uint8 decimals, ) = lens.collateralInfo(vault, address(token));
        uint256 seizedValue = (q.seize * oracle.getPrice(address(token)).high) / 10 ** decimals;
        uint256 repaidValue = (q.repay * oracle.getPrice(address(usdc)).low + 1e6 - 1) / 1e6;
        if (seizedValue > (repaidValue * (1e18 + cfg.liquidationBonus) + 1e18 - 1) / 1e18) {
            _fail(InvariantsSpec.INV_14_BONUS_BOUND, seizedValue);
        }

        // A write-off, unless the dust remainder was closed at no loss (no bad debt: the account keeps its surplus).
        if (q.writeOff && vault.badDebt() != b.badDebt) {
            uint256 amount = vault.badDebt() - b.badDebt;
            ghostBadDebt += amount;
            _sweptAll(borrower);
            // A solvent account is never liquidated into bad debt beyond a dust remainder ($100 = 100e6 units).
            if (b.liq.collateralValue >= b.liq.debtValue && amount > 100e6) {
                _fail(InvariantsSpec.INV_16_SOLVENT_NOT_WRITTEN_OFF, amount);
            }
        }
        uint256 debtAfter = vault.debtOf(borrower);
        _checkNoDust(borrower, debtAfter, b.liq.debt, q);
        if (debtAfter != 0) _checkProvisionKept(borrower, debtAfter);
        bool closed = debtAfter == 0 || vault.collateralOf(borrower, address(token)) == 0;
        if (!closed) {
            ICollateralVault.AccountLiquidity memory a = vault.liquidationView(borrower, address(0)).liq;
            // health after ≥ health before ⇔ limitAfter × debtValueBefore ≥ limitBefore × debtValueAfter
            if (a.liquidationLimit * b.liq.debtValue < b.liq.liquidationLimit * a.debtValue) {
                _fail(InvariantsSpec.INV_14_HEALTHIER_OR_CLOSED, a.debtValue);
            }
        }
        if (debtAfter != 0 && !holdsCollateral(borrower))
            _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, debtAfter);
    }

    /// @dev Property 2: a liquidation that leaves debt leaves at least the account's shortfall (debt beyond what its
    ///      collateral covers at the liquidation side's prices, recomputed here from the vault's view after it) booked
    ///      as its provision, so the share price never rises on a loss nobody recovered. Two base units, plus one per
    ///      1,000 USDC of shortfall, absorb the difference between the engine's and the view's roundings. Skipped at
    ///      an unknown price (no shortfall can be stated there).
    function _checkProvisionKept(address borrower, uint256 debtAfter) internal {
        ICollateralVault.LiquidationView memory view_ = vault.liquidationView(borrower, address(0));
        if (view_.basePrice.status == IPriceOracle.Status.FAILED) return;
        if (view_.liq.priceStatus == IPriceOracle.Status.FAILED) return;
        uint256 covered = (view_.liq.collateralValue * 1e6) / view_.basePrice.low;
        if (debtAfter <= covered) return;
        uint256 shortfall = debtAfter - covered;
        insolventAfterLiquidation += 1;
        if (lens.provisionOf(vault, borrower) + shortfall / 1e9 + 2 < shortfall) {
            _fail(InvariantsSpec.INV_06_PROVISION_KEPT, shortfall);
        }
    }

    /// @dev Property 4 (INV-15): after a liquidation the account owes nothing, or owes and holds each at least the
    ///      dust minimum (at the liquidation side's prices, less a billionth of a dollar for rounding), or it is the
    ///      documented exception: a solvent remainder that free reserves (not earmarked for provisions) cannot pay.
    function _checkNoDust(
        address borrower,
        uint256 debtAfter,
        uint256 debtBefore,
        ILiquidationEngine.Quote memory q
    ) internal {
        if (debtAfter == 0) {
            if (q.repay < debtBefore && vault.badDebt() == _lastBadDebt) remaindersClosed += 1;
            return;
        }
        uint256 dust = engine.params().dustValue;
        ICollateralVault.AccountLiquidity memory a = vault.liquidationView(borrower, address(0)).liq;
        if (a.priceStatus == IPriceOracle.Status.FAILED) return; // valued at no price: nothing to compare
        if (a.collateralValue + 1e9 >= dust && a.debtValue + 1e9 >= dust) return;
        uint256 reserves = vault.reserves();
        uint256 provisions = lens.totalProvision(vault);
        bool payable_ = reserves >= provisions && reserves - provisions >= debtAfter;
        if (payable_ && _oneHoldingCovers(borrower, a.debtValue)) _fail(InvariantsSpec.INV_15_NO_DUST, debtAfter);
        remaindersLeft += 1;
    }

    /// @dev Whether one holding of `account` with a usable price is worth `value` at its price's `high`.
    function _oneHoldingCovers(address account, uint256 value) internal view returns (bool) {
        for (uint256 i; i < _collaterals.length; ++i) {
            address token = address(_collaterals[i]);
            uint256 held = vault.collateralOf(account, token);
            IPriceOracle.Price memory read = oracle.getPrice(token);
            if (held == 0 || read.status == IPriceOracle.Status.FAILED) continue;
            (, uint8 decimals, ) = lens.collateralInfo(vault, token);
            if ((held * read.high) / 10 ** decimals >= value) return true;
        }
        return false;
    }

    /// @dev Property 7: the bonus paid is at most the curve's at the quoted health with the ramp counted from the flag
    ///      or from the last moment the handler saw this liquidation stopped, whichever is later.
    function _checkRamp(MockERC20 token, Before memory b, ILiquidationEngine.Quote memory q) internal {
        uint256 flaggedAt = b.flaggedAt;
        uint256 from = flaggedAt;
        if (_stopSeenAt[address(token)] > from) from = _stopSeenAt[address(token)];
        // The sequencer never stops the liquidation of an account flagged below emergencyHealth.
        bool emergency = b.flaggedHealth < engine.params().emergencyHealth;
        if (_sequencerStopSeenAt > from && !emergency) from = _sequencerStopSeenAt;
        uint256 elapsed = flaggedAt == 0 || block.timestamp <= from ? 0 : block.timestamp - from;
        if (flaggedAt != 0 && from > flaggedAt) liquidationsAcrossStops += 1;
        ILiquidationEngine.Params memory p = engine.params();
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, address(token));
        uint256 most = LiquidationMath.incentive(
            cfg.liquidationBonus,
            q.health,
            elapsed,
            LiquidationMath.Curve(p.minBonusShare, p.healthRamp, p.timeRamp)
        );
        if (q.bonus > most) _fail(InvariantsSpec.INV_28_RAMP_STANDS_STILL, q.bonus);
    }

    /// @dev Notes every stop of liquidations in force now (see `_stopSeenAt`).
    function _noteStops() internal {
        if (_sequencerDown()) _sequencerStopSeenAt = block.timestamp;
        for (uint256 i; i < _collaterals.length; ++i) {
            if (_breakerStopsLiquidation(_collaterals[i])) _stopSeenAt[address(_collaterals[i])] = block.timestamp;
        }
    }

    /// @dev INV-13 under doubted prices, recomputed here from balances and raw reads, not from the vault's views:
    ///      whether `account` is liquidatable with every collateral at its price's `high` (a FAILED one at the oracle's
    ///      ceiling: the engine's rule) and its debt at the base's `low`; and whether any of those reads is a doubt
    ///      (DEGRADED with `low` < `high`). A margin of 1e9 (a billionth of a dollar) absorbs the vault's roundings.
    function _liquidatableAtBothBounds(address account) internal view returns (bool liquidatable, bool doubted) {
        uint256 debt = vault.debtOf(account);
        IPriceOracle.Price memory base = oracle.getPrice(address(usdc));
        if (debt == 0 || base.status == IPriceOracle.Status.FAILED) return (false, false);
        doubted = base.low < base.high;
        uint256 limit;
        for (uint256 i; i < _collaterals.length; ++i) {
            address token = address(_collaterals[i]);
            uint256 held = vault.collateralOf(account, token);
            if (held == 0) continue;
            IPriceOracle.Price memory read = oracle.getPrice(token);
            if (read.low < read.high) doubted = true;
            uint256 unitPrice = read.status == IPriceOracle.Status.FAILED ? oracle.priceCeiling(token) : read.high;
            (, uint8 decimals, ) = lens.collateralInfo(vault, token);
            (, uint256 threshold) = vault.riskParams(token);
            limit += (((held * unitPrice) / 10 ** decimals) * threshold) / 1e18;
        }
        uint256 debtValue = (debt * base.low + 1e6 - 1) / 1e6;
        liquidatable = debtValue + 1e9 > limit;
    }

    /// @dev After a write-off: the account holds nothing; what it held is the protocol's now.
    function _sweptAll(address account) internal {
        for (uint256 i; i < _collaterals.length; ++i) {
            if (vault.collateralOf(account, address(_collaterals[i])) != 0) {
                _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, i);
            }
        }
        if (vault.debtOf(account) != 0) _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, 0);
    }

    /// @notice Whether `account` holds any collateral at all.
    function holdsCollateral(address account) public view returns (bool) {
        for (uint256 i; i < _collaterals.length; ++i) {
            if (vault.collateralOf(account, address(_collaterals[i])) != 0) return true;
        }
        return false;
    }

    /// @dev INV-28: the breaker may hold a liquidation only at a FAILED price or in the grace after a resume.
    function _breakerStopsLiquidation(MockERC20 token) internal view returns (bool) {
        (ICircuitBreaker breaker, ) = lens.circuitBreaker(vault);
        try breaker.checkLiquidation(address(token)) {
            return false;
        } catch {
            return true;
        }
    }

    function _sequencerDown() internal view returns (bool) {
        (IPriceOracle.Reason reason, ) = oracle.sequencerState();
        return reason != IPriceOracle.Reason.NONE;
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

    /// @dev Each action is a transaction of its own, in a block of its own (time moves only through `warp`).
    modifier tracked(bytes32 action) {
        calls[action] += 1;
        vm.roll(block.number + 1);
        _noteStops();
        _;
        _noteStops();
        _checkSharePriceAndIndex();
    }

    /// @dev INV-06, checked across every action: (totalAssets + 1) / (totalSupply + 10^6), the exact ERC-4626
    ///      conversion rate, compared by cross-multiplication so no rounding hides a fall. It may fall only in an
    ///      action that wrote off bad debt or raised the provisions for it.
    function _checkSharePriceAndIndex() internal {
        uint256 assetsPlusOne = vault.totalAssets() + 1;
        uint256 supplyPlusVirtual = vault.totalSupply() + 1e6;
        bool lossRecorded = vault.badDebt() > _lastBadDebt || lens.totalProvision(vault) > _lastProvision;
        if (!lossRecorded && assetsPlusOne * _lastSupplyPlusVirtual < _lastAssetsPlusOne * supplyPlusVirtual) {
            _fail(InvariantsSpec.INV_06_SHARE_PRICE, assetsPlusOne);
        }
        uint256 index = vault.borrowIndex();
        if (index < _lastIndex) _fail(InvariantsSpec.INV_06_BORROW_INDEX, index);
        _recordSharePriceAndIndex();
    }

    function _recordSharePriceAndIndex() internal {
        _lastAssetsPlusOne = vault.totalAssets() + 1;
        _lastSupplyPlusVirtual = vault.totalSupply() + 1e6;
        _lastIndex = vault.borrowIndex();
        _lastBadDebt = vault.badDebt();
        _lastProvision = lens.totalProvision(vault);
    }

    function _checkWithinBorrowLimit(address actor) internal {
        ICollateralVault.AccountLiquidity memory liq = vault.accountLiquidity(actor);
        if (liq.debtValue > liq.borrowLimit) _fail(InvariantsSpec.INV_11_BORROW_LIMIT, liq.debtValue);
    }

    function _expectSelector(bytes memory reason, bytes4 expected, string memory action) internal {
        if (!_hasSelector(reason, expected)) _fail(string.concat("unexpected revert in ", action), reason.length);
    }

    function _hasSelector(bytes memory reason, bytes4 expected) internal pure returns (bool) {
        return reason.length >= 4 && bytes4(reason) == expected;
    }

    function _fail(string memory what, uint256 value) internal {
        if (bytes(violation).length == 0) violation = string.concat(what, " (value ", vm.toString(value), ")");
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _collateral(uint256 seed) internal view returns (MockERC20) {
        return _collaterals[seed % _collaterals.length];
    }
}
