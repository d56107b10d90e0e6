// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";
import {IMorpho, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";
import {IMorphoLiquidateCallback} from "@morpho-org/morpho-blue/src/interfaces/IMorphoCallbacks.sol";

/// @title MorphoFlashLiquidator
/// @notice A keeper's capital-free liquidator for Morpho Blue, the peer Bulwark is measured against: Morpho sends the
///         seized collateral first and calls back; this contract sells all of it for the loan token in a Uniswap v3
///         pool inside the callback, approves Morpho for the repaid amount, and keeps the rest for its owner. A
///         liquidation whose sale would not cover the repayment plus `minProfit` reverts. Used by the crash
///         simulation's Morpho runs, so both protocols are liquidated the same way through the same pools.
/// @dev Invariants: only the owner starts liquidations; the Morpho callback is accepted only from Morpho and only
///      while this contract's own `liquidate` runs; the swap callback only from the pool being swapped in.
contract MorphoFlashLiquidator is IMorphoLiquidateCallback, IUniswapV3SwapCallback, Ownable2Step {
    using SafeERC20 for IERC20;

    /// @notice Thrown when a callback does not come from the expected caller.
    error UnexpectedCaller(address caller);
    /// @notice Thrown when the pool does not pair the market's collateral with its loan token.
    error PoolMismatch(address pool);
    /// @notice Thrown when the sale returns less than the repayment plus the minimum profit.
    error Unprofitable(uint256 received, uint256 required);
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();

    /// @notice Emitted after each liquidation: collateral sold, loan token received, loan token repaid.
    event CollateralSold(address indexed collateral, uint256 sold, uint256 received, uint256 repaid);
    /// @notice Emitted when the owner sweeps tokens out.
    event Swept(address indexed token, address indexed to, uint256 amount);

    uint160 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 private constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    /// @notice The Morpho Blue instance liquidated on.
    IMorpho public immutable morpho;

    IUniswapV3Pool private transient _swapping;
    bool private transient _liquidating;

    /// @param morpho_ The Morpho Blue instance.
    /// @param owner_ Who may liquidate and sweep.
    constructor(IMorpho morpho_, address owner_) Ownable(owner_) {
        if (address(morpho_) == address(0)) revert ZeroAddress();
        morpho = morpho_;
    }

    /// @notice Liquidates `borrower` on the market `params`, seizing `seizedAssets` of collateral or repaying
    ///         `repaidShares` of debt (exactly one non-zero, as Morpho requires), selling the collateral in `pool`.
    /// @param params The market.
    /// @param borrower The position liquidated.
    /// @param seizedAssets Collateral to seize (0 when `repaidShares` is given).
    /// @param repaidShares Borrow shares to repay (0 when `seizedAssets` is given).
    /// @param pool A Uniswap v3 pool of the market's collateral and loan token.
    /// @param minProfit Loan-token units the sale must leave on top of the repayment.
    /// @return seized Collateral seized.
    /// @return repaid Loan token repaid.
    function liquidate(
        MarketParams calldata params,
        address borrower,
        uint256 seizedAssets,
        uint256 repaidShares,
        IUniswapV3Pool pool,
        uint256 minProfit
    ) external onlyOwner returns (uint256 seized, uint256 repaid) {
        bytes memory data = _callbackData(params, pool, minProfit);
        _liquidating = true;
        (seized, repaid) = morpho.liquidate(params, borrower, seizedAssets, repaidShares, data);
        _liquidating = false;
    }

    /// @inheritdoc IMorphoLiquidateCallback
    function onMorphoLiquidate(uint256 repaidAssets, bytes calldata data) external {
        if (msg.sender != address(morpho) || !_liquidating) revert UnexpectedCaller(msg.sender);
        (IUniswapV3Pool pool, address collateral, address loan, uint256 minProfit) = abi.decode(
            data,
            (IUniswapV3Pool, address, address, uint256)
        );
        uint256 sold = IERC20(collateral).balanceOf(address(this));
        bool zeroForOne = pool.token0() == collateral;
        _swapping = pool;
        (int256 amount0, int256 amount1) = pool.swap(
            address(this),
            zeroForOne,
            int256(sold),
            zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE,
            ""
        );
        _swapping = IUniswapV3Pool(address(0));
        uint256 received = uint256(-(zeroForOne ? amount1 : amount0));
        if (received < repaidAssets + minProfit) revert Unprofitable(received, repaidAssets + minProfit);
        IERC20(loan).forceApprove(address(morpho), repaidAssets);
        emit CollateralSold(collateral, sold, received, repaidAssets);
    }

    /// @dev Checks that `pool` pairs the market's two tokens and encodes what the Morpho callback needs.
    function _callbackData(
        MarketParams calldata params,
        IUniswapV3Pool pool,
        uint256 minProfit
    ) private view returns (bytes memory) {
        (address t0, address t1) = (pool.token0(), pool.token1());
        (address collateral, address loan) = (params.collateralToken, params.loanToken);
        if (!((t0 == collateral && t1 == loan) || (t1 == collateral && t0 == loan))) revert PoolMismatch(address(pool));
        return abi.encode(pool, collateral, loan, minProfit);
    }

    /// @inheritdoc IUniswapV3SwapCallback
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        IUniswapV3Pool pool = _swapping;
        if (msg.sender != address(pool) || address(pool) == address(0)) revert UnexpectedCaller(msg.sender);
        if (amount0Delta > 0) IERC20(pool.token0()).safeTransfer(msg.sender, uint256(amount0Delta));
        if (amount1Delta > 0) IERC20(pool.token1()).safeTransfer(msg.sender, uint256(amount1Delta));
    }

    /// @notice Sends `amount` of `token` held here to `to` (the proceeds).
    /// @param token The token.
    /// @param to The recipient.
    /// @param amount The amount.
    function sweep(IERC20 token, address to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        token.safeTransfer(to, amount);
        emit Swept(address(token), to, amount);
    }
}
