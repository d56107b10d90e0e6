/**
 * Private solvency attestations (issue 25), `BULWARK_BENCH_ONLY=zk npm run bench`: the circuit's constraints, the
 * proving time (median of 7 proofs, the first one cold), the gas of the gate's `verify` (a view, sent here as a
 * transaction to read its gas used) and `consume`, the example consumer's `grant`, and with 65,536 leaves in the
 * tree: `snapshot` (queues a leaf: the same cost at any size), `sync` of the leaf at index 65,535 alone (the worst
 * single fold: 16 hashes), and `sync` per leaf in batches of 16 and 64. The 65,535 leaves before are set in storage
 * from a mirror of `sync`'s frontier (the root the contract reaches is checked against the mirror's after each sync).
 * Writes bench/zk.json. No core contract takes part in these transactions but through its views.
 */
import { AbiCoder, keccak256, toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";

import { ensureCircuit, readPin } from "../zk/circuit.js";
import { messageField, scopeOf } from "../zk/layout.js";
import { deployZkMarket, snapshotEvent } from "../zk/market.js";
import { leafOf, poseidon, type Hasher } from "../zk/poseidon.js";
import { prove, releaseProver, witnessInput } from "../zk/prover.js";
import { LeanTree } from "../zk/tree.js";
import { COMMAND, machine, writeJson } from "./shared.js";

const OUTPUT = "bench/zk.json";
const PROOFS = 7;
/** Storage slots of SolvencySnapshots (immutables take none): size, synced, root, _queued, _frontier, _sizeAtRoot. */
const SLOT = { size: 0n, synced: 1n, root: 2n, frontier: 4n } as const;

/** `sync`'s frontier, mirrored: each level's last complete left subtree, and the root at the current size. */
class FrontierMirror {
  size = 0;
  readonly frontier = new Map<number, bigint>();
  private readonly hash: Hasher;
  constructor(hash: Hasher) {
    this.hash = hash;
  }
  insert(leaf: bigint): void {
    let node = leaf;
    let level = 0;
    for (; Math.floor(this.size / 2 ** level) % 2 === 1; level++) node = this.hash.two(this.frontier.get(level)!, node);
    this.frontier.set(level, node);
    this.size++;
  }
  get root(): bigint {
    const last = this.size - 1;
    let level = 0;
    while (Math.floor(last / 2 ** level) % 2 === 1) level++;
    let node = this.frontier.get(level)!;
    for (level++; Math.floor(last / 2 ** level) !== 0; level++) {
      if (Math.floor(last / 2 ** level) % 2 === 1) node = this.hash.two(this.frontier.get(level)!, node);
    }
    return node;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function zkBench(): Promise<void> {
  console.log("\nPrivate solvency attestations (issue 25)");
  const { ethers, networkHelpers } = await network.create();
  const hash = await poseidon();
  const { r1cs } = await ensureCircuit();
  const info = await snarkjs.r1cs.info(r1cs);
  console.log(`  circuit: ${info.nConstraints} constraints, ${info.nPubInputs} public inputs`);

  // Proving and verifying, on a market of 10 borrowers.
  const f = await deployZkMarket(ethers, 10);
  const leaves: bigint[] = [];
  const secrets: bigint[] = [];
  const words: bigint[] = [];
  /** Each borrower's first snapshot, which binds its identity (one more storage word). */
  const firstSnapshots: bigint[] = [];
  for (const [i, b] of f.borrowers.entries()) {
    const secret = 5000n + BigInt(i);
    const receipt = await (await f.registry.connect(b).snapshot(hash.one(secret))).wait();
    firstSnapshots.push(receipt!.gasUsed);
    const event = snapshotEvent(f.registry, receipt!);
    leaves.push(event.leaf);
    words.push(event.fields);
    secrets.push(secret);
  }
  await (await f.registry.sync(0)).wait();
  const tree = new LeanTree(hash, leaves);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const [, , , , , , , , , , , , , , , , eoaConsumer] = await ethers.getSigners();
  const minTimestamp = BigInt(await networkHelpers.time.latest()) - 3600n;
  const c = await f.consumer.claim(minTimestamp);
  const claim = {
    minHealth: c.minHealth,
    maxDebt: c.maxDebt,
    minScore: c.minScore,
    minTimestamp: c.minTimestamp,
    requireUnflagged: c.requireUnflagged,
  };
  const message = AbiCoder.defaultAbiCoder().encode(["address"], [eoaConsumer.address]);
  const inputFor = async (i: number, consumer: string) =>
    witnessInput({
      hash,
      secret: secrets[i],
      fields: words[i],
      path: tree.proof(i),
      scope: scopeOf(chainId, await f.gate.getAddress(), consumer, f.context),
      message: messageField(message),
      claim,
    });
  const times: number[] = [];
  const inputs = [];
  for (let k = 0; k < PROOFS; k++) inputs.push(await inputFor(k, await f.consumer.getAddress()));
  let last;
  for (const input of inputs) {
    const started = performance.now();
    last = await prove(input);
    times.push((performance.now() - started) / 1000);
  }
  const proveMedian = median(times);
  console.log(
    `  proving: median ${proveMedian.toFixed(2)} s over ${PROOFS} proofs (first, cold: ${times[0].toFixed(2)} s; fastest ${Math.min(...times).toFixed(2)} s)`,
  );
  // verify is a view: sent as a transaction to read the gas it uses (21,000 base and calldata included).
  const verifyData = f.gate.interface.encodeFunctionData("verify", [
    await f.consumer.getAddress(),
    f.context,
    claim,
    message,
    last!.gate,
  ]);
  const verifyReceipt = await (
    await eoaConsumer.sendTransaction({ to: await f.gate.getAddress(), data: verifyData })
  ).wait();
  const verifyGas = verifyReceipt!.gasUsed;
  const grantReceipt = await (await f.consumer.grant(message, minTimestamp, last!.gate)).wait();
  // consume called by an EOA as its own consumer: the gate's own cost, without a consumer contract around it.
  const direct = await prove(await inputFor(7, eoaConsumer.address));
  const consumeReceipt = await (
    await f.gate.connect(eoaConsumer).consume(f.context, claim, message, direct.gate)
  ).wait();
  console.log(
    `  gas: verify ${verifyGas.toLocaleString("en-US")} (the view sent as a transaction), consume ${consumeReceipt!.gasUsed.toLocaleString("en-US")}, example consumer's grant ${grantReceipt!.gasUsed.toLocaleString("en-US")}`,
  );
  await releaseProver();

  // With 65,536 leaves.
  const started = performance.now();
  const mirror = new FrontierMirror(hash);
  const filler = (i: number): bigint => BigInt(keccak256(toBeHex(i + 1, 32))) >> 8n;
  const PRESET = 65_535;
  for (let i = 0; i < PRESET; i++) mirror.insert(filler(i));
  console.log(
    `  mirrored ${PRESET.toLocaleString("en-US")} leaves in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const registry = await f.registry.getAddress();
  const word = (value: bigint | number): string => zeroPadValue(toBeHex(value), 32);
  const frontierSlot = (level: number): string =>
    keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [level, SLOT.frontier]));
  await networkHelpers.setStorageAt(registry, SLOT.size, word(PRESET));
  await networkHelpers.setStorageAt(registry, SLOT.synced, word(PRESET));
  await networkHelpers.setStorageAt(registry, SLOT.root, word(mirror.root));
  for (const [level, node] of mirror.frontier)
    await networkHelpers.setStorageAt(registry, frontierSlot(level), word(node));
  const borrower = f.borrowers[0];
  const snapshotGas: bigint[] = [];
  const identity = hash.one(secrets[0]);
  const snapshotOnce = async (i: number): Promise<void> => {
    // One snapshot per account every 15 minutes (SNAPSHOT_INTERVAL); the feeds' heartbeat every 45.
    await networkHelpers.time.increase(15 * 60);
    if (i % 3 === 0) await f.market.heartbeat();
    const receipt = await (await f.registry.connect(borrower).snapshot(identity)).wait();
    mirror.insert(leafOf(hash, identity, snapshotEvent(f.registry, receipt!).fields));
    snapshotGas.push(receipt!.gasUsed);
  };
  const syncAll = async (): Promise<bigint> => {
    const receipt = await (await f.registry.sync(0)).wait();
    if ((await f.registry.root()) !== mirror.root || (await f.registry.synced()) !== BigInt(mirror.size)) {
      throw new Error(
        `the registry's root at ${mirror.size} leaves differs from the mirror's: the storage set-up is wrong`,
      );
    }
    return receipt!.gasUsed;
  };
  // Leaf 65,536 (index 65,535, all ones): its fold hashes at every one of 16 levels.
  await snapshotOnce(PRESET);
  const worstSync = await syncAll();
  let next = PRESET + 1;
  for (let k = 0; k < 16; k++) await snapshotOnce(next++);
  const sync16 = await syncAll();
  for (let k = 0; k < 64; k++) await snapshotOnce(next++);
  const sync64 = await syncAll();
  // An account's first snapshot (it binds its identity) with the tree this size.
  await f.market.heartbeat();
  const firstAtScale = (await (await f.registry.connect(f.edge).snapshot(hash.one(777n))).wait())!.gasUsed;
  const mean = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n) / BigInt(xs.length);
  const max = (xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a), 0n);
  const snapshotMean = mean(snapshotGas);
  const snapshotMax = max(snapshotGas);
  const firstMax = max(firstSnapshots);
  console.log(
    `  with 65,536 leaves: snapshot mean ${snapshotMean.toLocaleString("en-US")} gas, max ${snapshotMax.toLocaleString("en-US")} (${snapshotGas.length} snapshots; ` +
      `an account's first, binding its identity: ${firstAtScale.toLocaleString("en-US")}; the registry's very first: ${firstMax.toLocaleString("en-US")}); ` +
      `sync of leaf 65,536 alone ${worstSync.toLocaleString("en-US")} (16 hashes, the worst fold); ` +
      `sync per leaf ${(sync16 / 16n).toLocaleString("en-US")} in a batch of 16, ${(sync64 / 64n).toLocaleString("en-US")} in a batch of 64`,
  );
  const pin = readPin();
  await writeJson(OUTPUT, {
    machine: machine(),
    command: `BULWARK_BENCH_ONLY=zk ${COMMAND}`,
    circuit: { constraints: info.nConstraints, publicInputs: info.nPubInputs, hash: pin?.circuit, budget: 10_000 },
    proving: {
      proofs: PROOFS,
      medianSeconds: Number(proveMedian.toFixed(3)),
      seconds: times.map((t) => Number(t.toFixed(3))),
      budgetSeconds: 5,
    },
    gas: {
      verify: {
        gas: verifyGas.toString(),
        scenario: "SolvencyGate.verify sent as a transaction (21,000 base and calldata included)",
        budget: 260_000,
      },
      consume: {
        gas: consumeReceipt!.gasUsed.toString(),
        scenario: "SolvencyGate.consume sent by an EOA as its own consumer",
        budget: 290_000,
      },
      grant: { gas: grantReceipt!.gasUsed.toString(), scenario: "CreditLineConsumer.grant (the example consumer)" },
      snapshot: {
        mean: snapshotMean.toString(),
        max: snapshotMax.toString(),
        firstOfAnAccount: firstAtScale.toString(),
        firstOfTheRegistryMax: firstMax.toString(),
        scenario: `SolvencySnapshots.snapshot by a borrower with one collateral, ${snapshotGas.length} of them with 65,535 to 65,615 leaves in the tree`,
        budget: 400_000,
      },
      sync: {
        leaf65536Alone: worstSync.toString(),
        perLeafBatch16: (sync16 / 16n).toString(),
        perLeafBatch64: (sync64 / 64n).toString(),
        scenario:
          "SolvencySnapshots.sync(0): the 65,536th leaf alone (16 hashes), then batches of 16 and 64 queued leaves",
      },
    },
  });
  console.log(`  wrote ${OUTPUT}`);
}
