/**
 * Issue 25: the snapshot registry. Its synced tree equals the TypeScript tree root for root over hundreds of random
 * snapshots and syncs (depth growing from 0 to 8), every root it had stays known, a leaf records exactly what Bulwark's views
 * say, and nobody snapshots a doubted or stale price, a debt-free account, a bad identity or a full tree. It holds no
 * tokens and writes only its own storage (a trace of a snapshot shows no other contract's SSTORE and no value sent).
 */
import { expect } from "chai";
import { MaxUint256, Wallet } from "ethers";
import { network } from "hardhat";

import { packFields, SNARK_FIELD, unpackFields } from "../../scripts/lib/zk/layout.js";
import { leafOf, poseidon } from "../../scripts/lib/zk/poseidon.js";
import { LeanTree, MAX_DEPTH, rootOf } from "../../scripts/lib/zk/tree.js";
import { Rng } from "../../scripts/lib/sim/population.js";
import { collateral } from "../../scripts/lib/testMarket.js";
import { deployZkMarket, snapshotEvent, takeSnapshot, type ZkMarket } from "../../scripts/lib/zk/market.js";
import { usd, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

const fixture = (): Promise<ZkMarket> => deployZkMarket(ethers, 6);

describe("ZK solvency snapshots (issue 25)", function () {
  it("the synced tree equals the TypeScript tree root for root over 200 random snapshots of 40 borrowers and syncs, depth 0 to 8", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const hash = await poseidon();
    const leaves: bigint[] = [];
    const rng = new Rng("issue-25");
    const random = (): number => rng.next();
    const roots = new Map<bigint, number>();
    const depths = new Set<number>();
    const signers = [...f.borrowers, f.edge];
    const ids = new Map<string, bigint>();
    await expect(f.registry.sync(0)).to.be.revertedWithCustomError(f.registry, "NothingToSync");
    const sync = async (maxLeaves: number): Promise<void> => {
      const before = Number(await f.registry.synced());
      const receipt = await (await f.registry.sync(maxLeaves)).wait();
      const event = f.registry.interface.parseLog(receipt!.logs.at(-1)!)!;
      const size = Number(event.args.size as bigint);
      const queued = leaves.length - before;
      expect(size).to.equal(before + (maxLeaves === 0 ? queued : Math.min(maxLeaves, queued)));
      const tree = new LeanTree(hash, leaves.slice(0, size));
      expect(event.args.root as bigint).to.equal(tree.root, `root at ${size} leaves`);
      expect(await f.registry.root()).to.equal(tree.root);
      expect(await f.registry.synced()).to.equal(BigInt(size));
      roots.set(tree.root, size);
      depths.add(tree.depth);
    };
    // 40 borrowers, five rounds in a random order each, a snapshot each per round (an account snapshots at most once
    // every SNAPSHOT_INTERVAL: the rounds are 15 minutes apart).
    const weth = collateral(f.market, "WETH");
    for (let k = signers.length; k < 40; k++) {
      const wallet = Wallet.createRandom().connect(ethers.provider);
      await networkHelpers.setBalance(wallet.address, 10n ** 19n);
      await (await weth.mint(wallet.address, wad("10"))).wait();
      await (await weth.connect(wallet).approve(f.market.vault, MaxUint256)).wait();
      await (await f.market.vault.connect(wallet).depositCollateral(weth, wad("10"), wallet.address)).wait();
      await (await f.market.vault.connect(wallet).borrow(usd(String(1000 + 300 * k)), wallet.address)).wait();
      signers.push(wallet as unknown as (typeof signers)[number]);
    }
    let i = 0;
    for (let round = 0; round < 5; round++) {
      const order = [...signers].sort(() => random() - 0.5);
      for (const who of order) {
        // One identity per account: its first snapshot binds it; another is refused.
        const bound = ids.get(who.address);
        const id = bound ?? 1n + BigInt(Math.floor(random() * 2 ** 52)) * 7919n;
        ids.set(who.address, id);
        if (bound !== undefined && random() < 0.03) {
          await expect(f.registry.connect(who).snapshot(id + 1n))
            .to.be.revertedWithCustomError(f.registry, "IdentityMismatch")
            .withArgs(id);
        }
        const { account, index, idCommitment, fields, leaf } = snapshotEvent(
          f.registry,
          await takeSnapshot(f.registry, who, id),
        );
        expect(account).to.equal(who.address);
        expect(index).to.equal(BigInt(i));
        expect(idCommitment).to.equal(id);
        expect(leaf).to.equal(leafOf(hash, id, fields));
        leaves.push(leaf);
        // Sync now and then, by one leaf, a few, or all queued: every size gets its root.
        if (i === 0 || random() < 0.35) await sync([1, 1, 2, 3, 0][Math.floor(random() * 5)]);
        i++;
      }
      await networkHelpers.time.increase(15 * 60);
      await f.market.heartbeat();
    }
    await sync(0);
    await expect(f.registry.sync(0)).to.be.revertedWithCustomError(f.registry, "NothingToSync");
    expect(await f.registry.size()).to.equal(200n);
    expect(depths.has(0) && depths.has(8) && depths.size >= 7, [...depths].join(",")).to.equal(true);
    // Every root the tree had stays known, with the size it had.
    for (const [root, size] of roots) expect(await f.registry.sizeAtRoot(root)).to.equal(BigInt(size));
    expect(roots.size).to.be.greaterThan(60);
    expect(await f.registry.isKnownRoot(12345n)).to.equal(false);
    // Every leaf's path leads to the root, as the circuit computes it.
    const tree = new LeanTree(hash, leaves);
    for (const index of [0, 1, 2, 127, 128, 129, 198, 199]) {
      const proof = tree.proof(index);
      expect(proof.siblings.length).to.equal(MAX_DEPTH);
      expect(rootOf(hash, proof)).to.equal(tree.root);
    }
  });

  it("a leaf records exactly what the vault, the lens, the engine and the risk manager say, flag included", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const { vault, lens, engine } = f.market;
    const weth = await collateral(f.market, "WETH").getAddress();
    const check = async (account: string, flagged: boolean): Promise<void> => {
      const word = await f.registry.fieldsOf(account);
      const fields = unpackFields(word);
      const block = await ethers.provider.getBlock("latest");
      expect(fields.health).to.equal(await lens.healthFactor(vault, account));
      expect(fields.debt).to.equal(await vault.debtOf(account));
      expect(fields.score).to.equal((await f.riskManager.riskScore(account)) / 10n ** 12n);
      expect(fields.time).to.equal(BigInt(block!.timestamp));
      expect(fields.flagged).to.equal(flagged);
      expect(packFields(fields)).to.equal(word);
    };
    for (const b of f.borrowers) await check(b.address, false);
    await check(f.edge.address, false);
    // 10% down (inside the adapter's jump bound, so the price stays OK): the edge account is liquidatable; flagged.
    await (await f.market.prices.set(weth, wad("2700"))).wait();
    expect(await vault.isLiquidatable(f.edge)).to.equal(true);
    await (await engine.flag(f.edge)).wait();
    expect(await engine.flaggedAt(f.edge)).to.not.equal(0n);
    await check(f.edge.address, true);
    const event = snapshotEvent(f.registry, await takeSnapshot(f.registry, f.edge, 99n));
    expect(unpackFields(event.fields).flagged).to.equal(true);
    expect(unpackFields(event.fields).health < wad("1")).to.equal(true);
  });

  it("refuses a doubted price, a stale price, no or dust debt, a bad or second identity, a second snapshot within 15 minutes and a full tree", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const [b, other] = f.borrowers;
    const [, lender, , , , , , , , , , , , , , , , , dusty] = await ethers.getSigners();
    const weth = collateral(f.market, "WETH");
    const snap = f.registry.connect(b);
    await expect(snap.snapshot(0n)).to.be.revertedWithCustomError(f.registry, "BadIdCommitment").withArgs(0n);
    await expect(snap.snapshot(SNARK_FIELD)).to.be.revertedWithCustomError(f.registry, "BadIdCommitment");
    await expect(f.registry.connect(lender).snapshot(1n)).to.be.revertedWithCustomError(f.registry, "NoDebt");
    // A reverted snapshot binds no identity: the lender may later snapshot with another.
    expect(await f.registry.hasIdentity(lender)).to.equal(false);
    // Debt worth less than the engine's dust value ($100): a throwaway account, refused.
    await (await weth.mint(dusty.address, wad("1"))).wait();
    await (await weth.connect(dusty).approve(f.market.vault, MaxUint256)).wait();
    await (await f.market.vault.connect(dusty).depositCollateral(weth, wad("1"), dusty.address)).wait();
    await (await f.market.vault.connect(dusty).borrow(usd("50"), dusty.address)).wait();
    await expect(f.registry.connect(dusty).snapshot(5n)).to.be.revertedWithCustomError(f.registry, "DustDebt");
    // A 30% unconfirmed fall: the adapter doubts WETH (DEGRADED).
    await (await f.market.prices.set(await weth.getAddress(), wad("2100"))).wait();
    await expect(snap.snapshot(1n)).to.be.revertedWithCustomError(f.registry, "PriceNotOk").withArgs(1);
    await expect(f.registry.fieldsOf(b)).to.be.revertedWithCustomError(f.registry, "PriceNotOk");
    // The next round confirms it: OK again.
    await (await f.market.prices.set(await weth.getAddress(), wad("2100"))).wait();
    await (await snap.snapshot(1n)).wait();
    expect(await f.registry.hasIdentity(b)).to.equal(true);
    expect(await f.registry.canUseIdentity(b, 1n)).to.equal(true);
    expect(await f.registry.canUseIdentity(b, 2n)).to.equal(false);
    // Once every 15 minutes per account: the tree's leaves are shared.
    const next = await f.registry.nextSnapshotAt(b);
    expect(next).to.equal(BigInt(await networkHelpers.time.latest()) + 15n * 60n);
    await expect(snap.snapshot(1n)).to.be.revertedWithCustomError(f.registry, "SnapshotTooSoon").withArgs(next);
    await expect(snap.snapshot(2n)).to.be.revertedWithCustomError(f.registry, "IdentityMismatch");
    // Another account may use b's (public) commitment: it cannot prove without b's secret, and b could then prove
    // with that account's leaf, as if they shared the secret; one nullifier per identity and scope either way, and
    // zk:prove counts identities, not accounts.
    await (await f.registry.connect(other).snapshot(1n)).wait();
    // Stale: two hours with no round.
    await networkHelpers.time.increase(2 * 3600);
    await expect(snap.snapshot(1n)).to.be.revertedWithCustomError(f.registry, "PriceNotOk");
    expect(await f.registry.size()).to.equal(2n);
    await f.market.heartbeat();
    // A full tree: the size slot set to 2^MAX_DEPTH.
    await networkHelpers.setStorageAt(await f.registry.getAddress(), 0, 2n ** BigInt(MAX_DEPTH));
    await expect(snap.snapshot(1n)).to.be.revertedWithCustomError(f.registry, "TreeFull");
  });

  it("a position that exists only inside one transaction is never attested: only a plain EOA's own transaction snapshots", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const weth = collateral(f.market, "WETH");
    // A contract borrower: 1,000 WETH in (a flash loan's), the snapshot at health above 18, the WETH out, in one
    // transaction. Refused: a contract (or an EOA with delegated code) runs code of its own before the reading.
    const attacker = await ethers.deployContract("FlashSnapshotter", [f.market.vault, f.registry]);
    await (await weth.mint(attacker, wad("1010"))).wait();
    await (await attacker.open(weth, wad("10"), usd("23000"))).wait();
    await expect(attacker.flashSnapshot(weth, wad("1000"), 3n)).to.be.revertedWithCustomError(f.registry, "NotAnEoa");
    expect(await f.registry.hasIdentity(attacker)).to.equal(false);
    expect(await f.registry.size()).to.equal(0n);
  });

  it("holds no tokens and writes only its own storage: a traced snapshot has no SSTORE elsewhere and no value call", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const tx = await f.registry.connect(f.borrowers[0]).snapshot(7n);
    await tx.wait();
    const trace = (await ethers.provider.send("debug_traceTransaction", [
      tx.hash,
      { disableStack: false, disableMemory: true },
    ])) as {
      structLogs: { op: string; depth: number; stack?: string[] }[];
    };
    let sstores = 0;
    let staticCalls = 0;
    for (const step of trace.structLogs) {
      if (step.op === "SSTORE") {
        expect(step.depth, "an SSTORE outside the registry's own frame").to.equal(1);
        sstores++;
      }
      if (
        step.op === "CALL" ||
        step.op === "CALLCODE" ||
        step.op === "CREATE" ||
        step.op === "CREATE2" ||
        step.op === "SELFDESTRUCT"
      ) {
        expect.fail(`${step.op} at depth ${step.depth}: the registry only reads`);
      }
      if (step.op === "STATICCALL" && step.depth === 1) staticCalls++;
    }
    expect(sstores).to.be.greaterThan(0);
    expect(staticCalls).to.be.greaterThan(0);
    for (const token of [f.market.usdc, ...f.market.collaterals.values()]) {
      expect(await token.balanceOf(f.registry)).to.equal(0n);
    }
  });
});
