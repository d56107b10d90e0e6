// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {Bounds} from "../libraries/Bounds.sol";
import {LiquidationMath} from "../libraries/LiquidationMath.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title LiquidationEngine
/// @notice Decides who may be liquidated, for how much and at what price; the vault carries it out. The bonus grows
///         as health falls and as an unhealthy account is left untouched, up to the collateral's maximum; the
///         liquidator pays a share of it to reserves; the seized collateral can go out first (flash liquidation).
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-13 only an account with debt and debt value above its liquidation limit is liquidated, never at an
///        unknown price: collateral with a FAILED price counts at the oracle's ceiling and is never seized, and an
///        unknown base price stops everything; while the L2 sequencer is down or in grace, only below
///        `emergencyHealth` (INV-25). `flag` books the certain loss whatever stops liquidations (issue 19,
///        property 3), and the time ramp counts only seconds in which liquidations were open (property 7).
///      - INV-13 under a doubted price: health, the close limits and the seizure are computed on the vault's
///        liquidation side (collateral at its price's `high`, debt at the base's `low`), so an account is liquidated
///        only if it is liquidatable at both bounds of the doubt, and what it loses is priced at the bound that
///        favours it. A confirmed price (OK) has one bound and liquidates at once.
///      - INV-14 seized value ≤ repaid value × (1 + the collateral's maximum bonus), at the oracle's prices (the
///        floor: no zero-bid clearing); a partial liquidation repays no more than restores `targetHealth`, and the
///        whole debt only below `fullCloseHealth`, below the point where partial liquidation lowers health (and
///        there nothing but a close: the whole debt or all of the collateral), or when the rest would be dust.
///      - Provisions: a liquidation lowers the account's provision only by the shortfall it removed, and an account
///        it leaves with debt keeps at least its shortfall booked (`_provisionAfter`, set by the settlement itself
///        before any callback runs), so the share price never rises on a loss nobody recovered, not even inside a
///        flash callback (issue 19, property 2).
///      - INV-15 no liquidation leaves debt below `dustValue` while the liquidator could have taken it, and an
///        unhealthy account whose collateral is dust is written off in the same transaction (INV-16).
///      - A solvent account (collateral value ≥ debt value) is never made insolvent by its own liquidation: the bonus
///        is capped at collateral value / debt value − 1.
///      - INV-18 a liquidator pays `protocolFeeShare` of the bonus to reserves, so self-liquidation never pays.
///      - No callback ever reaches the borrower; the liquidator's own callback runs under the vault's lock.
contract LiquidationEngine is ILiquidationEngine, Ownable2Step, ReentrancyGuardTransient {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    /// @notice Most orders in one batch: keeps a batch inside a block's gas.
    uint256 public constant MAX_BATCH = 100;
    /// @notice Gas a batch needs left before each item: the oracle adapter forwards a fixed budget to every feed
    ///         it reads and refuses to read with less, so an item started below this could fail for want of gas.
    uint256 public constant BATCH_ITEM_GAS = 400_000;
    uint256 private constant WAD = 1e18;
    /// @dev Health above the point where partial liquidation stops raising it, below which only a close is allowed:
    ///      near that point a partial liquidation changes health by less than rounding does.
    uint256 private constant CLOSE_MARGIN = 1e12;
    /// @dev Health gained since a flag that restarts its time ramp: 0.1%.
    uint256 private constant FLAG_HEALTH_TOLERANCE = 1e15;

    /// @notice The vault whose accounts this engine liquidates.
    ICollateralVault public immutable vault;
    address private immutable _base;
    uint8 private immutable _baseDecimals;

    Params private _params;
    /// @dev When an account was flagged and its health then. The time ramp runs only while health has not improved
    ///      since: a top-up, a repayment or a partial liquidation restarts it, so a stale flag prices no later dip.
    struct Flag {
        uint64 at;
        uint192 health;
    }

    mapping(address account => Flag) private _flags;
    /// @dev During a flash liquidation's callback, the oracle value of the collateral it seizes (see `flashSeizedValue`).
    uint256 private transient _flashSeizedValue;

    /// @param vault_ The vault (it must name this engine through `setLiquidationEngine`).
    /// @param params_ Initial policy, inside the bounds.
    /// @param owner_ Governance: the timelock in production.
    constructor(ICollateralVault vault_, Params memory params_, address owner_) Ownable(owner_) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
        _base = IERC4626(address(vault_)).asset();
        _baseDecimals = IERC20Metadata(_base).decimals();
        _setParams(params_);
    }

    // ================================================================= liquidations

    /// @inheritdoc ILiquidationEngine
    function liquidate(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver
    ) external nonReentrant returns (Quote memory) {
        if (receiver == address(0)) revert ZeroAddress();
        return _liquidate(borrower, collateral, maxRepay, receiver, msg.sender, msg.sender, "");
    }

    /// @inheritdoc ILiquidationEngine
    function liquidateWithMinSeize(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver,
        uint256 minSeize
    ) external nonReentrant returns (Quote memory quote) {
        if (receiver == address(0)) revert ZeroAddress();
        quote = _liquidate(borrower, collateral, maxRepay, receiver, msg.sender, msg.sender, "");
        // Checked once the quote is known; the revert undoes the settlement.
        if (quote.seize < minSeize) revert SeizeBelowMinimum(quote.seize, minSeize);
    }

    /// @inheritdoc ILiquidationEngine
    function flashLiquidate(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver,
        bytes calldata data
    ) external nonReentrant returns (Quote memory) {
        if (receiver == address(0)) revert ZeroAddress();
        if (data.length == 0) revert EmptyFlashData();
        return _liquidate(borrower, collateral, maxRepay, receiver, receiver, msg.sender, data);
    }

    /// @inheritdoc ILiquidationEngine
    function liquidateBatch(
        Order[] calldata orders,
        address receiver,
        bytes calldata data
    ) external nonReentrant returns (Quote[] memory quotes, bool[] memory succeeded) {
        uint256 count = orders.length;
        if (count == 0 || count > MAX_BATCH) revert BadBatchLength(count, MAX_BATCH);
        if (receiver == address(0)) revert ZeroAddress();
        address payer = data.length == 0 ? msg.sender : receiver;
        quotes = new Quote[](count);
        succeeded = new bool[](count);
        for (uint256 i; i < count; ++i) {
            Order calldata order = orders[i];
            uint256 gasBefore = gasleft();
            if (gasBefore < BATCH_ITEM_GAS) revert BatchOutOfGas(i);
            try this.batchStep(order, receiver, payer, msg.sender, data) returns (Quote memory quote) {
                (quotes[i], succeeded[i]) = (quote, true);
            } catch (bytes memory reason) {
                // An item that burnt (nearly) all the gas it was given ran out of it: that is the caller's gas
                // limit, not the account, so nothing is skipped.
                if (gasleft() < gasBefore / 32) revert BatchOutOfGas(i);
                emit LiquidationSkipped(order.borrower, order.collateral, reason);
            }
        }
    }

    /// @notice One batch item, callable only by the engine itself (so a failure reverts just this item).
    /// @dev Reverts with `OnlySelf`, and as `liquidate`.
    function batchStep(
        Order calldata order,
        address receiver,
        address payer,
        address initiator,
        bytes calldata data
    ) external returns (Quote memory) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        return _liquidate(order.borrower, order.collateral, order.maxRepay, receiver, payer, initiator, data);
    }

    /// @inheritdoc ILiquidationEngine
    function previewLiquidation(
        address borrower,
        address collateral,
        uint256 maxRepay
    ) external view returns (Quote memory quote) {
        if (maxRepay == 0) revert ZeroAmount();
        (quote, , , ) = _quote(_context(borrower, collateral), borrower, maxRepay);
    }

    // ================================================================= keeper liveness and bad debt

    /// @inheritdoc ILiquidationEngine
    function flashSeizedValue() external view returns (uint256) {
        return _flashSeizedValue;
    }

    /// @inheritdoc ILiquidationEngine
    function flag(address account) external nonReentrant {
        // Not gated on the sequencer (issue 19, property 3): a loss is booked whenever prices can be read, whatever
        // stops liquidations, so lenders cannot exit ahead of it; the time ramp this starts counts only from when
        // liquidations are open again (`_elapsedSinceFlag`).
        ICollateralVault.LiquidationView memory snapshot = vault.liquidationView(account, address(0));
        (uint256 health, ) = _checkLiquidatable(account, snapshot.oracle, snapshot.liq, false);
        ICollateralVault.AccountLiquidity memory liq = snapshot.liq;
        Flag memory flagged = _flags[account];
        if (flagged.at == 0 || _improved(health, flagged.health)) _setFlag(account, health);
        // The loss already certain at today's prices, before any bonus: debt beyond what the collateral is worth.
        uint256 loss;
        if (liq.debtValue > liq.collateralValue)
            loss = _shortfall(liq.debt, liq.collateralValue, snapshot.basePrice.low);
        uint256 booked = vault.provisionOf(account);
        // A doubted price never releases a booked loss: the release would be undone as soon as the doubt resolves,
        // and whoever deposited before it and redeemed after would keep it.
        if (loss < booked && liq.priceStatus != IPriceOracle.Status.OK) return;
        if (loss != booked) vault.setProvision(account, loss);
    }

    /// @inheritdoc ILiquidationEngine
    function unflag(address account) external nonReentrant {
        // The borrow side: an account that any bound of a doubted price calls unhealthy keeps its flag and provision,
        // so a doubt can neither release a booked loss nor restart the time ramp.
        ICollateralVault.AccountLiquidity memory liq = vault.accountLiquidity(account);
        bool unknown = liq.priceStatus == IPriceOracle.Status.FAILED;
        if (liq.debt != 0 && (unknown || liq.debtValue > liq.liquidationLimit)) revert StillLiquidatable(account);
        _clearFlag(account);
        if (vault.provisionOf(account) != 0) vault.setProvision(account, 0);
    }

    /// @inheritdoc ILiquidationEngine
    function writeOff(address account) external nonReentrant returns (uint256) {
        ICollateralVault.LiquidationView memory snapshot = vault.liquidationView(account, address(0));
        _checkLiquidatable(account, snapshot.oracle, snapshot.liq, true);
        // A write-off realises a loss like a liquidation does: it waits while the base asset's (or the global) entry
        // stops liquidations or is in its grace period.
        if (address(snapshot.breaker) != address(0)) snapshot.breaker.checkLiquidation(_base);
        ICollateralVault.AccountLiquidity memory liq = snapshot.liq;
        if (liq.collateralValue >= _params.dustValue) revert NotDust(account, liq.collateralValue, _params.dustValue);
        // A solvent remainder is never written off, by a liquidation or here (the rule `_liquidate` keeps).
        if (liq.priceStatus != IPriceOracle.Status.FAILED && liq.collateralValue >= liq.debtValue)
            revert StillSolvent(account, liq.collateralValue, liq.debtValue);
        _clearFlag(account);
        return vault.writeOffBadDebt(account);
    }

    // ================================================================= governance and views

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less contract could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc ILiquidationEngine
    function setParams(Params calldata params_) external onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc ILiquidationEngine
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc ILiquidationEngine
    function flaggedAt(address account) external view returns (uint256) {
        return _flags[account].at;
    }

    /// @inheritdoc ILiquidationEngine
    function flaggedHealth(address account) external view returns (uint256) {
        return _flags[account].health;
    }

    // ================================================================= internal

    function _liquidate(
        address borrower,
        address collateral,
        uint256 maxRepay,
        address receiver,
        address payer,
        address initiator,
        bytes memory data
    ) internal returns (Quote memory quote) {
        uint256 healthAfter;
        uint256 provisionAfter;
        bool dustLeft;
        (quote, healthAfter, provisionAfter, dustLeft) = _price(borrower, collateral, maxRepay, data.length != 0);
        vault.executeLiquidation(
            ICollateralVault.Settlement(
                borrower,
                collateral,
                quote.repay,
                quote.seize,
                quote.fee,
                receiver,
                payer,
                initiator,
                provisionAfter
            ),
            data
        );
        if (data.length != 0) _flashSeizedValue = 0;
        emit LiquidationExecuted(
            borrower,
            collateral,
            initiator,
            quote.repay,
            quote.seize,
            quote.fee,
            quote.bonus,
            quote.health
        );
        // A solvent dust remainder is closed at no loss (or, when nothing can close it, left: docs/known-issues.md);
        // only an insolvent one is written off.
        if (quote.writeOff) {
            (bool closed, bool solvent) = dustLeft ? _closeRemainder(borrower, collateral) : (false, false);
            if (!closed && !solvent) vault.writeOffBadDebt(borrower);
        } else if (dustLeft && _closed(borrower, collateral)) {
            healthAfter = type(uint256).max;
        }
        // Left unhealthy (the liquidator took less than allowed), its bonus climbs with time from now.
        if (healthAfter >= WAD) _clearFlag(borrower);
        else _setFlag(borrower, healthAfter);
    }

    /// @dev Reads and prices a liquidation (see `_quote`); for a flash liquidation, also holds the seizure's value at
    ///      the seller's least favourable bounds for its callback (`flashSeizedValue`).
    function _price(
        address borrower,
        address collateral,
        uint256 maxRepay,
        bool flash
    ) internal returns (Quote memory quote, uint256 healthAfter, uint256 provisionAfter, bool dustLeft) {
        if (maxRepay == 0) revert ZeroAmount();
        Context memory context = _context(borrower, collateral);
        (quote, healthAfter, provisionAfter, dustLeft) = _quote(context, borrower, maxRepay);
        if (flash) _flashSeizedValue = _saleValue(context, quote.seize);
    }

    /// @dev What pricing one liquidation needs, read once.
    struct Context {
        ICollateralVault.AccountLiquidity liq;
        uint256 held;
        uint256 collateralPrice;
        uint256 basePrice;
        uint256 collateralLow; // the bounds least favourable to a seller of the seized collateral (flash sale floor)
        uint256 baseHigh;
        uint256 threshold;
        uint256 maxBonus;
        uint256 index;
        uint256 scaledDebt;
        uint256 openSince; // since when nothing has stopped this liquidation (sequencer, breaker)
        uint256 health; // on the liquidation side
        uint8 decimals;
    }

    /// @dev Prices a liquidation on the vault's liquidation side: collateral at the oracle's `high`, debt at the base
    ///      asset's `low` — the prices at which the account is liquidatable whatever a doubt allows (INV-13).
    function _quote(
        Context memory context,
        address borrower,
        uint256 maxRepay
    ) internal view returns (Quote memory quote, uint256 healthAfter, uint256 provisionAfter, bool dustLeft) {
        quote.health = context.health;
        Params memory policy = _params;

        quote.bonus = LiquidationMath.incentive(
            context.maxBonus,
            quote.health,
            _elapsedSinceFlag(borrower, quote.health, context.openSince),
            LiquidationMath.Curve(policy.minBonusShare, policy.healthRamp, policy.timeRamp)
        );
        // A solvent account is never liquidated into bad debt: its bonus stops where its collateral would run out.
        quote.bonus = LiquidationMath.capForSolvency(quote.bonus, context.liq.collateralValue, context.liq.debtValue);
        (uint256 allowed, bool mustClose) = _closeLimit(context, policy, quote);
        quote.repay = maxRepay < allowed ? maxRepay : allowed;
        _priceSeizure(context, quote);
        // Where any partial liquidation of this collateral would lower health, only a close is allowed: the whole
        // debt, or all of this collateral.
        if (mustClose && quote.repay < context.liq.debt && quote.seize < context.held)
            revert PartialLowersHealth(quote.health, maxRepay);
        if (quote.repay == 0 || quote.seize == 0) revert LiquidationTooSmall(quote.repay, quote.seize);

        // INV-14, the floor: whatever the curve says, never more than the maximum bonus at the oracle's price.
        uint256 seizedValue = LiquidationMath.valueDown(quote.seize, context.collateralPrice, context.decimals);
        uint256 maxValue = LiquidationMath.valueUp(quote.repay, context.basePrice, _baseDecimals).wadMulUp(
            WAD + context.maxBonus
        );
        if (seizedValue > maxValue) revert SeizeAboveFloor(seizedValue, maxValue);

        uint256 remaining = context.liq.debt - quote.repay;
        // Debt left below the dust minimum: refused when the liquidator chose it; else closed (see below).
        dustLeft = LiquidationMath.valueDown(remaining, context.basePrice, _baseDecimals) < policy.dustValue;
        if (remaining != 0 && dustLeft && quote.repay == maxRepay && maxRepay < allowed)
            revert LeavesDust(remaining, maxRepay);

        quote.fee = LiquidationMath.protocolFee(quote.repay, quote.bonus, policy.protocolFeeShare);
        uint256 collateralLeft =
            context.liq.collateralValue > seizedValue ? context.liq.collateralValue - seizedValue : 0;
        quote.writeOff = remaining != 0 && collateralLeft < policy.dustValue;
        if (remaining == 0) return (quote, type(uint256).max, 0, false);
        // Issue 19, property 4: with `dustLeft` the seizure took all of this collateral and left debt below the dust
        // minimum, which its other collateral (worth at least the minimum) covers: `_liquidate` closes it.
        healthAfter = _healthAfter(context, quote.repay, seizedValue);
        // Booked by the settlement (property 2), also for a remainder about to be written off or closed (no callback
        // sees its loss unbooked).
        provisionAfter = _provisionAfter(borrower, context, quote.repay, seizedValue, healthAfter);
        if (quote.writeOff) healthAfter = type(uint256).max; // written off, closed or left solvent: no flag
    }

    /// @dev The provision an account keeps after a liquidation that leaves debt (partial, or a remainder about to be
    ///      written off or closed): its shortfall afterwards (debt beyond what its
    ///      collateral covers, base units, at the liquidation's prices), plus whatever its provision held beyond its
    ///      shortfall before. A liquidation thus lowers a provision only by the shortfall it removed, and an account it
    ///      leaves insolvent keeps a provision that matches its shortfall: the share price never rises on a loss that
    ///      was not recovered, so nobody who deposits before a liquidation and redeems after takes lenders' loss.
    ///      Capped at the debt left. An account left healthy has no shortfall (its collateral covers its liquidation
    ///      limit, which covers its debt); one with nothing booked has no excess: each skips its part.
    function _provisionAfter(
        address borrower,
        Context memory context,
        uint256 repay,
        uint256 seizedValue,
        uint256 healthAfter
    ) internal view returns (uint256 provision) {
        uint256 booked = vault.provisionOf(borrower);
        if (booked != 0) {
            uint256 shortfallBefore = _shortfall(context.liq.debt, context.liq.collateralValue, context.basePrice);
            if (booked > shortfallBefore) provision = booked - shortfallBefore;
        }
        if (healthAfter >= WAD && provision == 0) return 0;
        uint256 debtAfter = context.liq.debt - _credited(context, repay);
        if (healthAfter < WAD) {
            uint256 valueAfter =
                context.liq.collateralValue > seizedValue ? context.liq.collateralValue - seizedValue : 0;
            provision += _shortfall(debtAfter, valueAfter, context.basePrice);
        }
        if (provision > debtAfter) provision = debtAfter;
    }

    /// @dev Closes the dust remainder a liquidation of `seized` left on `borrower` (issue 19, property 4): the first
    ///      other collateral whose liquidation is open and that covers the remaining debt gives up just its value
    ///      (tokens rounded up), and free reserves pay the debt, so the share price does not move and the borrower
    ///      loses nothing beyond the debt. Only at confirmed prices: the base's and the collateral's must both be OK
    ///      (a doubted price is never a price reserves buy at, nor one a borrower sells at), and the breaker must let
    ///      that collateral be liquidated. Returns `closed` false, leaving the remainder, when free reserves cannot
    ///      pay it, a price is doubted or no single open holding covers it (docs/known-issues.md); and whether the
    ///      account is solvent (collateral at its `high` covering the debt at the base's `low`, no price FAILED), which
    ///      a write-off must not touch. Loops over the listed assets (≤ 16); dust path only.
    function _closeRemainder(address borrower, address seized) internal returns (bool closed, bool solvent) {
        ICollateralVault.LiquidationView memory snapshot = vault.liquidationView(borrower, address(0));
        // Solvent at the bounds that favour the borrower, with every price known: what a write-off must never take.
        solvent =
            snapshot.liq.priceStatus != IPriceOracle.Status.FAILED &&
            snapshot.liq.collateralValue >= snapshot.liq.debtValue;
        if (snapshot.basePrice.status != IPriceOracle.Status.OK) return (false, solvent);
        uint256 debt = snapshot.liq.debt;
        // The account's own provision goes with the close: only the others' earmark reserves.
        uint256 provisions = vault.totalProvision() - vault.provisionOf(borrower);
        uint256 reserves = vault.reserves();
        if (reserves < provisions || reserves - provisions < debt) return (false, solvent);
        closed = _closeIn(
            borrower,
            seized,
            snapshot,
            LiquidationMath.valueUp(debt, snapshot.basePrice.low, _baseDecimals)
        );
    }

    /// @dev `_closeRemainder`'s search: the first holding other than `seized`, at a confirmed price and open to
    ///      liquidation, that covers `debtValue`, gives up just that value (tokens rounded up).
    function _closeIn(
        address borrower,
        address seized,
        ICollateralVault.LiquidationView memory snapshot,
        uint256 debtValue
    ) internal returns (bool) {
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < assets.length; ++i) {
            address asset = assets[i];
            if (asset == seized) continue;
            uint256 held = vault.collateralOf(borrower, asset);
            if (held == 0) continue;
            IPriceOracle.Price memory price = snapshot.oracle.getPrice(asset);
            if (price.status != IPriceOracle.Status.OK || !_liquidationOpen(snapshot.breaker, asset)) continue;
            uint256 seize = debtValue.mulDivUp(10 ** vault.collateralDecimals(asset), price.low);
            if (seize == 0 || seize > held) continue;
            vault.closeRemainder(borrower, asset, seize);
            return true;
        }
        return false;
    }

    /// @dev `_closeRemainder`'s first answer: whether the remainder was closed.
    function _closed(address borrower, address seized) internal returns (bool closed) {
        (closed, ) = _closeRemainder(borrower, seized);
    }

    /// @dev The breaker (if any) lets `asset` be liquidated now: its stop (`ActionPaused`) or its grace
    ///      (`LiquidationGrace`) reads as closed; any other failure of the breaker reverts the liquidation, as it
    ///      would the liquidation's own check.
    function _liquidationOpen(ICircuitBreaker breaker, address asset) internal view returns (bool) {
        if (address(breaker) == address(0)) return true;
        try breaker.checkLiquidation(asset) returns (uint256) {
            return true;
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            if (
                reason.length >= 4 &&
                (selector == ICircuitBreaker.ActionPaused.selector ||
                    selector == ICircuitBreaker.LiquidationGrace.selector)
            ) return false;
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    /// @dev Debt (base units) beyond what `collateralValue` (WAD USD) covers at `basePrice`; the cover rounds down.
    function _shortfall(uint256 debt, uint256 collateralValue, uint256 basePrice) internal view returns (uint256) {
        uint256 covered = collateralValue.mulDivDown(10 ** _baseDecimals, basePrice);
        return debt > covered ? debt - covered : 0;
    }

    /// @dev Collateral for `q.repay` at `q.bonus`; when that is more than the account holds, all of it, for no more
    ///      than it is worth at this bonus.
    ///      The seizure is priced on the debt the repayment actually removes (the vault burns scaled debt rounded
    ///      down, so a partial repayment can be credited a unit or two less than paid): the difference stays with
    ///      lenders and can never cost the borrower collateral.
    function _priceSeizure(Context memory context, Quote memory quote) internal view {
        uint256 credited = _credited(context, quote.repay);
        quote.seize = LiquidationMath.seizeFor(
            credited,
            context.basePrice,
            _baseDecimals,
            context.collateralPrice,
            context.decimals,
            quote.bonus
        );
        if (quote.seize < context.held) return;
        quote.seize = context.held;
        uint256 all = LiquidationMath.repayFor(
            context.held,
            context.basePrice,
            _baseDecimals,
            context.collateralPrice,
            context.decimals,
            quote.bonus
        );
        if (all < quote.repay) quote.repay = all;
    }

    /// @dev What `seize` units of the collateral are worth in base units at the bounds least favourable to a seller:
    ///      the collateral at its `low`, the base at its `high`, rounded down (0 where the base has no usable bound).
    function _saleValue(Context memory context, uint256 seize) internal view returns (uint256) {
        if (context.baseHigh == 0) return 0;
        uint256 usd = LiquidationMath.valueDown(seize, context.collateralLow, context.decimals);
        return usd.mulDivDown(10 ** _baseDecimals, context.baseHigh);
    }

    /// @dev Debt the vault removes for a repayment of `repay`: scaled debt burned rounded down, debt re-rounded up.
    function _credited(Context memory context, uint256 repay) internal pure returns (uint256) {
        if (repay >= context.liq.debt) return context.liq.debt;
        uint256 burnt = repay.mulDivDown(FixedPointMath.RAY, context.index);
        return context.liq.debt - (context.scaledDebt - burnt).mulDivUp(context.index, FixedPointMath.RAY);
    }

    /// @dev The account's health after repaying `repay` and losing collateral worth `seizedValue`, rounded down.
    function _healthAfter(Context memory context, uint256 repay, uint256 seizedValue) internal view returns (uint256) {
        uint256 limitLost = seizedValue.wadMulUp(context.threshold);
        uint256 limitAfter = context.liq.liquidationLimit > limitLost ? context.liq.liquidationLimit - limitLost : 0;
        uint256 repaidValue = LiquidationMath.valueDown(_credited(context, repay), context.basePrice, _baseDecimals);
        uint256 debtValueAfter = context.liq.debtValue > repaidValue ? context.liq.debtValue - repaidValue : 0;
        return debtValueAfter == 0 ? type(uint256).max : limitAfter.wadDivDown(debtValueAfter);
    }

    /// @dev Reads the account, its health, the collateral's parameters and both prices.
    function _context(address borrower, address collateral) internal view returns (Context memory context) {
        ICollateralVault.LiquidationView memory snapshot = vault.liquidationView(borrower, collateral);
        context.liq = snapshot.liq;
        (context.health, context.openSince) = _checkLiquidatable(borrower, snapshot.oracle, context.liq, true);
        // INV-28: the circuit breaker stops liquidations only at a FAILED price, then holds them for a grace period.
        if (address(snapshot.breaker) != address(0)) {
            uint256 breakerSince = snapshot.breaker.checkLiquidation(collateral);
            if (breakerSince > context.openSince) context.openSince = breakerSince;
        }
        if (!snapshot.listed) revert ICollateralVault.AssetNotListed(collateral);
        if (snapshot.held == 0) revert NoCollateral(borrower, collateral);
        // The base price is not FAILED here (see _checkLiquidatable); collateral of unknown price is never seized.
        if (snapshot.collateralPrice.status == IPriceOracle.Status.FAILED) revert PriceUnavailable(borrower);
        (context.held, context.index, context.scaledDebt, context.decimals) = (
            snapshot.held,
            snapshot.index,
            snapshot.scaledDebt,
            snapshot.decimals
        );
        (context.threshold, context.maxBonus) = (
            snapshot.config.liquidationThreshold,
            snapshot.config.liquidationBonus
        );
        // The bounds that favour the borrower (one and the same for a confirmed price): INV-13.
        (context.collateralPrice, context.basePrice) = (snapshot.collateralPrice.high, snapshot.basePrice.low);
        (context.collateralLow, context.baseHigh) = (snapshot.collateralPrice.low, snapshot.basePrice.high);
    }

    /// @dev Most debt this liquidation may repay, in base units: all of it below `fullCloseHealth` or where partial
    ///      liquidation cannot raise health (`mustClose`); else what restores `targetHealth`, or all of it when the
    ///      rest would be dust.
    function _closeLimit(
        Context memory context,
        Params memory policy,
        Quote memory quote
    ) internal view returns (uint256 allowed, bool mustClose) {
        uint256 debt = context.liq.debt;
        uint256 value = LiquidationMath.repayValueToTarget(
            context.liq.debtValue,
            context.liq.liquidationLimit,
            policy.targetHealth,
            quote.bonus,
            context.threshold
        );
        uint256 drag = (WAD + quote.bonus).wadMulUp(context.threshold);
        if (value >= context.liq.debtValue || quote.health <= drag + CLOSE_MARGIN) return (debt, true);
        if (quote.health < policy.fullCloseHealth) return (debt, false);
        uint256 units = value.mulDivUp(10 ** _baseDecimals, context.basePrice);
        if (units >= debt) return (debt, false);
        if (LiquidationMath.valueDown(debt - units, context.basePrice, _baseDecimals) < policy.dustValue)
            return (debt, false);
        return (units, false);
    }

    /// @dev INV-13 and INV-25 on a position read on the vault's liquidation side: reverts unless the account may be
    ///      liquidated now (with `gated`, also while the L2 sequencer stops liquidations at its health); returns its
    ///      health factor and since when the sequencer has let liquidations of it run (`IPriceOracle.sequencerState`;
    ///      0 for an account flagged below `emergencyHealth`, whose liquidation no outage stopped).
    function _checkLiquidatable(
        address account,
        IPriceOracle oracle,
        ICollateralVault.AccountLiquidity memory liq,
        bool gated
    ) internal view returns (uint256 health, uint256 readySince) {
        if (liq.debt == 0) revert NotLiquidatable(account, type(uint256).max);
        if (liq.priceStatus == IPriceOracle.Status.FAILED) _boundUnknownCollateral(account, oracle, liq);
        health = liq.liquidationLimit.wadDivDown(liq.debtValue);
        if (liq.debtValue <= liq.liquidationLimit) revert NotLiquidatable(account, health);
        if (!gated) return (health, 0);
        IPriceOracle.Reason sequencer;
        (sequencer, readySince) = oracle.sequencerState();
        uint256 emergency = _params.emergencyHealth;
        if (sequencer != IPriceOracle.Reason.NONE && health >= emergency)
            revert SequencerNotReady(sequencer, health, emergency);
        // An account flagged below `emergencyHealth` was never stopped by the sequencer, during an outage or its
        // grace: its ramp runs from its flag, and goes on when the sequencer is back. One flagged above it ramps only
        // from then (its flag is older than its emergency).
        if (_flags[account].health < emergency) readySince = 0;
    }

    /// @dev An account holding collateral whose price is FAILED: that collateral is valued at the oracle's ceiling,
    ///      the most it could ever be worth, so the account is liquidated only if no price of it could save it, and a
    ///      dust deposit of an asset with a failed feed shields nothing. An unknown base price, or an asset without a
    ///      ceiling, stops the liquidation (`PriceUnavailable`). Loops over the listed assets (≤ 16); FAILED path only.
    function _boundUnknownCollateral(
        address account,
        IPriceOracle oracle,
        ICollateralVault.AccountLiquidity memory liq
    ) internal view {
        if (oracle.getPrice(_base).status == IPriceOracle.Status.FAILED) revert PriceUnavailable(account);
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < assets.length; ++i) {
            uint256 held = vault.collateralOf(account, assets[i]);
            if (held == 0 || oracle.getPrice(assets[i]).status != IPriceOracle.Status.FAILED) continue;
            uint256 ceiling = oracle.priceCeiling(assets[i]);
            if (ceiling == 0) revert PriceUnavailable(account);
            uint8 decimals = vault.collateralDecimals(assets[i]);
            (, uint256 threshold) = vault.riskParams(assets[i]);
            uint256 value = LiquidationMath.valueUp(held, ceiling, decimals);
            liq.collateralValue += value;
            liq.liquidationLimit += value.wadMulUp(threshold);
        }
    }

    /// @dev Seconds the account has been flagged with its health no better than now, counted only from `openSince`
    ///      (when liquidations last became possible); 0 when unflagged or stale. The ramp never advances while
    ///      liquidations are stopped (issue 19, property 7): a stop that ends after the flag restarts it at its end
    ///      (what ran before the stop is not kept, which errs on the borrower's side).
    function _elapsedSinceFlag(address account, uint256 health, uint256 openSince) internal view returns (uint256) {
        Flag memory flagged = _flags[account];
        if (flagged.at == 0 || _improved(health, flagged.health)) return 0;
        uint256 from = flagged.at > openSince ? flagged.at : openSince;
        return block.timestamp > from ? block.timestamp - from : 0;
    }

    /// @dev Health better than at the flag by more than FLAG_HEALTH_TOLERANCE (rounding never restarts the ramp).
    function _improved(uint256 health, uint256 flagged) internal pure returns (bool) {
        return health > flagged + FLAG_HEALTH_TOLERANCE;
    }

    function _setFlag(address account, uint256 health) internal {
        _flags[account] = Flag(uint64(block.timestamp), uint192(health));
        emit AccountFlagged(account, health);
    }

    function _clearFlag(address account) internal {
        if (_flags[account].at == 0) return;
        delete _flags[account];
        emit AccountUnflagged(account);
    }

    function _setParams(Params memory policy) internal {
        Bounds.check("targetHealth", policy.targetHealth, WAD, 1.5e18);
        Bounds.check("fullCloseHealth", policy.fullCloseHealth, 0.5e18, WAD);
        Bounds.check("minBonusShare", policy.minBonusShare, 0, WAD);
        Bounds.check("healthRamp", policy.healthRamp, 0.01e18, WAD);
        Bounds.check("protocolFeeShare", policy.protocolFeeShare, 0, 0.5e18);
        Bounds.check("emergencyHealth", policy.emergencyHealth, 0, WAD);
        Bounds.check("timeRamp", policy.timeRamp, 1 minutes, 1 days);
        Bounds.check("dustValue", policy.dustValue, 0, 10_000e18);
        _params = policy;
        emit ParamsSet(policy);
    }
}
