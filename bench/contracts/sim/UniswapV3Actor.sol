// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IUniswapV3MintCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3MintCallback.sol";
import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";

/// @notice Provides liquidity to and swaps in a real Uniswap v3 pool, paying from its own balance in the pool's
///         callbacks (what a periphery router does). Test helper only: tests fund it, then act through it.
contract UniswapV3Actor is IUniswapV3MintCallback, IUniswapV3SwapCallback {
    using SafeERC20 for IERC20;

    /// @notice Thrown when a callback does not come from the pool being acted on.
    error NotThePool(address caller);

    IUniswapV3Pool private _pool;

    /// @notice Adds `liquidity` between two ticks of `pool`.
    function mint(IUniswapV3Pool pool, int24 tickLower, int24 tickUpper, uint128 liquidity) external {
        _pool = pool;
        pool.mint(address(this), tickLower, tickUpper, liquidity, "");
        _pool = IUniswapV3Pool(address(0));
    }

    /// @notice Swaps in `pool`: exact input when `amountSpecified` > 0, up to the price limit.
    function swap(
        IUniswapV3Pool pool,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96
    ) external returns (int256 amount0, int256 amount1) {
        _pool = pool;
        (amount0, amount1) = pool.swap(address(this), zeroForOne, amountSpecified, sqrtPriceLimitX96, "");
        _pool = IUniswapV3Pool(address(0));
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external override {
        IUniswapV3Pool pool = _callerIsPool();
        if (amount0Owed != 0) IERC20(pool.token0()).safeTransfer(msg.sender, amount0Owed);
        if (amount1Owed != 0) IERC20(pool.token1()).safeTransfer(msg.sender, amount1Owed);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external override {
        IUniswapV3Pool pool = _callerIsPool();
        if (amount0Delta > 0) IERC20(pool.token0()).safeTransfer(msg.sender, uint256(amount0Delta));
        if (amount1Delta > 0) IERC20(pool.token1()).safeTransfer(msg.sender, uint256(amount1Delta));
    }

    function _callerIsPool() private view returns (IUniswapV3Pool pool) {
        pool = _pool;
        if (msg.sender != address(pool)) revert NotThePool(msg.sender);
    }
}
