// Poseidon over BN254 as circomlib's circuits and poseidon-solidity compute it (circomlibjs's implementation).

import { buildPoseidon, type Poseidon } from "circomlibjs";

export type Hasher = {
  /** Poseidon of one input: the identity commitment of a secret. */
  one(a: bigint): bigint;
  /** Poseidon of two inputs: leaves, tree nodes, nullifiers. */
  two(a: bigint, b: bigint): bigint;
};

let cached: Promise<Hasher> | undefined;

/** The hasher (built once per process). */
export function poseidon(): Promise<Hasher> {
  cached ??= buildPoseidon().then((p: Poseidon): Hasher => {
    const out = (inputs: bigint[]): bigint => p.F.toObject(p(inputs));
    return { one: (a) => out([a]), two: (a, b) => out([a, b]) };
  });
  return cached;
}
