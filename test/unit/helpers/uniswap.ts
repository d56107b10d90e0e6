/** The tests use the same Uniswap v3 helpers as the scripts. */
export {
  deployPoolWithLiquidity,
  deployUniswapV3Factory,
  FULL_RANGE_TICK,
  isqrt,
  movePoolTo,
  spotPriceWad,
  sqrtPriceX96For,
} from "../../../scripts/lib/uniswap.js";
