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
  revertData,
  type AccountSnapshot,
  type CollateralPosition,
  type PreviewResult,
} from "../keeper/index.js";

const FAILED = 2n; // IPriceOracle.Status.FAILED
/**
 * Calls a block's snapshots are split into. Smaller calls are cheaper per account (one call's memory grows with every
 * account it reads) and the in-process chain runs concurrent calls on several threads. Measured on the 1,000-borrower
 * bench day (keeper.select, BULWARK_PROFILE=1): 1 call 8.3 s, 2 calls 4.5 s, 4 calls 3.8 s, 8 calls 3.3 s, 16 calls
 * 3.6 s, 40 calls 3.7 s.
 */
const CHUNKS = 8;

/**
 * The most gas one call may carry on the in-process chain: EIP-7825's per-transaction cap (2^24), which EDR applies to
 * `eth_call` too. A call asking for more is refused outright, before it runs.
 */
export const MAX_CALL_GAS = 16_777_216n;

/** Gas each chunk's call may use: under the cap, and ample for its previews (a preview that ran short is refused on
 * chain, below, and read the library's way). */
const CHUNK_GAS = 16_000_000n;

/** How the reads went: chunk calls made, and chunks read the library's way because a preview ran short of gas. */
export interface SnapshotStats {
  calls: number;
  fallbacks: number;
}

/**
 * `readAccountSnapshots(vault, engine, accounts, { blockTag, collaterals })`, from one call of `reader` per chunk.
 * A chunk whose call reverts with `PreviewGasShort` is read with the library's calls; any other failure is thrown
 * (a fallback for every error once hid that every call was refused: asking for more gas than the chain's cap).
 */
export async function snapshotsInOneCall(
  reader: SimSnapshots,
  vault: CollateralVault,
  engine: LiquidationEngine,
  accounts: readonly string[],
  options: { blockTag: number; collaterals: readonly string[]; gasLimit?: bigint; stats?: SnapshotStats },
): Promise<AccountSnapshot[]> {
  const { blockTag, stats } = options;
  const gasLimit = options.gasLimit ?? CHUNK_GAS;
  if (gasLimit > MAX_CALL_GAS)
    throw new Error(`a snapshot call may carry at most ${MAX_CALL_GAS} gas, not ${gasLimit}`);
  const vaultAddress = await vault.getAddress();
  // In CHUNKS calls at once: the in-process chain runs concurrent calls on several threads.
  const size = Math.max(1, Math.ceil(accounts.length / CHUNKS));
  const chunks: string[][] = [];
  for (let k = 0; k < accounts.length; k += size) chunks.push(accounts.slice(k, k + size));
  const read = await Promise.all(
    chunks.map(async (chunk) => {
      let snaps: Snapshot[];
      try {
        if (stats !== undefined) stats.calls++;
        snaps = await reader.snapshots(vaultAddress, engine, chunk, [...options.collaterals], MAX_UINT256, {
          blockTag,
          gasLimit,
        });
      } catch (error) {
        if (!previewGasShort(reader, error)) throw error;
        // A preview would have run short of gas: the library's own reads, exactly.
        if (stats !== undefined) stats.fallbacks++;
        return readAccountSnapshots(vault, engine, chunk, { blockTag, collaterals: options.collaterals });
      }
      return Promise.all(snaps.map((s, i) => snapshotOf(s, chunk[i], engine, blockTag)));
    }),
  );
  return read.flat();
}

/** Whether `error` is the reader's `PreviewGasShort` revert. */
function previewGasShort(reader: SimSnapshots, error: unknown): boolean {
  const data = revertData(error);
  if (data === undefined) return false;
  try {
    return reader.interface.parseError(data)?.name === "PreviewGasShort";
  } catch {
    return false;
  }
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
