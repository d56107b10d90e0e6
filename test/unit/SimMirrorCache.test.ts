/**
 * The replay's health mirror keeps each holding's part of an account's liquidity between blocks (vaultMirror.ts)
 * and recomputes only what moved. The attack on such a cache is a stale entry: a price, a status or a parameter
 * changed, or the account was read again, and the old part is still used. Over random sequences of all of those,
 * every account's mirrored liquidity must equal `liquidityOf` computed from scratch.
 */
import { expect } from "chai";

import { FAILED, OK, DEGRADED, liquidityOf, type MarketView } from "../../scripts/lib/sim/health.js";
import { Rng } from "../../scripts/lib/sim/population.js";
import type { SimMarket } from "../../scripts/lib/sim/simMarket.js";
import { VaultMirror, type BlockReads } from "../../scripts/lib/sim/vaultMirror.js";

const RAY = 10n ** 27n;
const WAD = 10n ** 18n;

describe("simulation health mirror: cached holding parts never go stale", () => {
  it("equals liquidityOf from scratch over random prices, statuses, parameters, refreshes and interest", async () => {
    const rng = new Rng("mirror-cache");
    const accounts = 40;
    const borrowers = Array.from({ length: accounts }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}`);
    // What the lens returns for each account: scaled debt and three holdings, changed by the test between reads.
    const scaled: bigint[] = borrowers.map(() => BigInt(Math.floor(rng.uniform(0, 1e6))) * 10n ** 6n);
    const holdings: bigint[][] = borrowers.map(() =>
      [0, 1, 2].map(() => (rng.next() < 0.4 ? 0n : BigInt(Math.floor(rng.uniform(1, 1e9))) * 10n ** 9n)),
    );
    const lens = {
      positions: async (_vault: string, _assets: string[], who: string[]) => {
        const index = who.map((a) => borrowers.indexOf(a));
        return [index.map((i) => scaled[i]), index.map((i) => [...holdings[i]])];
      },
    };
    const market = {
      borrowers,
      collaterals: [0, 1, 2].map((k) => ({ address: `0x${(100 + k).toString(16).padStart(40, "0")}` })),
      lens,
    } as unknown as SimMarket;
    const mirror = new VaultMirror({} as never, market, "0x" + "f".repeat(40));
    await mirror.refreshAll(0);

    const statuses = [OK, OK, OK, DEGRADED, FAILED];
    const price = () => {
      const low = BigInt(Math.floor(rng.uniform(1, 5000))) * WAD;
      const status = statuses[rng.pick([70, 0, 0, 20, 10])];
      return { low, high: status === DEGRADED ? low + low / 10n : low, status };
    };
    let view: MarketView = {
      base: { low: WAD, high: WAD, status: OK },
      baseUnit: 10n ** 6n,
      collaterals: [18n, 8n, 9n].map((d) => ({
        price: price(),
        unit: 10n ** d,
        borrowLtv: WAD / 2n,
        liquidationThreshold: (WAD * 6n) / 10n,
      })),
    };
    let index = RAY;
    let changedPrices = 0;
    let refreshed = 0;
    for (let block = 1; block <= 300; block++) {
      index += (index * BigInt(Math.floor(rng.uniform(0, 1000)))) / 10n ** 7n;
      // Mostly one price moves or none; sometimes a status or a parameter; sometimes the base.
      const collaterals = view.collaterals.map((c) => {
        const r = rng.next();
        if (r < 0.25) {
          changedPrices++;
          return { ...c, price: price() };
        }
        if (r < 0.28) return { ...c, liquidationThreshold: c.liquidationThreshold - WAD / 100n };
        if (r < 0.3) return { ...c, borrowLtv: c.borrowLtv - WAD / 100n };
        if (r < 0.33) return { ...c, price: { ...c.price, status: c.price.status === OK ? DEGRADED : OK } };
        return c;
      });
      const base = rng.next() < 0.1 ? { ...view.base, status: statuses[rng.pick([60, 0, 0, 25, 15])] } : view.base;
      view = { ...view, base, collaterals };
      // Some accounts change (a liquidation, a repayment) and are read again.
      const touched = borrowers.map((_, i) => i).filter(() => rng.next() < 0.05);
      for (const i of touched) {
        scaled[i] = rng.next() < 0.3 ? 0n : scaled[i] / 2n;
        // Holdings shrink, empty, or appear where there were none (a top-up in another asset).
        holdings[i] = holdings[i].map((h) => {
          const r = rng.next();
          if (r < 0.3) return h / 3n;
          if (r < 0.4) return 0n;
          if (r < 0.6 && h === 0n) return BigInt(Math.floor(rng.uniform(1, 1e9))) * 10n ** 9n;
          return h;
        });
      }
      if (touched.length > 0) {
        refreshed += touched.length;
        await mirror.refresh(touched, block);
      }
      const reads = { block, view, borrowIndex: index, samples: [] } as unknown as BlockReads;
      const mirrored = mirror.liquidities(block, reads);
      borrowers.forEach((_, i) => {
        const debt = scaled[i] === 0n ? 0n : (scaled[i] * index + RAY - 1n) / RAY;
        expect(mirrored[i], `account ${i} at block ${block}`).to.deep.equal(liquidityOf(view, debt, holdings[i]));
      });
    }
    expect(changedPrices, "prices moved").to.be.greaterThan(100);
    expect(refreshed, "accounts read again").to.be.greaterThan(200);
  });
});
