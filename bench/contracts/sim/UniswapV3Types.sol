// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IUniswapV3Factory} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Factory.sol";

/// @notice Uniswap v3's own interfaces, re-declared in the project so TypeChain types them for the tests that drive
///         the real pool and factory deployed from the compiled artifacts of the uniswap v3-core package. Test helper only.
interface ITestUniswapV3Pool is IUniswapV3Pool {}

/// @notice See ITestUniswapV3Pool.
interface ITestUniswapV3Factory is IUniswapV3Factory {}
