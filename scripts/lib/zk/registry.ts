// The snapshot registry read back from the chain: every `Snapshot` event in index order, the tree rebuilt from them
// (each event's root checked against the rebuilt tree's, and the last against the contract's), and the anonymity
// set of a claim: the distinct accounts with a snapshot in the tree that satisfies it.

import type { SolvencySnapshots } from "../../../typechain-types/index.js";
import { satisfies, unpackFields, type Claim, type Fields } from "./layout.js";
import type { Hasher } from "./poseidon.js";
import { LeanTree } from "./tree.js";

export type SnapshotRecord = {
  account: string;
  index: number;
  idCommitment: bigint;
  fields: bigint;
  unpacked: Fields;
  leaf: bigint;
  root: bigint;
  blockNumber: number;
};

export type Registry = { snapshots: SnapshotRecord[]; tree: LeanTree };

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
  const filter = registry.filters.Snapshot();
  const snapshots: SnapshotRecord[] = [];
  let from = options.fromBlock ?? 0;
  let range = RANGE;
  while (from <= latest) {
    const to = Math.min(latest, from + range - 1);
    let events;
    try {
      events = await registry.queryFilter(filter, from, to);
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
        root: e.args.root,
        blockNumber: e.blockNumber,
      });
    }
    if (to - from > 20_000) options.progress?.(`read snapshots to block ${to} of ${latest}`);
    from = to + 1;
  }
  snapshots.sort((a, b) => a.index - b.index);
  const tree = new LeanTree(hash);
  for (const s of snapshots) {
    if (s.index !== tree.size) {
      throw new Error(
        `snapshot ${tree.size} is missing from the logs (next seen: ${s.index}); try an earlier --from-block`,
      );
    }
    if (hash.two(s.idCommitment, s.fields) !== s.leaf)
      throw new Error(`snapshot ${s.index}: its leaf is not Poseidon(idCommitment, fields)`);
    tree.insert(s.leaf);
    if (tree.root !== s.root) throw new Error(`snapshot ${s.index}: the rebuilt root differs from the event's`);
  }
  const onChain = await registry.root();
  if (onChain !== tree.root) {
    throw new Error(
      `the rebuilt tree's root differs from the registry's (${tree.size} leaves read): a reorg or a missed log`,
    );
  }
  return { snapshots, tree };
}

/** Distinct accounts with a snapshot that satisfies `claim`: who a proof of it could be. */
export function anonymitySet(snapshots: readonly SnapshotRecord[], claim: Claim): Set<string> {
  const accounts = new Set<string>();
  for (const s of snapshots) if (satisfies(s.unpacked, claim)) accounts.add(s.account.toLowerCase());
  return accounts;
}

/** The latest snapshot of an identity that satisfies `claim` (undefined: none), and the identity's latest at all. */
export function pickSnapshot(
  snapshots: readonly SnapshotRecord[],
  idCommitment: bigint,
  claim: Claim,
): { match?: SnapshotRecord; latest?: SnapshotRecord } {
  let match: SnapshotRecord | undefined;
  let latest: SnapshotRecord | undefined;
  for (const s of snapshots) {
    if (s.idCommitment !== idCommitment) continue;
    latest = s;
    if (satisfies(s.unpacked, claim)) match = s;
  }
  return { match, latest };
}
