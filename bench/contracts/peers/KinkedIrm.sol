// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IIrm} from "@morpho-org/morpho-blue/src/interfaces/IIrm.sol";
import {MarketParams, Market} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";

import {IInterestRateModel} from "../../../contracts/interfaces/IInterestRateModel.sol";

/// @title KinkedIrm
/// @notice Morpho Blue's `IIrm` over a Bulwark interest rate model (KinkedRateModel), so that a Morpho market in the
///         side-by-side gas bench (`npm run bench`, scripts/lib/morpho.ts) charges the same curve as the Bulwark vault.
/// @dev Peer adapter, not part of Bulwark. The rate is the model's `borrowRatePerSecond(cash, debt)` with
///      debt = totalBorrowAssets and cash = totalSupplyAssets − totalBorrowAssets, i.e. at utilisation
///      totalBorrowAssets / totalSupplyAssets, capped at CollateralVault's MAX_BORROW_RATE_PER_SECOND: exactly what
///      the vault uses for the same cash and debt. Remaining differences are the protocols', not this adapter's:
///      Morpho compounds with its own Taylor expansion (`wTaylorCompounded`: x + x²/2 + x³/6 in WAD, rounded down),
///      Bulwark with the same three terms in RAY, rounded up (FixedPointMath.compoundFactorUp); Morpho's supply
///      assets include its fee's share of interest where Bulwark's cash + debt include reserves.
///      Invariants: stateless (borrowRate == borrowRateView); the rate is non-decreasing in utilisation (the model's
///      invariant) and at most MAX_BORROW_RATE_PER_SECOND.
contract KinkedIrm is IIrm {
    /// @notice The vault's cap on any model's rate (1000% APR per second): CollateralVault.MAX_BORROW_RATE_PER_SECOND.
    uint256 public constant MAX_BORROW_RATE_PER_SECOND = uint256(10e18) / 365 days;

    /// @notice Thrown when the model address is zero.
    error ZeroModel();

    /// @notice The Bulwark rate model this IRM reads.
    IInterestRateModel public immutable model;

    /// @param model_ The rate model (a KinkedRateModel with the vault's parameters in the bench).
    constructor(IInterestRateModel model_) {
        if (address(model_) == address(0)) revert ZeroModel();
        model = model_;
    }

    /// @inheritdoc IIrm
    function borrowRate(MarketParams calldata, Market calldata market) external view returns (uint256) {
        return _rate(market);
    }

    /// @inheritdoc IIrm
    function borrowRateView(MarketParams calldata, Market calldata market) external view returns (uint256) {
        return _rate(market);
    }

    /// @dev The model's rate for the market's liquidity, capped as the vault caps it.
    function _rate(Market calldata market) private view returns (uint256) {
        uint256 debt = market.totalBorrowAssets;
        uint256 supplied = market.totalSupplyAssets;
        uint256 cash = supplied > debt ? supplied - debt : 0;
        uint256 rate = model.borrowRatePerSecond(cash, debt);
        return rate > MAX_BORROW_RATE_PER_SECOND ? MAX_BORROW_RATE_PER_SECOND : rate;
    }
}
