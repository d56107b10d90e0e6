// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {ILiquidationEngine} from "./ILiquidationEngine.sol";

/// @title IUpkeepLiquidator
/// @notice What SecurityOps needs of the flash liquidator it is given (UniswapV3FlashLiquidator): liquidations that need
///         no capital, the pool each collateral is sold in, and its proceeds. SecurityOps owns it (Ownable2Step).
interface IUpkeepLiquidator {
    /// @notice Thrown when a callback does not come from the expected caller.
    error UnexpectedCaller(address caller);
    /// @notice Thrown when the flash callback serves a liquidation this contract did not start.
    error UnexpectedInitiator(address initiator);
    /// @notice Thrown when no pool is set for a collateral, or the pool does not pair it with the base asset.
    error NoPool(address collateral);
    /// @notice Thrown when the swap returns less than the debt owed plus the minimum profit.
    error Unprofitable(uint256 received, uint256 required);
    /// @notice Thrown when the sale returns less than `floor`: the seized collateral's oracle value less the sale
    ///         tolerance (a pool moved against the sale, by a sandwich or a thin book).
    error SaleBelowOracle(uint256 received, uint256 floor);
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();

    /// @notice Emitted when the owner sets the pool a collateral is sold in.
    event PoolSet(address indexed collateral, address indexed pool);
    /// @notice Emitted after each liquidation: collateral sold, base received, base owed to the vault.
    event CollateralSold(address indexed collateral, uint256 sold, uint256 received, uint256 owed);
    /// @notice Emitted when the owner sweeps tokens out.
    event Swept(address indexed token, address indexed to, uint256 amount);

    /// @notice The pool `collateral` is sold in (zero: none, it cannot be liquidated here).
    function poolFor(address collateral) external view returns (IUniswapV3Pool);

    /// @notice Sets the pool `collateral` is sold in; it must pair `collateral` with the base asset. Owner only.
    function setPool(address collateral, IUniswapV3Pool pool) external;

    /// @notice Flash-liquidates many accounts in one transaction; an order that fails (a sale below the oracle floor
    ///         included) is skipped by the engine. Owner only.
    function liquidateBatch(
        ILiquidationEngine.Order[] calldata orders,
        uint256 minProfit
    ) external returns (ILiquidationEngine.Quote[] memory quotes, bool[] memory succeeded);

    /// @notice Sends `amount` of `token` held here to `to` (the proceeds). Owner only.
    function sweep(IERC20 token, address to, uint256 amount) external;
}
