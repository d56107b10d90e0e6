/**
 * The replay keeper reads its account snapshots in one call per chunk of accounts (scripts/lib/sim/keeperSnapshots.ts,
 * bench/contracts/sim/SimSnapshots.sol) instead of the keeper library's eight calls per account. Its decisions must not
 * change: the two must give equal snapshots for healthy accounts, unhealthy ones, flagged ones, ones whose preview
 * reverts, under a doubted price and under a failed one.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { readAccountSnapshots, type AccountSnapshot } from "../../scripts/lib/keeper/index.js";
import { answerOf } from "../../scripts/lib/sim/driver.js";
import { inProcessSource } from "../../scripts/lib/sim/inProcess.js";
import { FAILED, underwater } from "../../scripts/lib/sim/health.js";
import { MAX_CALL_GAS, snapshotsInOneCall } from "../../scripts/lib/sim/keeperSnapshots.js";
import { VaultMirror } from "../../scripts/lib/sim/vaultMirror.js";
import { IN_PROCESS_CHAIN } from "../../scripts/lib/sim/run.js";
import { COLLATERAL_ASSETS, BASE_ASSET } from "../../scripts/lib/sim/scenarios.js";
import { buildMarket, priceWadOf, STALENESS_GRACE } from "../../scripts/lib/sim/simMarket.js";

describe("simulation keeper: snapshots in one call equal the keeper library's", function () {
  this.timeout(300_000);

  it("for healthy, unhealthy, flagged and unpreviewable accounts, under OK, doubted and failed prices", async () => {
    const { ethers } = await network.create({ override: IN_PROCESS_CHAIN });
    const specs = [BASE_ASSET, ...COLLATERAL_ASSETS.filter((a) => a.symbol === "WETH" || a.symbol === "WBTC")];
    const source = inProcessSource(specs.map((spec) => ({ spec, startPriceWad: priceWadOf(spec.defaultPrice) })));
    const market = await buildMarket(ethers, source, { accounts: 40, seed: "snapshots", params: "static" });
    const collaterals = market.collaterals.map((a) => a.address);
    const [weth, wbtc] = market.collaterals;
    const seen = {
      unhealthy: 0,
      flagged: 0,
      previewFailed: 0,
      previewOk: 0,
      priceUnavailable: 0,
      baseFailed: 0,
      states: 0,
      unreadUnderwater: 0,
      unreadFailed: 0,
      readLiquidatable: 0,
    };
    const mirror = new VaultMirror(ethers, market, await market.vault.getAddress());

    const compare = async (): Promise<void> => {
      const blockTag = await ethers.provider.getBlockNumber();
      const accounts = market.borrowers;
      const library = await readAccountSnapshots(market.vault, market.engine, accounts, { blockTag, collaterals });
      const stats = { calls: 0, fallbacks: 0 };
      const batched = await snapshotsInOneCall(market.snapshots, market.vault, market.engine, accounts, {
        blockTag,
        collaterals,
        stats,
      });
      expect(batched).to.deep.equal(library);
      // The replay keeper leaves unread the accounts the mirror says cannot be liquidated: none of them may be.
      await mirror.readCeilings(blockTag);
      await mirror.refreshAll(blockTag);
      const reads = await mirror.readBlock(blockTag, 10n ** 6n);
      const liquidities = mirror.liquidities(blockTag, reads);
      library.forEach((snapshot, i) => {
        if (mirror.mayBeLiquidatable(i, liquidities[i].debt, reads)) return;
        expect(snapshot.liquidatable, `${snapshot.account}: left unread, but liquidatable`).to.equal(false);
        if (!underwater(liquidities[i])) return;
        seen.unreadUnderwater++;
        if (liquidities[i].priceStatus === FAILED) seen.unreadFailed++;
      });
      seen.readLiquidatable += library.filter(
        (snapshot, i) => snapshot.liquidatable && mirror.mayBeLiquidatable(i, liquidities[i].debt, reads),
      ).length;
      // Read in one call per chunk, not the library's way: equal snapshots alone would not show it.
      expect(stats).to.deep.equal({ calls: 8, fallbacks: 0 });
      seen.states++;
      const unhealthy = library.filter((s: AccountSnapshot) => s.collaterals.length > 0);
      seen.unhealthy += unhealthy.length;
      seen.flagged += library.filter((s) => s.flaggedAt > 0n).length;
      seen.baseFailed += library.filter((s) => !s.basePriceAvailable && s.debt > 0n).length;
      for (const s of unhealthy) {
        for (const c of s.collaterals) {
          if (!c.priceAvailable) seen.priceUnavailable++;
          if (c.preview?.ok === true) seen.previewOk++;
          if (c.preview?.ok === false) seen.previewFailed++;
        }
      }
    };
    const now = async (): Promise<number> => (await ethers.provider.getBlock("latest"))?.timestamp ?? 0;
    const publish = async (asset: typeof weth, usd: number): Promise<void> => {
      await ethers.provider.send("evm_mine", []);
      const tx = await asset.publish(answerOf(priceWadOf(usd)), await now());
      await ethers.provider.getTransactionReceipt(tx);
    };

    await compare(); // as opened: everyone healthy
    await publish(weth, 3000 * 0.88);
    await publish(weth, 3000 * 0.82);
    await publish(wbtc, 60000 * 0.85);
    await compare(); // confirmed falls: unhealthy accounts, previews
    for (const account of market.borrowers.slice(0, 20)) {
      await market.engine
        .connect(market.keeper)
        .flag(account)
        .then(
          (tx) => tx.wait(),
          () => undefined,
        );
    }
    await compare(); // some flagged
    await publish(weth, 3000 * 0.82 * 0.7); // a 30% jump: doubted (DEGRADED)
    await compare();
    // Time passes beyond WBTC's heartbeat and the grace with no WBTC round: its price is FAILED (WETH's is fresh).
    await ethers.provider.send("evm_mine", [(await now()) + wbtc.spec.heartbeat + STALENESS_GRACE + 60]);
    await publish(weth, 3000 * 0.82 * 0.7);
    await compare();
    // A day later with only the collaterals' feeds fresh: the base price is FAILED (debt value 2^256 − 1).
    await ethers.provider.send("evm_mine", [(await now()) + 86_400 + STALENESS_GRACE + 60]);
    await publish(weth, 3000 * 0.82 * 0.7);
    await publish(wbtc, 60000 * 0.85);
    await compare();
    // A chunk whose call fails (here: too little gas for its previews) is read with the library's calls instead.
    const blockTag = await ethers.provider.getBlockNumber();
    const unhealthy = market.borrowers.slice(0, 12);
    const vaultAddress = await market.vault.getAddress();
    await expect(
      market.snapshots.snapshots(vaultAddress, market.engine, unhealthy, collaterals, 2n ** 256n - 1n, {
        blockTag,
        gasLimit: 2_000_000n,
      }),
      "the short chunk's own call fails",
    ).to.be.rejected;
    const shortStats = { calls: 0, fallbacks: 0 };
    const fallback = await snapshotsInOneCall(market.snapshots, market.vault, market.engine, unhealthy, {
      blockTag,
      collaterals,
      gasLimit: 2_000_000n,
      stats: shortStats,
    });
    expect(shortStats.fallbacks, "chunks read the library's way").to.be.greaterThan(0);
    expect(fallback).to.deep.equal(
      await readAccountSnapshots(market.vault, market.engine, unhealthy, { blockTag, collaterals }),
    );

    // Any other failure is thrown, not hidden by the library's reads: a call over the chain's gas cap (refused before
    // it runs: every chunk once asked for 30M and every read silently went the slow way), or a reader pointed at the
    // wrong contract.
    await expect(
      snapshotsInOneCall(market.snapshots, market.vault, market.engine, unhealthy, {
        blockTag,
        collaterals,
        gasLimit: MAX_CALL_GAS + 1n,
      }),
    ).to.be.rejectedWith(/at most 16777216 gas/);
    await expect(
      market.snapshots.snapshots(vaultAddress, market.engine, unhealthy, collaterals, 1n, {
        blockTag,
        gasLimit: MAX_CALL_GAS + 1n,
      }),
      "the chain refuses a call over its cap",
    ).to.be.rejected;
    const wrongVault = market.engine as unknown as typeof market.vault;
    const wrongStats = { calls: 0, fallbacks: 0 };
    await expect(
      snapshotsInOneCall(market.snapshots, wrongVault, market.engine, unhealthy, {
        blockTag,
        collaterals,
        stats: wrongStats,
      }),
    ).to.be.rejected;
    expect(wrongStats.fallbacks, "no library reads after a failure that is not PreviewGasShort").to.equal(0);

    expect(seen.states).to.equal(6);
    expect(seen.unreadUnderwater, "underwater at the low bounds, left unread").to.be.greaterThan(0);
    expect(seen.unreadFailed, "of them, at a FAILED price (valued at the ceiling)").to.be.greaterThan(0);
    expect(seen.readLiquidatable, "liquidatable accounts the mirror reads").to.be.greaterThan(0);
    expect(seen.baseFailed, "accounts with a FAILED base price").to.be.greaterThan(0);
    expect(seen.unhealthy, "unhealthy accounts compared").to.be.greaterThan(10);
    expect(seen.flagged, "flagged accounts compared").to.be.greaterThan(0);
    expect(seen.previewOk, "previews that quote").to.be.greaterThan(0);
    expect(seen.previewFailed, "previews that revert").to.be.greaterThan(0);
    expect(seen.priceUnavailable, "holdings at a failed price").to.be.greaterThan(0);
  });
});
