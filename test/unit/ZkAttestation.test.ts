/**
 * Issue 25: private solvency attestations end to end, and every attack on them, each on its own: a borrower snapshots
 * itself, proves with the committed key that one leaf satisfies a consumer's claim, and the consumer grants credit
 * through the gate. Forged proofs, flipped public inputs, replays (same gate, another gate, context or chain), unknown
 * or self-made roots, lying predicates (at witness generation and with a hand-made witness), thresholds past their
 * widths and a front-runner's message all fail with the gate's custom errors, and change nothing.
 */
import { expect } from "chai";
import { AbiCoder, encodeBytes32String, type BytesLike } from "ethers";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";

import { ensureCircuit, PATHS } from "../../scripts/lib/zk/circuit.js";
import { messageField, packClaim, scopeOf, SNARK_FIELD, type Claim } from "../../scripts/lib/zk/layout.js";
import { leafOf, poseidon, type Hasher } from "../../scripts/lib/zk/poseidon.js";
import {
  fromSnarkjs,
  prove,
  releaseProver,
  verifyOffchain,
  witnessInput,
  type Attestation,
  type WitnessInput,
} from "../../scripts/lib/zk/prover.js";
import { LeanTree } from "../../scripts/lib/zk/tree.js";
import { deployZkMarket, snapshotEvent, takeSnapshot, type ZkMarket } from "../../scripts/lib/zk/market.js";
import { wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

type Setup = ZkMarket & {
  hash: Hasher;
  tree: LeanTree;
  secrets: bigint[];
  fields: bigint[];
  chainId: bigint;
  claim: Claim;
  message: string;
  beneficiary: string;
};

const encodeAddress = (a: string): string => AbiCoder.defaultAbiCoder().encode(["address"], [a]);

/** Ten borrowers each snapshot themselves with their own identity; the tree is rebuilt off chain. */
async function setup(): Promise<Setup> {
  const f = await deployZkMarket(ethers, 10);
  const hash = await poseidon();
  const tree = new LeanTree(hash);
  const secrets: bigint[] = [];
  const fields: bigint[] = [];
  for (const [i, b] of f.borrowers.entries()) {
    const secret = 1000n + BigInt(i) * 7777777n;
    const event = snapshotEvent(f.registry, await takeSnapshot(f.registry, b, hash.one(secret)));
    tree.insert(event.leaf);
    secrets.push(secret);
    fields.push(event.fields);
  }
  await (await f.registry.sync(0)).wait();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const claim = await f.consumer.claim(BigInt(await networkHelpers.time.latest()) - 3600n);
  const beneficiary = (await ethers.getSigners())[15].address;
  return {
    ...f,
    hash,
    tree,
    secrets,
    fields,
    chainId,
    claim: {
      minHealth: claim.minHealth,
      maxDebt: claim.maxDebt,
      minScore: claim.minScore,
      minTimestamp: claim.minTimestamp,
      requireUnflagged: claim.requireUnflagged,
    },
    message: encodeAddress(beneficiary),
    beneficiary,
  };
}

/** The input for borrower `i` proving `claim` to (consumer, context) bound to `message`. */
async function inputFor(
  s: Setup,
  i: number,
  overrides: {
    claim?: Claim;
    consumer?: string;
    context?: BytesLike;
    chainId?: bigint;
    gate?: string;
    message?: BytesLike;
  } = {},
): Promise<WitnessInput> {
  const scope = scopeOf(
    overrides.chainId ?? s.chainId,
    overrides.gate ?? (await s.gate.getAddress()),
    overrides.consumer ?? (await s.consumer.getAddress()),
    overrides.context ?? s.context,
  );
  return witnessInput({
    hash: s.hash,
    secret: s.secrets[i],
    fields: s.fields[i],
    path: s.tree.proof(i),
    scope,
    message: messageField(overrides.message ?? s.message),
    claim: overrides.claim ?? s.claim,
  });
}

let cached: { s: Setup; good: Attestation } | undefined;
/** One honest proof (borrower 3) for the example consumer, made once. */
async function honest(): Promise<{ s: Setup; good: Attestation }> {
  const s = await networkHelpers.loadFixture(setup);
  if (cached === undefined || cached.s.tree.root !== s.tree.root) {
    cached = { s, good: await prove(await inputFor(s, 3)) };
  } else {
    cached = { s, good: cached.good };
  }
  return cached;
}

/** Writes a witness file (snarkjs's wtns format, version 2) from a witness vector. */
function writeWitness(file: string, values: bigint[]): void {
  const n8 = 32;
  const header = Buffer.alloc(4 + 4 + 4);
  header.write("wtns", 0, "ascii");
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  const s1 = Buffer.alloc(4 + 8 + 4 + n8 + 4);
  s1.writeUInt32LE(1, 0);
  s1.writeBigUInt64LE(BigInt(4 + n8 + 4), 4);
  s1.writeUInt32LE(n8, 12);
  let q = SNARK_FIELD;
  for (let i = 0; i < n8; i++) {
    s1[16 + i] = Number(q & 0xffn);
    q >>= 8n;
  }
  s1.writeUInt32LE(values.length, 16 + n8);
  const s2 = Buffer.alloc(4 + 8 + n8 * values.length);
  s2.writeUInt32LE(2, 0);
  s2.writeBigUInt64LE(BigInt(n8 * values.length), 4);
  for (const [k, value] of values.entries()) {
    let v = ((value % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;
    for (let i = 0; i < n8; i++) {
      s2[12 + k * n8 + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  writeFileSync(file, Buffer.concat([header, s1, s2]));
}

describe("ZK private solvency attestations (issue 25)", function () {
  after(async function () {
    await releaseProver();
  });

  it("the TypeScript scope, message and predicate equal the gate's", async function () {
    const { s } = await honest();
    const consumer = await s.consumer.getAddress();
    expect(await s.gate.scopeOf(consumer, s.context)).to.equal(
      scopeOf(s.chainId, await s.gate.getAddress(), consumer, s.context),
    );
    expect(await s.gate.messageField(s.message)).to.equal(messageField(s.message));
    expect(await s.gate.packClaim(s.claim)).to.equal(packClaim(s.claim));
  });

  it("happy path: a healthy borrower proves, the consumer grants credit to the message's address, once per context", async function () {
    const { s, good } = await honest();
    expect(await verifyOffchain(good.proof, good.publicSignals)).to.equal(true);
    await s.gate.verify(s.consumer, s.context, s.claim, s.message, good.gate);
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, good.gate))
      .to.emit(s.consumer, "CreditGranted")
      .withArgs(s.beneficiary, good.signals.nullifier)
      .and.to.emit(s.gate, "Consumed");
    expect(await s.consumer.hasCredit(s.beneficiary)).to.equal(true);
    expect(await s.gate.spent(good.signals.nullifier)).to.equal(true);
    // Replayed at the same gate: the nullifier is spent.
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, good.gate))
      .to.be.revertedWithCustomError(s.gate, "NullifierSpent")
      .withArgs(good.signals.nullifier);
  });

  it("forged proofs fail: random points, one coordinate changed, points off the curve, G2 limbs unswapped", async function () {
    const { s, good } = await honest();
    const g = good.gate;
    const forgeries: (typeof g)[] = [
      { ...g, a: [g.a[0] + 1n, g.a[1]] },
      { ...g, c: [g.c[0], g.c[1] + 1n] },
      { ...g, b: [[g.b[0][0], g.b[0][1] + 1n], g.b[1]] },
      { ...g, a: [1n, 3n] }, // off the curve
      { ...g, a: [123456789n, 987654321n], c: [111n, 222n] }, // random
      {
        ...g,
        b: [
          [g.b[0][1], g.b[0][0]],
          [g.b[1][1], g.b[1][0]],
        ],
      }, // snarkjs's limb order, not the verifier's
      { ...g, a: [g.c[0], g.c[1]], c: [g.a[0], g.a[1]] }, // A and C swapped
    ];
    for (const forged of forgeries) {
      await expect(s.consumer.grant(s.message, s.claim.minTimestamp, forged)).to.be.revertedWithCustomError(
        s.gate,
        "InvalidProof",
      );
    }
    // A coordinate at or past the base field: the pairing precompile refuses it.
    const q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
    await expect(
      s.consumer.grant(s.message, s.claim.minTimestamp, { ...g, a: [g.a[0] + q, g.a[1]] }),
    ).to.be.revertedWithCustomError(s.gate, "InvalidProof");
    expect(await s.consumer.hasCredit(s.beneficiary)).to.equal(false);
  });

  it("each public input flipped fails: root, nullifier, scope (consumer, context), message, predicate", async function () {
    const { s, good } = await honest();
    const g = good.gate;
    // Another root the registry has had (after one more snapshot and sync): a real root, the wrong one here.
    const [stranger] = (await ethers.getSigners()).slice(12);
    await takeSnapshot(s.registry, s.edge, 77n);
    await (await s.registry.connect(stranger).sync(0)).wait();
    const later = await s.registry.root();
    expect(later).to.not.equal(s.tree.root);
    expect(await s.registry.isKnownRoot(later)).to.equal(true);
    expect(await s.registry.isKnownRoot(s.tree.root)).to.equal(true);
    await expect(
      s.consumer.grant(s.message, s.claim.minTimestamp, { ...g, root: later }),
    ).to.be.revertedWithCustomError(s.gate, "InvalidProof");
    await expect(
      s.consumer.grant(s.message, s.claim.minTimestamp, { ...g, nullifier: g.nullifier + 1n }),
    ).to.be.revertedWithCustomError(s.gate, "InvalidProof");
    // The nullifier's alias past the field: refused before the verifier (no second key for one nullifier).
    await expect(
      s.consumer.grant(s.message, s.claim.minTimestamp, { ...g, nullifier: g.nullifier + SNARK_FIELD }),
    ).to.be.revertedWithCustomError(s.gate, "NullifierOutOfField");
    // Another consumer (an EOA calling consume itself) and another context.
    const [, , , , , , , , , , , , , , , , other] = await ethers.getSigners();
    await expect(s.gate.connect(other).consume(s.context, s.claim, s.message, g)).to.be.revertedWithCustomError(
      s.gate,
      "InvalidProof",
    );
    await expect(
      s.gate.verify(s.consumer, encodeBytes32String("credit-line-v2"), s.claim, s.message, g),
    ).to.be.revertedWithCustomError(s.gate, "InvalidProof");
    // Another message.
    await expect(s.consumer.grant(encodeAddress(other.address), s.claim.minTimestamp, g)).to.be.revertedWithCustomError(
      s.gate,
      "InvalidProof",
    );
    // Another predicate: a stricter or a looser claim than the proof's.
    for (const claim of [
      { ...s.claim, minHealth: s.claim.minHealth + 1n },
      { ...s.claim, requireUnflagged: false },
    ]) {
      await expect(s.gate.verify(s.consumer, s.context, claim, s.message, g)).to.be.revertedWithCustomError(
        s.gate,
        "InvalidProof",
      );
    }
    // The verifier itself refuses a public signal at or past the field.
    const signals = good.publicSignals.map(BigInt) as [bigint, bigint, bigint, bigint, bigint];
    expect(await s.verifier.verifyProof(g.a, g.b, g.c, signals)).to.equal(true);
    expect(
      await s.verifier.verifyProof(g.a, g.b, g.c, [
        signals[0],
        signals[1] + SNARK_FIELD,
        signals[2],
        signals[3],
        signals[4],
      ]),
    ).to.equal(false);
    expect(await s.consumer.hasCredit(s.beneficiary)).to.equal(false);
  });

  it("a proof made for another gate, another chain or another context fails here", async function () {
    const { s } = await honest();
    const otherGate = await ethers.deployContract("SolvencyGate", [
      await s.registry.getAddress(),
      await s.verifier.getAddress(),
    ]);
    const forOtherGate = await prove(await inputFor(s, 4, { gate: await otherGate.getAddress() }));
    expect(await verifyOffchain(forOtherGate.proof, forOtherGate.publicSignals)).to.equal(true);
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, forOtherGate.gate)).to.be.revertedWithCustomError(
      s.gate,
      "InvalidProof",
    );
    const forMainnet = await prove(await inputFor(s, 4, { chainId: 1n }));
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, forMainnet.gate)).to.be.revertedWithCustomError(
      s.gate,
      "InvalidProof",
    );
    const forOtherContext = await prove(await inputFor(s, 4, { context: encodeBytes32String("other") }));
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, forOtherContext.gate)).to.be.revertedWithCustomError(
      s.gate,
      "InvalidProof",
    );
    // Each is valid where it was made for: the other gate accepts its own.
    await otherGate.verify(s.consumer, s.context, s.claim, s.message, forOtherGate.gate);
  });

  it("an unknown or self-made root fails, though its proof verifies off chain", async function () {
    const { s } = await honest();
    // The attacker's own tree: one leaf claiming health 100 and no debt for the attacker's identity.
    const secret = 424242n;
    const fake = (100n * 10n ** 18n) | (1n << 64n) | (BigInt(await networkHelpers.time.latest()) << 192n);
    const own = new LeanTree(s.hash, [leafOf(s.hash, s.hash.one(secret), fake)]);
    const scope = scopeOf(s.chainId, await s.gate.getAddress(), await s.consumer.getAddress(), s.context);
    const forged = await prove(
      witnessInput({
        hash: s.hash,
        secret,
        fields: fake,
        path: own.proof(0),
        scope,
        message: messageField(s.message),
        claim: s.claim,
      }),
    );
    expect(await verifyOffchain(forged.proof, forged.publicSignals)).to.equal(true);
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, forged.gate))
      .to.be.revertedWithCustomError(s.gate, "UnknownRoot")
      .withArgs(own.root);
    await expect(
      s.consumer.grant(s.message, s.claim.minTimestamp, { ...forged.gate, root: 0n }),
    ).to.be.revertedWithCustomError(s.gate, "UnknownRoot");
  });

  it("a leaf cannot be passed off as a node: a fake leaf hidden in an identity commitment gives no proof (audit H-1)", async function () {
    const { s } = await honest();
    // The attack: choose fake fields (health at its cap, no debt, the best score, the farthest time, unflagged), hash
    // them as a leaf under an identity of one's own, and snapshot with that hash as the identity commitment. The real
    // leaf is then H(fakeLeaf, realFields): with one hash for leaves and nodes, a proof could start one level below the
    // real leaves, at the fake one. Leaves are Poseidon(3) and nodes Poseidon(2) now: no witness exists.
    const secret = 987654321n;
    const fake = packClaim({
      minHealth: (1n << 64n) - 1n,
      maxDebt: 0n,
      minScore: (1n << 32n) - 1n,
      minTimestamp: (1n << 40n) - 1n,
      requireUnflagged: false,
    });
    const fakeLeaf = leafOf(s.hash, s.hash.one(secret), fake);
    const event = snapshotEvent(s.registry, await takeSnapshot(s.registry, s.edge, fakeLeaf));
    await (await s.registry.sync(0)).wait();
    const tree = new LeanTree(s.hash, [...Array.from({ length: s.tree.size }, (_, i) => s.tree.leaf(i)), event.leaf]);
    expect(await s.registry.root()).to.equal(tree.root);
    const path = tree.proof(Number(event.index));
    const scope = scopeOf(s.chainId, await s.gate.getAddress(), await s.consumer.getAddress(), s.context);
    const input = witnessInput({
      hash: s.hash,
      secret,
      fields: fake,
      path: {
        leaf: fakeLeaf,
        index: Number(event.index) * 2,
        depth: path.depth + 1,
        root: path.root,
        siblings: [event.fields, ...path.siblings.slice(0, -1)],
      },
      scope,
      message: messageField(s.message),
      claim: { ...s.claim, minHealth: wad("10") },
    });
    await expect(prove(input)).to.be.rejectedWith(/Assert Failed/);
  });

  it("a lying predicate fails at witness generation, and a hand-made witness gives a proof that does not verify", async function () {
    const { s } = await honest();
    // Borrower 9 is the least healthy (13,000 USDC on $30,000 of WETH: health about 1.96); claim health 3.
    const lie: Claim = { ...s.claim, minHealth: wad("3") };
    await expect(prove(await inputFor(s, 9, { claim: lie }))).to.be.rejectedWith(/Assert Failed/);
    // Debt ceiling below the debt, a score above it, a time after the snapshot: each refused by the circuit.
    for (const claim of [
      { ...s.claim, maxDebt: 1n },
      { ...s.claim, minScore: (1n << 32n) - 1n },
      { ...s.claim, minTimestamp: (1n << 40n) - 1n },
    ]) {
      await expect(prove(await inputFor(s, 9, { claim }))).to.be.rejectedWith(/Assert Failed/);
    }
    // By hand: the honest witness of borrower 9 with the predicate signal (witness index 5) replaced by the lie.
    const { wasm } = await ensureCircuit();
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-wtns-"));
    try {
      const honestFile = path.join(dir, "honest.wtns");
      await snarkjs.wtns.calculate(await inputFor(s, 9), wasm, honestFile);
      const values = (await snarkjs.wtns.exportJson(honestFile)).map(BigInt);
      expect(values[5]).to.equal(packClaim(s.claim));
      values[5] = packClaim(lie);
      const forgedFile = path.join(dir, "forged.wtns");
      writeWitness(forgedFile, values);
      const { proof, publicSignals } = await snarkjs.groth16.prove(PATHS.zkey, forgedFile);
      expect(BigInt(publicSignals[4])).to.equal(packClaim(lie));
      expect(await verifyOffchain(proof, publicSignals)).to.equal(false);
      const forged = fromSnarkjs(proof, publicSignals);
      await expect(s.gate.verify(s.consumer, s.context, lie, s.message, forged.gate)).to.be.revertedWithCustomError(
        s.gate,
        "InvalidProof",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("thresholds past their bit widths are refused by the gate, the TypeScript and the circuit", async function () {
    const { s, good } = await honest();
    const cases: [keyof Claim, bigint, string][] = [
      ["minHealth", 1n << 64n, "minHealth"],
      ["maxDebt", 1n << 96n, "maxDebt"],
      ["minScore", 1n << 32n, "minScore"],
      ["minTimestamp", 1n << 40n, "minTimestamp"],
    ];
    for (const [key, value, name] of cases) {
      const claim = { ...s.claim, [key]: value };
      await expect(s.gate.packClaim(claim))
        .to.be.revertedWithCustomError(s.gate, "ThresholdTooWide")
        .withArgs(encodeBytes32String(name), value, value - 1n);
      await expect(s.gate.verify(s.consumer, s.context, claim, s.message, good.gate)).to.be.revertedWithCustomError(
        s.gate,
        "ThresholdTooWide",
      );
      expect(() => packClaim(claim)).to.throw(RangeError, key);
    }
    // In the circuit: a predicate word with a bit past 233 (an aliasing attempt) cannot be split: no witness.
    const input = await inputFor(s, 3);
    const wide = { ...input, predicate: (BigInt(input.predicate as string) + (1n << 233n)).toString() };
    await expect(prove(wide)).to.be.rejectedWith(/Assert Failed/);
    // A predicate past the field is the same field element: the proof names the reduced word, which the gate
    // computes itself from the claim (and the verifier refuses any public signal at or past the field).
    const aliased = await prove({ ...input, predicate: (BigInt(input.predicate as string) + SNARK_FIELD).toString() });
    expect(aliased.signals.predicate).to.equal(packClaim(s.claim));
  });

  it("a front-runner who copies the proof cannot bind it to another message; copied as is, it grants the same address", async function () {
    const { s, good } = await honest();
    const [, , , , , , , , , , , , , , , , , thief] = await ethers.getSigners();
    await expect(
      s.consumer.connect(thief).grant(encodeAddress(thief.address), s.claim.minTimestamp, good.gate),
    ).to.be.revertedWithCustomError(s.gate, "InvalidProof");
    await s.consumer.connect(thief).grant(s.message, s.claim.minTimestamp, good.gate);
    expect(await s.consumer.hasCredit(thief.address)).to.equal(false);
    expect(await s.consumer.hasCredit(s.beneficiary)).to.equal(true);
  });

  it("a flagged snapshot fails a claim that requires unflagged, and a stale one fails a fresh claim", async function () {
    const { s, good } = await honest();
    // Borrower 3's snapshot is fine but old: a day later, the consumer's window has passed it. The consumer refuses
    // the old claim, and a claim inside the window cannot be proved from the old snapshot.
    await networkHelpers.time.increase(86_400);
    await s.market.heartbeat();
    await expect(s.consumer.grant(s.message, s.claim.minTimestamp, good.gate)).to.be.revertedWithCustomError(
      s.consumer,
      "ClaimTooOld",
    );
    const claim: Claim = { ...s.claim, minTimestamp: BigInt(await networkHelpers.time.latest()) - 3600n };
    await expect(prove(await inputFor(s, 3, { claim }))).to.be.rejectedWith(/Assert Failed/);
    // A flagged leaf (the flag bit set) cannot meet requireUnflagged.
    const flagged = s.fields[3] | (1n << 232n);
    const tree = new LeanTree(s.hash, [leafOf(s.hash, s.hash.one(s.secrets[3]), flagged)]);
    const scope = scopeOf(s.chainId, await s.gate.getAddress(), await s.consumer.getAddress(), s.context);
    await expect(
      prove(
        witnessInput({
          hash: s.hash,
          secret: s.secrets[3],
          fields: flagged,
          path: tree.proof(0),
          scope,
          message: messageField(s.message),
          claim: s.claim,
        }),
      ),
    ).to.be.rejectedWith(/Assert Failed/);
  });
});
