// Making and checking an attestation off chain: the circuit's input from an identity, a snapshot's tree path and a
// claim; the Groth16 proof (snarkjs, the committed key); and the proof in the shape SolvencyGate takes.

import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import { ensureCircuit, PATHS } from "./circuit.js";
import { packClaim, SNARK_FIELD, type Claim } from "./layout.js";
import type { Hasher } from "./poseidon.js";
import type { MerkleProof } from "./tree.js";

/** The public signals in the circuit's order: root, nullifier, scope, message, predicate. */
export type PublicSignals = { root: bigint; nullifier: bigint; scope: bigint; message: bigint; predicate: bigint };

/** ISolvencyGate.Attestation. */
export type GateAttestation = {
  root: bigint;
  nullifier: bigint;
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
};

export type Attestation = {
  signals: PublicSignals;
  gate: GateAttestation;
  proof: snarkjs.Groth16Proof;
  publicSignals: string[];
};

export type WitnessInput = Record<string, string | string[]>;

/** The circuit's input. Nothing here checks the claim: a lying input fails at witness generation (the circuit). */
export function witnessInput(args: {
  hash: Hasher;
  secret: bigint;
  fields: bigint;
  path: MerkleProof;
  scope: bigint;
  message: bigint;
  claim: Claim;
}): WitnessInput {
  const nullifier = args.hash.two(args.scope, args.secret);
  return {
    root: args.path.root.toString(),
    nullifier: nullifier.toString(),
    scope: args.scope.toString(),
    message: args.message.toString(),
    predicate: packClaim(args.claim).toString(),
    secret: args.secret.toString(),
    fields: args.fields.toString(),
    index: args.path.index.toString(),
    depth: args.path.depth.toString(),
    siblings: args.path.siblings.map((s) => s.toString()),
  };
}

/** Proves an input with the committed key. Throws (the circuit's assertion) when the input does not satisfy it. */
export async function prove(input: WitnessInput): Promise<Attestation> {
  const { wasm } = await ensureCircuit();
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasm, PATHS.zkey);
  return fromSnarkjs(proof, publicSignals);
}

/** A snarkjs proof in the gate's shape: G2 limbs swapped (the verifier takes the imaginary part first). */
export function fromSnarkjs(proof: snarkjs.Groth16Proof, publicSignals: string[]): Attestation {
  const [root, nullifier, scope, message, predicate] = publicSignals.map(BigInt);
  const g2 = (i: number): [bigint, bigint] => [BigInt(proof.pi_b[i][1]), BigInt(proof.pi_b[i][0])];
  return {
    signals: { root, nullifier, scope, message, predicate },
    gate: {
      root,
      nullifier,
      a: [BigInt(proof.pi_a[0]), BigInt(proof.pi_a[1])],
      b: [g2(0), g2(1)],
      c: [BigInt(proof.pi_c[0]), BigInt(proof.pi_c[1])],
    },
    proof,
    publicSignals,
  };
}

/** Checks a proof off chain against the committed verification key. */
export async function verifyOffchain(proof: snarkjs.Groth16Proof, publicSignals: string[]): Promise<boolean> {
  const vkey = JSON.parse(readFileSync(PATHS.vkey, "utf8")) as object;
  return snarkjs.groth16.verify(vkey, publicSignals, proof);
}

/** A random field element (a secret), uniformly below the field. */
export function randomSecret(random: (bytes: number) => Uint8Array): bigint {
  for (;;) {
    const bytes = random(32);
    bytes[0] &= 0x3f; // < 2^254: a retry in about one case in four
    const value = BigInt("0x" + Buffer.from(bytes).toString("hex"));
    if (value !== 0n && value < SNARK_FIELD) return value;
  }
}

/** Ends snarkjs's worker threads, so a process can exit. */
export async function releaseProver(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
  if (curve) await curve.terminate();
  (globalThis as { curve_bn128?: unknown }).curve_bn128 = null;
}
