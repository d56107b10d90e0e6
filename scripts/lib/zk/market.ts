/**
 * A market for the private solvency attestation tests and bench (issue 25): the real OracleAdapter over Chainlink-like feeds,
 * the risk manager, `n` borrowers at different healths, and the ZK periphery (PoseidonT3, SolvencySnapshots, the
 * generated Groth16 verifier, SolvencyGate and the example consumer).
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, encodeBytes32String, type ContractTransactionReceipt } from "ethers";

import { deployRiskModules } from "../risk.js";
import { collateral, deployChainlinkMarket, type ChainlinkMarket } from "../testMarket.js";
import { usd, wad } from "../units.js";
import type {
  CreditLineConsumer,
  Groth16Verifier,
  RiskManager,
  SolvencyGate,
  SolvencySnapshots,
} from "../../../typechain-types/index.js";

export type ZkMarket = {
  market: ChainlinkMarket;
  riskManager: RiskManager;
  registry: SolvencySnapshots;
  verifier: Groth16Verifier;
  gate: SolvencyGate;
  consumer: CreditLineConsumer;
  context: string;
  borrowers: HardhatEthersSigner[];
  /** A borrower at the LTV limit (10 WETH, 23,900 USDC: health 1.067), liquidatable after a 10% fall. */
  edge: HardhatEthersSigner;
};

/** Deploys the poseidon-solidity libraries (nodes: T3, leaves: T4) and a registry linked to them. */
export async function deployRegistry(ethers: HardhatEthers, vault: string) {
  const t3 = await (await ethers.deployContract("PoseidonT3")).getAddress();
  const t4 = await (await ethers.deployContract("PoseidonT4")).getAddress();
  const registry = (await ethers.deployContract("SolvencySnapshots", [vault], {
    libraries: { PoseidonT3: t3, PoseidonT4: t4 },
  })) as unknown as SolvencySnapshots;
  return { registry };
}

/** A snapshot sent by `account` (a plain EOA); returns its receipt. */
export async function takeSnapshot(registry: SolvencySnapshots, account: HardhatEthersSigner, idCommitment: bigint) {
  const receipt = await (await registry.connect(account).snapshot(idCommitment)).wait();
  if (receipt === null) throw new Error("the snapshot was not mined");
  return receipt;
}

/** The `Snapshot` event of a snapshot's receipt. */
export function snapshotEvent(registry: SolvencySnapshots, receipt: ContractTransactionReceipt) {
  for (const log of receipt.logs) {
    const parsed = registry.interface.parseLog(log);
    if (parsed?.name === "Snapshot") {
      return parsed.args.toObject() as {
        account: string;
        index: bigint;
        idCommitment: bigint;
        fields: bigint;
        leaf: bigint;
      };
    }
  }
  throw new Error("no Snapshot event in the receipt");
}

/**
 * `borrowers` accounts each with 10 WETH ($3,000) and a debt from 4,000 to 4,000 + 1,000·(n-1) USDC (healths from
 * about 6 down), one more at the LTV limit, a lender, the risk modules wired, and the ZK periphery.
 */
export async function deployZkMarket(ethers: HardhatEthers, borrowers = 10): Promise<ZkMarket> {
  const signers = await ethers.getSigners();
  const [, lender] = signers;
  const market = await deployChainlinkMarket(ethers);
  const { vault, usdc } = market;
  const weth = collateral(market, "WETH");
  const vaultAddress = await vault.getAddress();
  const { riskManager } = await deployRiskModules(ethers, vault, {
    collaterals: market.collaterals,
    lens: market.lens,
  });
  await (await usdc.mint(lender.address, usd("10000000"))).wait();
  await (await usdc.connect(lender).approve(vaultAddress, MaxUint256)).wait();
  await (await vault.connect(lender).deposit(usd("10000000"), lender.address)).wait();
  const accounts = signers.slice(2, 2 + borrowers);
  const edge = signers[2 + borrowers];
  for (const [i, account] of [...accounts, edge].entries()) {
    await (await weth.mint(account.address, wad("10"))).wait();
    await (await weth.connect(account).approve(vaultAddress, MaxUint256)).wait();
    await (await vault.connect(account).depositCollateral(weth, wad("10"), account.address)).wait();
    const debt = account === edge ? "23900" : String(4000 + 1000 * i);
    await (await vault.connect(account).borrow(usd(debt), account.address)).wait();
  }
  const { registry } = await deployRegistry(ethers, vaultAddress);
  const verifier = (await ethers.deployContract("Groth16Verifier")) as unknown as Groth16Verifier;
  const gate = (await ethers.deployContract("SolvencyGate", [
    await registry.getAddress(),
    await verifier.getAddress(),
  ])) as unknown as SolvencyGate;
  const context = encodeBytes32String("credit-line-v1");
  const consumer = (await ethers.deployContract("CreditLineConsumer", [
    await gate.getAddress(),
    context,
    wad("1.2"),
    86_400n,
  ])) as unknown as CreditLineConsumer;
  return { market, riskManager, registry, verifier, gate, consumer, context, borrowers: accounts, edge };
}
