import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { AbiCoder, type AddressLike, Interface, keccak256, resolveAddress } from "ethers";

import type { Morpho } from "../../typechain-types/index.js";
import { wad } from "./units.js";

/**
 * Morpho Blue, the peer Bulwark's gas is measured against (`npm run bench`): the real `Morpho` contract compiled from
 * its npm source (`@morpho-org/morpho-blue@1.0.0`, solc 0.8.19, via-IR, 999,999 runs, as Morpho ships it; see
 * hardhat.config.ts), and the helpers to open a market on it.
 */

/** Morpho's `MarketParams`, addresses resolved. */
export interface MorphoMarketParams {
  loanToken: string;
  collateralToken: string;
  oracle: string;
  irm: string;
  /** Liquidation loan-to-value (WAD). */
  lltv: bigint;
}

/** What `createMorphoMarket` takes: contracts or addresses, plus the LLTV and an optional fee. */
export interface MorphoMarketInput {
  loanToken: AddressLike;
  collateralToken: AddressLike;
  /** An `IOracle` (ChainlinkMorphoOracle in the bench). */
  oracle: AddressLike;
  /** An `IIrm` (KinkedIrm in the bench). */
  irm: AddressLike;
  /** Liquidation loan-to-value (WAD), < 1e18. */
  lltv: bigint;
  /**
   * Share of interest the market takes (WAD, at most Morpho's MAX_FEE of 25%), paid to `owner` as fee recipient.
   * 0 (Morpho's default) leaves the fee off.
   */
  fee?: bigint;
}

export interface MorphoMarket {
  marketParams: MorphoMarketParams;
  /** Morpho's market id: keccak256(abi.encode(marketParams)) (MarketParamsLib.id). */
  id: string;
}

/**
 * Morpho's events, from its EventsLib. solc 0.8.19 leaves events emitted from a library out of the contract's ABI, so
 * the `Morpho` typechain type has none: parse and match logs with this interface instead.
 */
export const MORPHO_EVENTS = new Interface([
  "event AccrueInterest(bytes32 indexed id, uint256 prevBorrowRate, uint256 interest, uint256 feeShares)",
  "event Liquidate(bytes32 indexed id, address indexed caller, address indexed borrower, uint256 repaidAssets, " +
    "uint256 repaidShares, uint256 seizedAssets, uint256 badDebtAssets, uint256 badDebtShares)",
]);

/** Morpho's ConstantsLib: the liquidation incentive factor's cap and cursor (WAD). */
export const MORPHO_MAX_LIQUIDATION_INCENTIVE_FACTOR = wad("1.15");
export const MORPHO_LIQUIDATION_CURSOR = wad("0.3");
const WAD = wad("1");

/** Deploys the real `Morpho` contract (from the npm source), owned by `owner`. */
export async function deployMorpho(ethers: HardhatEthers, owner: HardhatEthersSigner): Promise<Morpho> {
  const morpho = await ethers.deployContract("Morpho", [owner.address], owner);
  await morpho.waitForDeployment();
  return morpho;
}

/** Morpho's market id of `params`: keccak256 of the ABI-encoded struct, as MarketParamsLib.id computes it. */
export function morphoMarketId(params: MorphoMarketParams): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["address", "address", "address", "address", "uint256"],
      [params.loanToken, params.collateralToken, params.oracle, params.irm, params.lltv],
    ),
  );
}

/**
 * Opens a market on `morpho` as its owner would: enables the IRM and the LLTV (each only if not enabled yet: Morpho
 * reverts on enabling twice), creates the market and, with a `fee`, makes `owner` the fee recipient and sets it.
 */
export async function createMorphoMarket(
  ethers: HardhatEthers,
  morpho: Morpho,
  owner: HardhatEthersSigner,
  input: MorphoMarketInput,
): Promise<MorphoMarket> {
  const marketParams: MorphoMarketParams = {
    loanToken: ethers.getAddress(await resolveAddress(input.loanToken)),
    collateralToken: ethers.getAddress(await resolveAddress(input.collateralToken)),
    oracle: ethers.getAddress(await resolveAddress(input.oracle)),
    irm: ethers.getAddress(await resolveAddress(input.irm)),
    lltv: input.lltv,
  };
  const asOwner = morpho.connect(owner);
  if (!(await morpho.isIrmEnabled(marketParams.irm))) await (await asOwner.enableIrm(marketParams.irm)).wait();
  if (!(await morpho.isLltvEnabled(marketParams.lltv))) await (await asOwner.enableLltv(marketParams.lltv)).wait();
  await (await asOwner.createMarket(marketParams)).wait();
  if (input.fee !== undefined && input.fee !== 0n) {
    if ((await morpho.feeRecipient()) !== owner.address) await (await asOwner.setFeeRecipient(owner.address)).wait();
    await (await asOwner.setFee(marketParams, input.fee)).wait();
  }
  return { marketParams, id: morphoMarketId(marketParams) };
}

/**
 * Morpho's liquidation incentive factor for `lltv` (WAD in, WAD out), rounded as `Morpho.liquidate` computes it:
 * min(MAX_LIQUIDATION_INCENTIVE_FACTOR, WAD.wDivDown(WAD − LIQUIDATION_CURSOR.wMulDown(WAD − lltv))), i.e.
 * min(1.15, 1 / (1 − 0.3·(1 − lltv))). At LLTV 0.85: ≈ 1.0471 (a 4.71% bonus).
 */
export function morphoLiquidationIncentive(lltv: bigint): bigint {
  if (lltv < 0n || lltv >= WAD) throw new Error(`LLTV must be in [0, 1e18), got ${lltv}`);
  const cursorCut = (MORPHO_LIQUIDATION_CURSOR * (WAD - lltv)) / WAD; // wMulDown
  const factor = (WAD * WAD) / (WAD - cursorCut); // wDivDown
  return factor < MORPHO_MAX_LIQUIDATION_INCENTIVE_FACTOR ? factor : MORPHO_MAX_LIQUIDATION_INCENTIVE_FACTOR;
}
