/**
 * The replay keeper's account snapshots in one call per block (`bench/contracts/sim/SimSnapshots.sol`): the same
 * `AccountSnapshot`s the keeper library's `readAccountSnapshots` builds from about eight calls per account, built
 * from one. The keeper bot keeps the library's calls (it talks to real nodes); the replay, on the in-process chain
 * where a call's fixed cost is most of a read's, takes them in one. `test/unit/SimSnapshots.test.ts` checks the two
 * give equal snapshots over healthy, unhealthy, flagged, doubted-price and failed-price accounts.
 */

import type { CollateralVault, LiquidationEngine, SimSnapshots } from "../../../typechain-types/index.js";
import {
  MAX_UINT256,
  decodeRevert,
  describeError,
  completeSnapshot,
  holdingPosition,
  liquiditySnapshot,
  quoteResult,
  readAccountSnapshots,
  type AccountSnapshot,
  type CollateralPosition,
  type PreviewResult,
} from "../keeper/index.js";

const FAILED = 2n; // IPriceOracle.Status.FAILED
/** Calls a block's snapshots are split into (measured on the 1,000-borrower bench: 1 call 8.7 s of keeper time, 2
 * calls 6.1 s, 4 calls 4.6 s, 8 calls 4.6 s; the library's eight calls per account 6.2 s). */
const CHUNKS = 4;

/** Gas each chunk's call may use: ample for its previews (a preview that ran short is refused on chain, below). */
const CHUNK_GAS = 30_000_000n;

/** `readAccountSnapshots(vault, engine, accounts, { blockTag, collaterals })`, from one call of `reader` per chunk. */
export async function snapshotsInOneCall(
  reader: SimSnapshots,
  vault: CollateralVault,
  engine: LiquidationEngine,
  accounts: readonly string[],
  options: { blockTag: number; collaterals: readonly string[]; gasLimit?: bigint },
): Promise<AccountSnapshot[]> {
  const { blockTag } = options;
  const gasLimit = options.gasLimit ?? CHUNK_GAS;
  const vaultAddress = await vault.getAddress();
  // In CHUNKS calls at once: the in-process chain runs concurrent calls on several threads.
  const size = Math.max(1, Math.ceil(accounts.length / CHUNKS));
  const chunks: string[][] = [];
  for (let k = 0; k < accounts.length; k += size) chunks.push(accounts.slice(k, k + size));
  const read = await Promise.all(
    chunks.map(async (chunk) => {
      try {
        const snaps = await reader.snapshots(vaultAddress, engine, chunk, [...options.collaterals], MAX_UINT256, {
          blockTag,
          gasLimit,
        });
        return await Promise.all(snaps.map((s, i) => snapshotOf(s, chunk[i], engine, blockTag)));
      } catch {
        // The chunk's call failed (a preview ran short of gas, or anything else): the library's own reads, exactly.
        return readAccountSnapshots(vault, engine, chunk, { blockTag, collaterals: options.collaterals });
      }
    }),
  );
  return read.flat();
}

type Snapshot = SimSnapshots.SnapshotStructOutput;
type Holding = SimSnapshots.HoldingStructOutput;

/** One account's snapshot as the library builds it, from `s`. */
async function snapshotOf(s: Snapshot, account: string, engine: LiquidationEngine, blockTag: number) {
  const snapshot = liquiditySnapshot(account, s.liq);
  if (!s.unhealthy) return snapshot;
  const positions: CollateralPosition[] = [];
  for (const h of s.holdings) {
    if (h.basePriceStatus === FAILED) snapshot.basePriceAvailable = false;
    const position = holdingPosition(h.asset, h.amount, h.collateralPrice, h.decimals);
    if (h.previewed) position.preview = await previewOf(h, engine, account, blockTag);
    positions.push(position);
  }
  return completeSnapshot(snapshot, positions, s.liquidatable, s.flaggedAt);
}

/** A holding's preview as the library reports it: the quote, or the revert described as `describeError` would. */
async function previewOf(
  h: Holding,
  engine: LiquidationEngine,
  account: string,
  blockTag: number,
): Promise<PreviewResult> {
  if (h.previewOk) return quoteResult(h.preview);
  // A custom error, a panic or a message: described from its data, as the library's describeError does.
  const decoded = h.previewError.length >= 10 ? decodeRevert(h.previewError) : undefined;
  if (decoded !== undefined) return { ok: false, error: `reverted: ${decoded}` };
  // Anything else: the library's own call, whatever it answers.
  try {
    return quoteResult(await engine.previewLiquidation(account, h.asset, MAX_UINT256, { blockTag }));
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
