/**
 * Amounts from decimal strings, in the smallest unit: one definition for the scripts and the tests
 * (`usd("2300")` is 2,300 USDC, `wad("0.8")` is 0.8e18).
 */
import { parseUnits } from "ethers";

/** USDC, the base asset (6 decimals): `usd("1.5")` is 1_500_000. */
export const usd = (amount: string): bigint => parseUnits(amount, 6);
/** WETH (18 decimals). */
export const eth = (amount: string): bigint => parseUnits(amount, 18);
/** WBTC (8 decimals). */
export const btc = (amount: string): bigint => parseUnits(amount, 8);
/** A WAD (1e18-scaled) value: ratios, and USD prices per whole token. */
export const wad = (value: string): bigint => parseUnits(value, 18);
/** A Chainlink USD feed answer (8 decimals): `feedAnswer("3000")` is 3000e8. */
export const feedAnswer = (value: string): bigint => parseUnits(value, 8);
