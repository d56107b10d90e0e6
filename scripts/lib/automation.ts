/**
 * The SecurityOps upkeep (contracts/automation/SecurityOps.sol): its default limits, shared by the deployment's
 * parameter files, the benchmark and the tests.
 */
import type { ISecurityOps } from "../../typechain-types/index.js";

/**
 * Default limits: scan 100 registered accounts per check (a few million gas of views, inside Chainlink Automation's
 * check gas limit), at most 5 flash liquidations per upkeep (about 2.5M gas, inside the 5M perform limit), and a poke
 * of every breaker entry at least every 15 minutes (the price-fall reference needs regular samples).
 */
export const DEFAULT_SECURITY_OPS_CONFIG: ISecurityOps.ConfigStruct = {
  scanSize: 100,
  maxLiquidations: 5,
  pokeInterval: 15 * 60,
};
