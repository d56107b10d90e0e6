/**
 * The replay keeper's account snapshots in one call per block (`bench/contracts/sim/SimSnapshots.sol`): the same
 * `AccountSnapshot`s the keeper library's `readAccountSnapshots` builds from about eight calls per account, built
 * from one. The keeper bot keeps the library's calls (it talks to real nodes); the replay, on the in-process chain
 * where a call's fixed cost is most of a read's, takes them in one. `test/unit/SimSnapshots.test.ts` checks the two
 * give equal snapshots over healthy, unhealthy, flagged, doubted-price and failed-price accounts.
 */
import { getAddress } from "ethers";

import type { LiquidationEngine, SimSnapshots } from "../../../typechain-types/index.js";
import {
  MAX_UINT256,
  decodeRevert,
  describeError,
  liquiditySnapshot,
  type AccountSnapshot,
  type CollateralPosition,
  type PreviewResult,
} from "../keeper/index.js";

const FAILED = 2n; // IPriceOracle.Status.FAILED
/** Calls a block's snapshots are split into (measured on the 1,000-borrower bench: 1 call 8.7 s of keeper time, 2
 * calls 6.1 s, 4 calls 4.6 s, 8 calls 4.6 s; the library's eight calls per account 6.2 s). */
const CHUNKS = 4;

/** `readAccountSnapshots(vault, engine, accounts, { blockTag, collaterals })`, from one call of `reader`. */
export async function snapshotsInOneCall(
  reader: SimSnapshots,
  vault: string,
  engine: LiquidationEngine,
  accounts: readonly string[],
  options: { blockTag: number; collaterals: readonly string[] },
): Promise<AccountSnapshot[]> {
  const { blockTag } = options;
  // In CHUNKS calls at once: the in-process chain runs concurrent calls on several threads.
  const size = Math.max(1, Math.ceil(accounts.length / CHUNKS));
  const chunks: string[][] = [];
  for (let k = 0; k < accounts.length; k += size) chunks.push(accounts.slice(k, k + size));
  const read = (
    await Promise.all(
      chunks.map((chunk) =>
        reader.snapshots(vault, engine, chunk, [...options.collaterals], MAX_UINT256, { blockTag }),
      ),
    )
  ).flat();
  return Promise.all(
    read.map(async (s, i): Promise<AccountSnapshot> => {
      const account = accounts[i];
      const snapshot = liquiditySnapshot(account, s.liq);
      if (!s.unhealthy) return snapshot;
      const positions: CollateralPosition[] = [];
      for (const h of s.holdings) {
        const priceAvailable = h.collateralPrice.status !== FAILED;
        const value = priceAvailable ? (h.amount * h.collateralPrice.low) / 10n ** h.decimals : 0n;
        if (h.basePriceStatus === FAILED) snapshot.basePriceAvailable = false;
        const position: CollateralPosition = { asset: getAddress(h.asset), amount: h.amount, value, priceAvailable };
        if (h.previewed) position.preview = await previewOf(h, engine, account, blockTag);
        positions.push(position);
      }
      snapshot.collaterals = positions;
      snapshot.flaggedAt = s.flaggedAt;
      snapshot.liquidatable =
        s.liquidatable || positions.some((position) => position.preview !== undefined && position.preview.ok);
      return snapshot;
    }),
  );
}

type Holding = Awaited<ReturnType<SimSnapshots["snapshots"]>>[number]["holdings"][number];

/** A holding's preview as the library reports it: the quote, or the revert described as `describeError` would. */
async function previewOf(
  h: Holding,
  engine: LiquidationEngine,
  account: string,
  blockTag: number,
): Promise<PreviewResult> {
  if (h.previewOk) {
    const q = h.preview;
    return { ok: true, repay: q.repay, seize: q.seize, fee: q.fee, bonus: q.bonus, writeOff: q.writeOff };
  }
  const decoded = h.previewError === "0x" ? undefined : decodeRevert(h.previewError);
  if (decoded !== undefined) return { ok: false, error: `reverted: ${decoded}` };
  // Revert data no interface decodes: ask the engine itself, as the library does, for the same description.
  try {
    await engine.previewLiquidation(account, h.asset, MAX_UINT256, { blockTag });
    return { ok: false, error: "reverted without a reason" };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
