// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {ILiquidationEngine} from "./ILiquidationEngine.sol";

/// @title IUpkeepLiquidator
/// @notice What SecurityOps needs of the flash liquidator it is given (UniswapV3FlashLiquidator): liquidations that need
///         no capital, the pool each collateral is sold in, and its proceeds. SecurityOps owns it (Ownable2Step).
interface IUpkeepLiquidator {
    /// @notice The pool `collateral` is sold in (zero: none, it cannot be liquidated here).
    function poolFor(address collateral) external view returns (IUniswapV3Pool);

    /// @notice Sets the pool `collateral` is sold in; it must pair `collateral` with the base asset. Owner only.
    function setPool(address collateral, IUniswapV3Pool pool) external;

    /// @notice Flash-liquidates many accounts in one transaction; failures are skipped by the engine. Owner only.
    function liquidateBatch(
        ILiquidationEngine.Order[] calldata orders,
        uint256 minProfit
    ) external returns (ILiquidationEngine.Quote[] memory quotes, bool[] memory succeeded);

    /// @notice Sends `amount` of `token` held here to `to` (the proceeds). Owner only.
    function sweep(IERC20 token, address to, uint256 amount) external;
}
