// The lean incremental Merkle tree of SolvencySnapshots and the circuit (zk/circuits/solvency.circom), rebuilt off
// chain: a node whose right sibling does not exist yet is carried up unhashed; depth = ⌈log2 size⌉ (0 for one leaf).
// A proof lists, for each of the circuit's MAX_DEPTH levels, the sibling hashed at that level, or 0 where the node is
// carried (and above the tree's depth).

import type { Hasher } from "./poseidon.js";

/** Levels the circuit and SolvencySnapshots allow. */
export const MAX_DEPTH = 24;

export type MerkleProof = { leaf: bigint; index: number; depth: number; root: bigint; siblings: bigint[] };

export class LeanTree {
  /** levels[0] are the leaves; levels[l] the nodes of level l. */
  private readonly levels: bigint[][] = [[]];
  private readonly hash: Hasher;

  constructor(hash: Hasher, leaves: readonly bigint[] = []) {
    this.hash = hash;
    for (const leaf of leaves) this.insert(leaf);
  }

  get size(): number {
    return this.levels[0].length;
  }

  /** ⌈log2 size⌉: the levels above the leaves. */
  get depth(): number {
    let depth = 0;
    while (2 ** depth < this.size) depth++;
    return depth;
  }

  /** The root (0n while empty), as SolvencySnapshots.root(). */
  get root(): bigint {
    if (this.size === 0) return 0n;
    return this.levels[this.depth][0];
  }

  leaf(index: number): bigint {
    return this.levels[0][index];
  }

  /** Appends a leaf and updates the one path it changes. */
  insert(leaf: bigint): void {
    if (this.size >= 2 ** MAX_DEPTH) throw new Error(`the tree is full (${2 ** MAX_DEPTH} leaves)`);
    this.levels[0].push(leaf);
    const depth = this.depth;
    let index = this.size - 1;
    let node = leaf;
    for (let level = 0; level < depth; level++) {
      const parent = index >> 1;
      if ((index & 1) === 1) node = this.hash.two(this.levels[level][index - 1], node);
      this.levels[level + 1] ??= [];
      this.levels[level + 1][parent] = node;
      index = parent;
    }
  }

  /** The proof of leaf `index` against the current root. */
  proof(index: number): MerkleProof {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new Error(`no leaf ${index} in a tree of ${this.size}`);
    }
    const depth = this.depth;
    const siblings: bigint[] = [];
    let at = index;
    for (let level = 0; level < MAX_DEPTH; level++) {
      const sibling = level < depth ? this.levels[level][at ^ 1] : undefined;
      siblings.push(sibling ?? 0n);
      at >>= 1;
    }
    return { leaf: this.leaf(index), index, depth, root: this.root, siblings };
  }
}

/** The root a proof's path leads to, as the circuit computes it (for checks off chain). */
export function rootOf(hash: Hasher, proof: Omit<MerkleProof, "root">): bigint {
  let node = proof.leaf;
  for (let level = 0; level < proof.depth; level++) {
    const sibling = proof.siblings[level];
    const right = ((proof.index >> level) & 1) === 1;
    if (sibling === 0n && right) throw new Error(`a right child with no left sibling at level ${level}`);
    if (sibling === 0n) continue;
    node = right ? hash.two(sibling, node) : hash.two(node, sibling);
  }
  return node;
}
