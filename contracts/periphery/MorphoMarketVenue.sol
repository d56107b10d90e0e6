// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IMorpho, Id, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {MarketParamsLib} from "@morpho-org/morpho-blue/src/libraries/MarketParamsLib.sol";
import {MorphoBalancesLib} from "@morpho-org/morpho-blue/src/libraries/periphery/MorphoBalancesLib.sol";

import {IMorphoMarketVenue} from "../interfaces/IMorphoMarketVenue.sol";

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
///      - `maxWithdraw`/`maxRedeem` never exceed what the market lets out now (its supply less its borrows); no path
///        locks a share beyond the market's own liquidity.
///      - Virtual shares (10**6 per unit) defeat the first-depositor inflation attack, donations in Morpho included.
///      - No owner, no parameter: the market is fixed at construction.
contract MorphoMarketVenue is IMorphoMarketVenue, ERC4626 {
    using SafeERC20 for IERC20;
    using MarketParamsLib for MarketParams;
    using MorphoBalancesLib for IMorpho;
    using Math for uint256;

    uint8 private constant DECIMALS_OFFSET = 6;

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

    /// @notice What `owner_` may withdraw now: its shares' claim (rounded down), at most the market's liquidity.
    function maxWithdraw(address owner_) public view override returns (uint256) {
        uint256 claim = _convertToAssets(balanceOf(owner_), Math.Rounding.Floor);
        uint256 free = liquidity();
        return claim < free ? claim : free;
    }

    /// @notice The shares `owner_` may redeem now: its balance, at most what the market's liquidity pays (rounded down).
    function maxRedeem(address owner_) public view override returns (uint256) {
        uint256 held = balanceOf(owner_);
        uint256 byLiquidity = _convertToShares(liquidity(), Math.Rounding.Floor);
        return held < byLiquidity ? held : byLiquidity;
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

    /// @inheritdoc IMorphoMarketVenue
    function liquidity() public view returns (uint256) {
        (uint256 supplied, , uint256 borrowed, ) = _morpho.expectedMarketBalances(marketParams());
        return supplied > borrowed ? supplied - borrowed : 0;
    }

    // ================================================================= internal

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev Pulls `assets` from `caller` and supplies them to the market for this vault, then mints (Morpho calls no
    ///      one back: the supply carries no data).
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        IERC20 token = IERC20(asset());
        token.safeTransferFrom(caller, address(this), assets);
        token.forceApprove(address(_morpho), assets);
        _morpho.supply(marketParams(), assets, 0, address(this), "");
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    /// @dev Burns first, then has the market send `assets` straight to `receiver`.
    function _withdraw(
        address caller,
        address receiver,
        address owner_,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        if (caller != owner_) _spendAllowance(owner_, caller, shares);
        _burn(owner_, shares);
        _morpho.withdraw(marketParams(), assets, 0, address(this), receiver);
        emit Withdraw(caller, receiver, owner_, assets, shares);
    }
}
