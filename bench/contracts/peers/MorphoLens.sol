// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMorpho, Id, MarketParams, Position} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {IOracle} from "@morpho-org/morpho-blue/src/interfaces/IOracle.sol";
import {MarketParamsLib} from "@morpho-org/morpho-blue/src/libraries/MarketParamsLib.sol";
import {MorphoBalancesLib} from "@morpho-org/morpho-blue/src/libraries/periphery/MorphoBalancesLib.sol";

/// @title MorphoLens
/// @notice Reads a Morpho Blue instance's markets and accounts in one call, for the crash simulation's Morpho runs:
///         each market's totals with interest accrued to the current block (without a transaction) and its oracle
///         price, and every account's borrow shares and collateral in every market. The Morpho twin of AccountLens.
/// @dev Peer tool, not part of Bulwark. Invariants: view only, no state; `totals[i]` equals what `morpho.market(id)`
///      holds right after `accrueInterest(markets[i])` in the same block (MorphoBalancesLib.expectedMarketBalances);
///      `positions[i][j]` equals `morpho.position(id(markets[i]), accounts[j])`.
contract MorphoLens {
    using MarketParamsLib for MarketParams;

    /// @notice One market's totals, interest accrued to now, and its oracle's price.
    struct MarketTotals {
        uint256 totalSupplyAssets;
        uint256 totalSupplyShares;
        uint256 totalBorrowAssets;
        uint256 totalBorrowShares;
        /// @dev The oracle's price (1e36-scaled, as Morpho reads it); 0 when the oracle reverts.
        uint256 price;
    }

    /// @notice One account's position in one market (what liquidation and health need).
    struct AccountPosition {
        uint256 borrowShares;
        uint256 collateral;
    }

    /// @notice Thrown when the Morpho address is zero.
    error ZeroMorpho();

    /// @notice The Morpho Blue instance read.
    IMorpho public immutable morpho;

    /// @param morpho_ The Morpho Blue instance.
    constructor(IMorpho morpho_) {
        if (address(morpho_) == address(0)) revert ZeroMorpho();
        morpho = morpho_;
    }

    /// @notice Every market's accrued totals and price, and every account's position in every market.
    /// @param markets The markets' parameters (the id is derived from them).
    /// @param accounts The accounts.
    /// @return totals One per market, in order.
    /// @return positions positions[i][j]: account j in market i.
    function read(
        MarketParams[] calldata markets,
        address[] calldata accounts
    ) external view returns (MarketTotals[] memory totals, AccountPosition[][] memory positions) {
        totals = new MarketTotals[](markets.length);
        positions = new AccountPosition[][](markets.length);
        for (uint256 i; i < markets.length; ++i) {
            MarketParams memory params = markets[i];
            MarketTotals memory t = totals[i];
            (t.totalSupplyAssets, t.totalSupplyShares, t.totalBorrowAssets, t.totalBorrowShares) = MorphoBalancesLib
                .expectedMarketBalances(morpho, params);
            // A failing oracle is reported as price 0, not a revert: the caller still gets the balances.
            try IOracle(params.oracle).price() returns (uint256 p) {
                t.price = p;
            } catch {
                t.price = 0;
            }
            Id id = params.id();
            AccountPosition[] memory row = new AccountPosition[](accounts.length);
            for (uint256 j; j < accounts.length; ++j) {
                Position memory p = morpho.position(id, accounts[j]);
                row[j] = AccountPosition(p.borrowShares, p.collateral);
            }
            positions[i] = row;
        }
    }
}
