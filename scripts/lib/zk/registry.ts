// The snapshot registry read back from the chain: every `Snapshot` event in index order and every `Synced` root; the
// tree of the synced leaves rebuilt from them (each synced root checked against the rebuilt tree's at its size, and
// the last against the contract's); and the anonymity set of a claim: the distinct accounts with a synced snapshot
// that satisfies it.

import type { SolvencySnapshots } from "../../../typechain-types/index.js";
import { satisfies, unpackFields, type Claim, type Fields } from "./layout.js";
import { leafOf, type Hasher } from "./poseidon.js";
import { LeanTree } from "./tree.js";

export type SnapshotRecord = {
  account: string;
  index: number;
  idCommitment: bigint;
  fields: bigint;
  unpacked: Fields;
  leaf: bigint;
  blockNumber: number;
};

/** `snapshots` in index order (synced or queued); `tree` holds the first `tree.size` of them, under `root`. */
export type Registry = { snapshots: SnapshotRecord[]; tree: LeanTree; root: bigint };

/** Blocks per log query; halved when a provider refuses a range. */
const RANGE = 5_000;

/** Reads every snapshot from `fromBlock` to the latest block and rebuilds the tree. */
export async function readRegistry(
  registry: SolvencySnapshots,
  hash: Hasher,
  options: { fromBlock?: number; progress?: (line: string) => void } = {},
): Promise<Registry> {
  const provider = registry.runner?.provider;
  if (!provider) throw new Error("the registry contract has no provider");
  const latest = await provider.getBlockNumber();
  const snapshots: SnapshotRecord[] = [];
  const roots = new Map<number, bigint>();
  let from = options.fromBlock ?? 0;
  let range = RANGE;
  while (from <= latest) {
    const to = Math.min(latest, from + range - 1);
    let events;
    let syncs;
    try {
      events = await registry.queryFilter(registry.filters.Snapshot(), from, to);
      syncs = await registry.queryFilter(registry.filters.Synced(), from, to);
    } catch (error) {
      if (range > 1) {
        range = Math.max(1, Math.floor(range / 2));
        continue;
      }
      throw error;
    }
    for (const e of events) {
      const fields = e.args.fields;
      snapshots.push({
        account: e.args.account,
        index: Number(e.args.index),
        idCommitment: e.args.idCommitment,
        fields,
        unpacked: unpackFields(fields),
        leaf: e.args.leaf,
        blockNumber: e.blockNumber,
      });
    }
    for (const e of syncs) roots.set(Number(e.args.size), e.args.root);
    if (to - from > 20_000) options.progress?.(`read snapshots to block ${to} of ${latest}`);
    from = to + 1;
  }
  snapshots.sort((a, b) => a.index - b.index);
  const synced = Number(await registry.synced());
  const tree = new LeanTree(hash);
  for (const [i, s] of snapshots.entries()) {
    if (s.index !== i) {
      throw new Error(`snapshot ${i} is missing from the logs (next seen: ${s.index}); try an earlier --from-block`);
    }
    if (leafOf(hash, s.idCommitment, s.fields) !== s.leaf) {
      throw new Error(`snapshot ${s.index}: its leaf is not Poseidon(idCommitment, fields, 1)`);
    }
    if (i >= synced) continue;
    tree.insert(s.leaf);
    const root = roots.get(tree.size);
    if (root !== undefined && root !== tree.root) {
      throw new Error(`the rebuilt root at ${tree.size} leaves differs from the registry's`);
    }
  }
  const root = await registry.root();
  if (tree.size !== synced || root !== tree.root) {
    throw new Error(
      `the rebuilt tree (${tree.size} of ${synced} synced leaves) differs from the registry's: a reorg or a missed log`,
    );
  }
  return { snapshots, tree, root };
}

/**
 * Distinct identities with a snapshot among the first `size` that satisfies `claim`: who a proof of it could be. An
 * account has one identity, but accounts may share one (a copied commitment, or a shared secret), so it is identities,
 * not accounts, that a proof hides among.
 */
export function anonymitySet(snapshots: readonly SnapshotRecord[], claim: Claim, size: number): Set<bigint> {
  const identities = new Set<bigint>();
  for (const s of snapshots.slice(0, size)) if (satisfies(s.unpacked, claim)) identities.add(s.idCommitment);
  return identities;
}

/**
 * The identity's latest snapshot among the first `size` (synced) that satisfies `claim` (undefined: none), its latest
 * snapshot at all, and its latest queued one that satisfies the claim (a `sync` would make it provable).
 */
export function pickSnapshot(
  snapshots: readonly SnapshotRecord[],
  idCommitment: bigint,
  claim: Claim,
  size: number,
): { match?: SnapshotRecord; latest?: SnapshotRecord; queued?: SnapshotRecord } {
  let match: SnapshotRecord | undefined;
  let latest: SnapshotRecord | undefined;
  let queued: SnapshotRecord | undefined;
  for (const s of snapshots) {
    if (s.idCommitment !== idCommitment) continue;
    latest = s;
    if (!satisfies(s.unpacked, claim)) continue;
    if (s.index < size) match = s;
    else queued = s;
  }
  return { match, latest, queued };
}
