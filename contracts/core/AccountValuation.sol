// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {CollateralBook} from "./CollateralBook.sol";
import {LendingBook} from "./LendingBook.sol";
import {VaultState} from "./VaultState.sol";

/// @title AccountValuation
/// @notice How the vault values an account, and the rule every new borrow and collateral withdrawal must pass. Part of
///         `CollateralVault`, on its state (`VaultState`). Two valuations, one per side of a doubted price (a
///         DEGRADED read's `low` < `high`; for an OK read the two are one):
///         - the borrow side: each collateral at the oracle's `low` (nothing when FAILED), debt at the base asset's
///           `high`: what a new borrow or a withdrawal must pass;
///         - the liquidation side: each collateral at its `high`, debt at the base's `low`: the bounds that favour
///           the borrower. An account liquidatable there is liquidatable at every price the doubt allows, so a
///           doubted price (an unconfirmed jump, sources that disagree) never liquidates an account that either
///           bound calls healthy, and the engine prices what it loses at these bounds.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-11/12 `_requireWithinBorrowLimit` passes only with the base price OK and the debt value (rounded up)
///        within the borrow limit (rounded down), which counts only collateral with an OK price that the circuit
///        breaker lets back new borrows, and none of the units the account took past its asset's supply cap while
///        the asset is still above it (issue 19, property 6: a cap bounds what lends, never a top-up).
///      - INV-24 no price of zero, or with its high below its low, reaches a valuation: such a read reverts
///        `ZeroPrice`; a FAILED read carries no price and values its collateral at zero.
///      - INV-38 each collateral counts at its effective LTV and threshold (`CollateralBook.effective`).
///      - INV-13 the liquidation side values collateral at no less, and debt at no more, than the borrow side.
///      - Each price is read once per valuation; the loop runs over the account's own holdings (≤ MAX_COLLATERALS).
abstract contract AccountValuation is VaultState {
    using FixedPointMath for uint256;
    using LendingBook for LendingBook.Book;

    /// @dev One collateral's price, read once per transaction and shared between the checks that need it: a caller
    ///      that has read it sets `read`; a valuation that reads it (when the account holds `asset`) records it.
    struct SharedPrice {
        address asset;
        bool read;
        IPriceOracle.Price price;
    }

    /// @dev Values the account conservatively: collateral at the oracle's `low` (0 when FAILED), rounded down; debt at
    ///      the base asset's `high`, rounded up (type(uint256).max when FAILED). Only OK prices lend: a DEGRADED or
    ///      FAILED collateral adds nothing to the borrow limit. Loops over the account's own collateral mask: at most
    ///      MAX_COLLATERALS iterations.
    ///      `liquidation`: the liquidation side (collateral at `high`, debt at the base's `low`) instead.
    function _liquidity(
        address account,
        uint256 debt,
        bool liquidation
    ) internal view returns (ICollateralVault.AccountLiquidity memory liq) {
        IPriceOracle.Price memory base;
        if (debt != 0) base = _price(_base);
        SharedPrice memory none;
        liq = _liquidity(account, debt, base, ICircuitBreaker(address(0)), none, liquidation);
    }

    /// @dev As above, with the base asset's price already read (ignored when `debt` is 0). With a `guard`, collateral
    ///      the circuit breaker does not let back new borrows (stopped, or fallen beyond its bound) adds nothing to
    ///      the borrow limit. `shared.asset`'s price is taken from `shared` when already read, else recorded there.
    function _liquidity(
        address account,
        uint256 debt,
        IPriceOracle.Price memory base,
        ICircuitBreaker guard,
        SharedPrice memory shared,
        bool liquidation
    ) internal view returns (ICollateralVault.AccountLiquidity memory liq) {
        liq.debt = debt;
        (uint256 mask, uint256 pastCap) = _lending.holdingsOf(account);
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                address collateral = CollateralBook.assetAt(_collateral, i);
                IPriceOracle.Price memory price;
                if (collateral != shared.asset) price = _price(collateral);
                else if (shared.read) price = shared.price;
                else {
                    price = _price(collateral);
                    (shared.read, shared.price) = (true, price);
                }
                (uint256 value, uint256 ltv, uint256 threshold) = _valued(account, collateral, price, liquidation);
                liq.collateralValue += value;
                liq.liquidationLimit += value.wadMulDown(threshold);
                if (
                    price.status == IPriceOracle.Status.OK &&
                    (address(guard) == address(0) || guard.borrowAllowed(collateral, price.low))
                ) {
                    if ((pastCap >> i) & 1 != 0) value -= _pastCapValue(account, collateral, value);
                    liq.borrowLimit += value.wadMulDown(ltv);
                }
                if (price.status > liq.priceStatus) liq.priceStatus = price.status;
            }
            mask >>= 1;
        }
        if (debt != 0) {
            liq.debtValue =
                base.status == IPriceOracle.Status.FAILED
                    ? type(uint256).max
                    : debt.mulDivUp(liquidation ? base.low : base.high, 10 ** _baseDecimals);
            if (base.status > liq.priceStatus) liq.priceStatus = base.status;
        }
    }

    /// @dev `account`'s holding of `collateral` at `price`: its value at the oracle's low, or its high on the
    ///      liquidation side (rounded down; 0 when the price is FAILED, whatever the oracle put in the read), and the
    ///      effective LTV and threshold. Only an OK price lends, and an OK price's bounds are one.
    function _valued(
        address account,
        address collateral,
        IPriceOracle.Price memory price,
        bool liquidation
    ) internal view returns (uint256 value, uint256 ltv, uint256 threshold) {
        CollateralBook.Asset storage record = _collateral.assets[collateral];
        (ltv, threshold) = CollateralBook.effective(record);
        if (price.status != IPriceOracle.Status.FAILED) {
            uint256 unitPrice = liquidation ? price.high : price.low;
            value = uint256(_collateral.balances[account][collateral].amount).mulDivDown(
                unitPrice,
                10 ** record.decimals
            );
        }
    }

    /// @dev The part of `value` (the account's whole holding of `collateral`) that lends nothing now: the units it took
    ///      past the asset's supply cap while the asset is above it (`CollateralBook.pastCapNow`), rounded up.
    function _pastCapValue(address account, address collateral, uint256 value) internal view returns (uint256) {
        uint256 held = _collateral.balances[account][collateral].amount;
        uint256 past = CollateralBook.pastCapNow(
            _collateral,
            account,
            collateral,
            _collateral.assets[collateral],
            held
        );
        return value.mulDivUp(past, held);
    }

    /// @dev INV-11/12: reverts unless the base price is OK and the account's debt value is within its borrow limit.
    ///      `guard`: the circuit breaker (it may withhold a collateral's borrow power); `shared`: a collateral price
    ///      the caller has already read (or none).
    function _requireWithinBorrowLimit(
        address account,
        ICircuitBreaker guard,
        SharedPrice memory shared
    ) internal view {
        IPriceOracle.Price memory base = _price(_base);
        if (base.status != IPriceOracle.Status.OK) revert ICollateralVault.PriceNotOk(_base, base.status, base.reason);
        uint256 debt = _lending.debtOf(account, _lending.borrowIndex);
        ICollateralVault.AccountLiquidity memory liq = _liquidity(account, debt, base, guard, shared, false);
        if (liq.debtValue > liq.borrowLimit)
            revert ICollateralVault.BorrowLimitExceeded(account, liq.debtValue, liq.borrowLimit);
    }

    /// @dev A new borrow or a collateral withdrawal never relies on a doubted price.
    function _requireOkPrice(address token) internal view returns (IPriceOracle.Price memory price) {
        price = _price(token);
        if (price.status != IPriceOracle.Status.OK)
            revert ICollateralVault.PriceNotOk(token, price.status, price.reason);
    }

    /// @dev INV-24: a zero price never reaches a solvency computation; FAILED reads carry no price by definition.
    function _price(address token) internal view returns (IPriceOracle.Price memory price) {
        price = _oracle.getPrice(token);
        if (price.status != IPriceOracle.Status.FAILED && (price.low == 0 || price.high < price.low)) {
            revert ICollateralVault.ZeroPrice(token);
        }
    }
}
