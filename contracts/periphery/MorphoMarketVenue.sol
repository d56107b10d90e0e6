// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IMorpho, Id, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {MarketParamsLib} from "@morpho-org/morpho-blue/src/libraries/MarketParamsLib.sol";
import {MorphoBalancesLib} from "@morpho-org/morpho-blue/src/libraries/periphery/MorphoBalancesLib.sol";

import {ILendingVenue} from "../interfaces/ILendingVenue.sol";
import {IMorphoMarketVenue} from "../interfaces/IMorphoMarketVenue.sol";
import {LendingVenue} from "./LendingVenue.sol";

/// @title MorphoMarketVenue
/// @notice An ERC-4626 vault over one Morpho Blue market's loan token: every deposit is supplied to the market, every
///         withdrawal taken out of it. A venue for the backstop's allocator (issue 26): what it quotes is the market's
///         own account of the supply, interest accrued to now, and what it lets out is what the market's borrowers
///         leave in it.
/// @dev Invariants:
///      - Assets are only in Morpho, as this vault's supply position in the one market: `totalAssets` is that
///        position's expected value (Morpho's shares, interest accrued, rounded down). Tokens sent to this contract
///        count for nothing; a supply made on its behalf in Morpho counts as a donation to every share.
///      - Every share is backed: a withdrawal of `assets` never asks Morpho for more than the shares' claim (rounded
///        down), so Morpho's rounding up of the supply shares it burns never fails on this position.
///      - What it lets out is at most the market's liquidity now (its supply less its borrows; `LendingVenue`, with
///        the virtual shares that defeat the inflation attack, donations in Morpho included).
///      - No owner, no parameter: the market is fixed at construction.
contract MorphoMarketVenue is IMorphoMarketVenue, LendingVenue {
    using SafeERC20 for IERC20;
    using MarketParamsLib for MarketParams;
    using MorphoBalancesLib for IMorpho;

    IMorpho private immutable _morpho;
    Id private immutable _id;
    address private immutable _collateralToken;
    address private immutable _oracle;
    address private immutable _irm;
    uint256 private immutable _lltv;

    /// @param morpho_ The Morpho Blue singleton.
    /// @param params_ The market to supply (created in Morpho); its loan token is this vault's asset.
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(
        IMorpho morpho_,
        MarketParams memory params_,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) ERC4626(IERC20Metadata(params_.loanToken)) {
        if (address(morpho_) == address(0)) revert ZeroAddress();
        Id id = params_.id();
        if (morpho_.market(id).lastUpdate == 0) revert MarketNotCreated(id);
        (_morpho, _id) = (morpho_, id);
        (_collateralToken, _oracle, _irm, _lltv) = (params_.collateralToken, params_.oracle, params_.irm, params_.lltv);
    }

    // ================================================================= views

    /// @notice This vault's supply position in the market, interest accrued to now (rounded down).
    function totalAssets() public view override returns (uint256) {
        return _morpho.expectedSupplyAssets(marketParams(), address(this));
    }

    /// @inheritdoc IMorphoMarketVenue
    function morpho() external view returns (IMorpho) {
        return _morpho;
    }

    /// @inheritdoc IMorphoMarketVenue
    function marketParams() public view returns (MarketParams memory) {
        return MarketParams(asset(), _collateralToken, _oracle, _irm, _lltv);
    }

    /// @inheritdoc IMorphoMarketVenue
    function marketId() external view returns (Id) {
        return _id;
    }

    /// @inheritdoc ILendingVenue
    function liquidity() public view override(ILendingVenue, LendingVenue) returns (uint256) {
        (uint256 supplied, , uint256 borrowed, ) = _morpho.expectedMarketBalances(marketParams());
        return supplied > borrowed ? supplied - borrowed : 0;
    }

    // ================================================================= internal

    /// @dev Supplies `assets` to the market for this vault (Morpho calls no one back: the supply carries no data).
    function _supply(uint256 assets) internal override {
        IERC20(asset()).forceApprove(address(_morpho), assets);
        _morpho.supply(marketParams(), assets, 0, address(this), "");
    }

    /// @dev Has the market send `assets` to `receiver`: never more than the shares' claim, so Morpho's rounding up of
    ///      the supply shares it burns always fits this position.
    function _takeOut(uint256 assets, address receiver) internal override {
        _morpho.withdraw(marketParams(), assets, 0, address(this), receiver);
    }
}
