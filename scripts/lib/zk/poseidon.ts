// Poseidon over BN254 as circomlib's circuits and poseidon-solidity compute it (circomlibjs's implementation).

import { buildPoseidon, type Poseidon } from "circomlibjs";

export type Hasher = {
  /** Poseidon of one input: the identity commitment of a secret. */
  one(a: bigint): bigint;
  /** Poseidon of two inputs: tree nodes, nullifiers. */
  two(a: bigint, b: bigint): bigint;
  /** Poseidon of three inputs: leaves (`leafOf`). */
  three(a: bigint, b: bigint, c: bigint): bigint;
};

/** The third input of a leaf's hash (SolvencySnapshots.LEAF_DOMAIN): leaves are Poseidon(3), nodes Poseidon(2). */
export const LEAF_DOMAIN = 1n;

/** A snapshot's leaf, as SolvencySnapshots and the circuit hash it. */
export function leafOf(hash: Hasher, idCommitment: bigint, fields: bigint): bigint {
  return hash.three(idCommitment, fields, LEAF_DOMAIN);
}

let cached: Promise<Hasher> | undefined;

/** The hasher (built once per process). */
export function poseidon(): Promise<Hasher> {
  cached ??= buildPoseidon().then((p: Poseidon): Hasher => {
    const out = (inputs: bigint[]): bigint => p.F.toObject(p(inputs));
    return { one: (a) => out([a]), two: (a, b) => out([a, b]), three: (a, b, c) => out([a, b, c]) };
  });
  return cached;
}
