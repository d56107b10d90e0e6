// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";

import {FLASH_CALLBACK_SUCCESS, IFlashLiquidator} from "../interfaces/IFlashLiquidator.sol";
import {ILiquidationEngine} from "../interfaces/ILiquidationEngine.sol";
import {IUpkeepLiquidator} from "../interfaces/IUpkeepLiquidator.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title UniswapV3FlashLiquidator
/// @notice A keeper's liquidator that needs no capital: it receives the seized collateral, sells all of it for the
///         base asset in a Uniswap v3 pool inside the flash callback, lets the vault pull what is owed, and keeps the
///         rest for its owner. A liquidation that would not cover the debt plus `minProfit` reverts, and so does a
///         sale below the seized collateral's oracle value less SALE_TOLERANCE (issue 19, property 11): at a
///         confirmed price a sandwich around the sale can take at most that tolerance, whatever `minProfit` the caller
///         (the upkeep: 0) gives; under a doubted price, the tolerance plus the doubt's width.
/// @dev Only its owner starts liquidations, and the callback accepts only liquidations this contract started
///      (`initiator == this`) and only from the vault, so nobody else can make it pay. The swap callback accepts only
///      the pool it is swapping in (held in transient storage for the one call).
contract UniswapV3FlashLiquidator is IFlashLiquidator, IUpkeepLiquidator, IUniswapV3SwapCallback, Ownable2Step {
    using SafeERC20 for IERC20;

    /// @notice How far below the oracle value of what it sells (collateral at its low bound, the base at its high
    ///         bound) a sale may land: 4%. Measured on every shipped crash path (`npm run bench`, solvency part, whose
    ///         replay keeper liquidates through this contract): at 3% some crash sales were refused, and the accounts
    ///         they left went deeper before their liquidation (more closed in full at the maximum bonus); at 4% no
    ///         figure of any path moves. With the shipped bonuses (5% WETH, 6.5% WBTC at most, a fee share of them owed
    ///         on top of the debt) the floor binds only on sales that would also hand a sandwich most of the bonus.
    ///         It is measured at the bounds least favourable to this seller, so under a doubted price (two bounds) a
    ///         sandwich can take the tolerance plus the doubt's width, bounded as before by the debt owed.
    uint256 public constant SALE_TOLERANCE = 0.04e18;

    uint160 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 private constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    /// @notice The engine liquidations go through.
    ILiquidationEngine public immutable engine;
    /// @notice The vault that calls back and pulls the base asset.
    address public immutable vault;
    /// @notice The base asset debts are paid in.
    IERC20 public immutable base;
    /// @notice Pool each collateral is sold in.
    mapping(address collateral => IUniswapV3Pool) public poolFor;

    IUniswapV3Pool private transient _swapping;

    /// @param engine_ The liquidation engine.
    /// @param vault_ The vault behind the engine.
    /// @param base_ The vault's base asset.
    /// @param owner_ Who may start liquidations and sweep proceeds.
    constructor(ILiquidationEngine engine_, address vault_, IERC20 base_, address owner_) Ownable(owner_) {
        if (address(engine_) == address(0) || vault_ == address(0) || address(base_) == address(0)) {
            revert ZeroAddress();
        }
        engine = engine_;
        vault = vault_;
        base = base_;
    }

    /// @notice Sets the pool `collateral` is sold in; it must pair `collateral` with the base asset.
    function setPool(address collateral, IUniswapV3Pool pool) external onlyOwner {
        (address t0, address t1) = (pool.token0(), pool.token1());
        bool pairs = (t0 == collateral && t1 == address(base)) || (t1 == collateral && t0 == address(base));
        if (!pairs) revert NoPool(collateral);
        poolFor[collateral] = pool;
        emit PoolSet(collateral, address(pool));
    }

    /// @notice Flash-liquidates `borrower`, selling the seized `collateral`; reverts unless the sale covers the debt
    ///         plus `minProfit` base units and returns at least its oracle value less SALE_TOLERANCE.
    /// @return quote What the engine did.
    function liquidate(
        address borrower,
        address collateral,
        uint256 maxRepay,
        uint256 minProfit
    ) external onlyOwner returns (ILiquidationEngine.Quote memory quote) {
        return engine.flashLiquidate(borrower, collateral, maxRepay, address(this), abi.encode(minProfit));
    }

    /// @notice Flash-liquidates many accounts in one transaction; failures are skipped by the engine.
    function liquidateBatch(
        ILiquidationEngine.Order[] calldata orders,
        uint256 minProfit
    ) external onlyOwner returns (ILiquidationEngine.Quote[] memory quotes, bool[] memory succeeded) {
        return engine.liquidateBatch(orders, address(this), abi.encode(minProfit));
    }

    /// @notice Sends `amount` of `token` held here to `to` (the proceeds).
    function sweep(IERC20 token, address to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        emit Swept(address(token), to, amount);
        token.safeTransfer(to, amount);
    }

    /// @inheritdoc IFlashLiquidator
    function onFlashLiquidation(
        address initiator,
        address,
        address collateral,
        uint256 seized,
        uint256 owed,
        bytes calldata data
    ) external returns (bytes32) {
        if (msg.sender != vault) revert UnexpectedCaller(msg.sender);
        if (initiator != address(this)) revert UnexpectedInitiator(initiator);
        uint256 received = _sell(collateral, seized);
        _checkSale(received, owed, data);
        emit CollateralSold(collateral, seized, received, owed);
        base.forceApprove(vault, owed);
        return FLASH_CALLBACK_SUCCESS;
    }

    /// @dev Sells all `seized` of `collateral` in its pool, with no price limit: the checks after it bound the price.
    function _sell(address collateral, uint256 seized) private returns (uint256 received) {
        IUniswapV3Pool pool = poolFor[collateral];
        if (address(pool) == address(0)) revert NoPool(collateral);
        bool zeroForOne = pool.token0() == collateral;
        _swapping = pool;
        (int256 amount0, int256 amount1) = pool.swap(
            address(this),
            zeroForOne,
            int256(seized),
            zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE,
            ""
        );
        _swapping = IUniswapV3Pool(address(0));
        received = uint256(-(zeroForOne ? amount1 : amount0));
    }

    /// @dev Reverts unless the sale covers what is owed plus the caller's minimum profit, and the oracle floor: the
    ///      value the engine put on this very seizure (`flashSeizedValue`, the collateral at its low bound and the base
    ///      at its high bound) less SALE_TOLERANCE. The engine read those prices anyway; reading them here again cost
    ///      about 32,000 gas per liquidation.
    function _checkSale(uint256 received, uint256 owed, bytes calldata data) private view {
        uint256 minProfit = abi.decode(data, (uint256));
        if (received < owed + minProfit) revert Unprofitable(received, owed + minProfit);
        uint256 floor = FixedPointMath.mulDivDown(
            engine.flashSeizedValue(),
            FixedPointMath.WAD - SALE_TOLERANCE,
            FixedPointMath.WAD
        );
        if (received < floor) revert SaleBelowOracle(received, floor);
    }

    /// @inheritdoc IUniswapV3SwapCallback
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        IUniswapV3Pool pool = _swapping;
        if (msg.sender != address(pool) || address(pool) == address(0)) revert UnexpectedCaller(msg.sender);
        if (amount0Delta > 0) IERC20(pool.token0()).safeTransfer(msg.sender, uint256(amount0Delta));
        if (amount1Delta > 0) IERC20(pool.token1()).safeTransfer(msg.sender, uint256(amount1Delta));
    }
}
