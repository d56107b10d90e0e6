/**
 * The keeper's account selection (scripts/lib/keeper/selection.ts), a pure function over plain snapshots: which
 * accounts are liquidated in a block, in which order, seizing which collateral, and which are written off, flagged or
 * left for later. No chain: every rule is checked on hand-made snapshots.
 */
import { expect } from "chai";
import { parseUnits } from "ethers";

import {
  MAX_UINT256,
  WAD,
  chooseCollateral,
  compareUrgency,
  selectLiquidations,
  type AccountSnapshot,
  type CollateralPosition,
  type SelectionPolicy,
} from "../../scripts/lib/keeper/selection.js";
import { wad } from "../../scripts/lib/units.js";

const usd = (value: string): bigint => parseUnits(value, 18);

const WETH = "0x00000000000000000000000000000000000000E1";
const WBTC = "0x00000000000000000000000000000000000000B7";
const LINK = "0x00000000000000000000000000000000000000A1";
const addr = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

const holding = (asset: string, value: string, extra: Partial<CollateralPosition> = {}): CollateralPosition => ({
  asset,
  amount: 1000n,
  value: usd(value),
  priceAvailable: true,
  ...extra,
});

/** A liquidatable account at `health` with `debt` USD of debt and the given holdings (default $10,000 of WETH). */
function account(n: number, health: string, debt: string, extra: Partial<AccountSnapshot> = {}): AccountSnapshot {
  const collaterals = extra.collaterals ?? [holding(WETH, "10000")];
  return {
    account: addr(n),
    debt: parseUnits(debt, 6),
    debtValue: usd(debt),
    collateralValue: collaterals.reduce((sum, c) => sum + c.value, 0n),
    liquidationLimit: (usd(debt) * wad(health)) / WAD,
    health: wad(health),
    liquidatable: true,
    basePriceAvailable: true,
    flaggedAt: 0n,
    collaterals,
    ...extra,
  };
}

const everything: SelectionPolicy = { maxPerBlock: 100, canSell: () => true };
const borrowers = (accounts: readonly { borrower: string }[]): string[] => accounts.map((a) => a.borrower);

describe("Keeper selection", function () {
  describe("candidates", function () {
    it("takes only accounts with debt that are liquidatable", function () {
      const healthy = account(1, "1.2", "1000", { liquidatable: false });
      const noDebt = account(2, "0.5", "0", { debt: 0n });
      const unhealthy = account(3, "0.95", "1000");
      const { actions, skipped, flags } = selectLiquidations([healthy, noDebt, unhealthy], everything);
      expect(borrowers(actions)).to.deep.equal([addr(3)]);
      expect(skipped).to.deep.equal([]);
      expect(flags).to.deep.equal([]);
    });

    it("leaves excluded accounts alone, and says so", function () {
      const a = account(1, "0.9", "1000");
      const b = account(2, "0.95", "1000");
      const { actions, skipped } = selectLiquidations([a, b], {
        ...everything,
        exclude: new Set([addr(1).toUpperCase().replace("0X", "0x")]),
      });
      expect(borrowers(actions)).to.deep.equal([addr(2)]);
      expect(skipped).to.deep.equal([{ account: addr(1), reason: "excluded" }]);
    });

    it("skips an account whose base price is unavailable (the engine trades at no unknown price), and never flags it", function () {
      const a = account(1, "0.9", "1000", { basePriceAvailable: false });
      const { actions, skipped, flags } = selectLiquidations([a], { ...everything, maxFlagsPerBlock: 10 });
      expect(actions).to.deep.equal([]);
      expect(skipped).to.deep.equal([{ account: addr(1), reason: "base-price-unavailable" }]);
      expect(flags).to.deep.equal([]);
    });

    it("decides one action per account per block", function () {
      const a = account(1, "0.8", "20000", { collaterals: [holding(WETH, "9000"), holding(WBTC, "9000")] });
      expect(selectLiquidations([a], everything).actions).to.have.length(1);
    });

    it("does not modify its input", function () {
      const input = [account(1, "0.99", "1000"), account(2, "0.5", "1000")];
      const copy = structuredClone(input);
      selectLiquidations(input, { ...everything, maxFlagsPerBlock: 5 });
      expect(input).to.deep.equal(copy);
    });
  });

  describe("urgency", function () {
    it("goes lowest health first, whatever the debt", function () {
      const big = account(1, "0.97", "1000000");
      const low = account(2, "0.80", "500");
      const mid = account(3, "0.90", "5000");
      expect(borrowers(selectLiquidations([big, low, mid], everything).actions)).to.deep.equal([
        addr(2),
        addr(3),
        addr(1),
      ]);
    });

    it("within a health bucket (1% by default), goes largest debt value first", function () {
      const small = account(1, "0.951", "1000");
      const large = account(2, "0.958", "90000");
      const lower = account(3, "0.949", "10");
      expect(borrowers(selectLiquidations([small, large, lower], everything).actions)).to.deep.equal([
        addr(3), // bucket 0.94
        addr(2), // bucket 0.95, larger debt
        addr(1),
      ]);
      // With no buckets, health alone decides.
      expect(
        borrowers(selectLiquidations([small, large, lower], { ...everything, healthBucket: 0n }).actions),
      ).to.deep.equal([addr(3), addr(1), addr(2)]);
    });

    it("breaks ties by the oldest flag (unflagged last), then by address", function () {
      const unflagged = account(1, "0.9", "1000");
      const recent = account(2, "0.9", "1000", { flaggedAt: 2000n });
      const old = account(3, "0.9", "1000", { flaggedAt: 1000n });
      const twin = account(4, "0.9", "1000");
      const order = borrowers(selectLiquidations([twin, unflagged, recent, old], everything).actions);
      expect(order).to.deep.equal([addr(3), addr(2), addr(1), addr(4)]);
      expect(compareUrgency(unflagged, twin)).to.be.lessThan(0);
      expect(compareUrgency(unflagged, unflagged)).to.equal(0);
    });

    it("caps the actions per block and leaves the rest for the next block, the most urgent taken", function () {
      const accounts = [0.99, 0.7, 0.95, 0.8, 0.9].map((h, i) => account(i + 1, String(h), "1000"));
      const { actions, skipped } = selectLiquidations(accounts, { ...everything, maxPerBlock: 2 });
      expect(borrowers(actions)).to.deep.equal([addr(2), addr(4)]);
      expect(skipped).to.deep.equal([
        { account: addr(5), reason: "over-block-cap" },
        { account: addr(3), reason: "over-block-cap" },
        { account: addr(1), reason: "over-block-cap" },
      ]);
      expect(selectLiquidations(accounts, { ...everything, maxPerBlock: 0 }).actions).to.deep.equal([]);
    });
  });

  describe("collateral", function () {
    it("seizes the collateral of largest value", function () {
      const a = account(1, "0.9", "20000", {
        collaterals: [holding(WBTC, "5000"), holding(WETH, "12000"), holding(LINK, "100")],
      });
      const [action] = selectLiquidations([a], everything).actions;
      expect(action).to.deep.include({ kind: "liquidate", collateral: WETH, collateralValue: usd("12000") });
    });

    it("only among the collaterals the keeper can sell (a pool or route for it)", function () {
      const a = account(1, "0.9", "20000", { collaterals: [holding(WBTC, "5000"), holding(WETH, "12000")] });
      const [action] = selectLiquidations([a], { ...everything, canSell: (asset) => asset === WBTC }).actions;
      expect(action).to.deep.include({ kind: "liquidate", collateral: WBTC });
    });

    it("never seizes a collateral whose price is unavailable, or whose engine preview failed", function () {
      const failedPrice = holding(WETH, "0", { priceAvailable: false });
      const failedPreview = holding(WBTC, "9000", { preview: { ok: false, error: "reverted: LiquidationGrace(…)" } });
      const fine = holding(LINK, "50", {
        preview: { ok: true, repay: 1n, seize: 1n, fee: 0n, bonus: 0n, writeOff: false },
      });
      const a = account(1, "0.9", "20000", { collaterals: [failedPrice, failedPreview, fine] });
      const [action] = selectLiquidations([a], everything).actions;
      expect(action).to.deep.include({ kind: "liquidate", collateral: LINK, preview: fine.preview });
      expect(chooseCollateral(a, () => true)?.asset).to.equal(LINK);
    });

    it("skips an account with nothing it can seize, naming why for each holding", function () {
      const a = account(1, "0.9", "20000", {
        collaterals: [
          holding(WETH, "12000"),
          holding(WBTC, "9000", { preview: { ok: false, error: "reverted: NoCollateral" } }),
        ],
      });
      const { actions, skipped } = selectLiquidations([a], { ...everything, canSell: (asset) => asset === WBTC });
      expect(actions).to.deep.equal([]);
      expect(skipped).to.deep.equal([
        {
          account: addr(1),
          reason: "no-sellable-collateral",
          detail: { [WETH]: "no pool", [WBTC]: "reverted: NoCollateral" },
        },
      ]);
    });

    it("skips an account whose every collateral price is unavailable", function () {
      const a = account(1, "0.5", "20000", {
        collaterals: [holding(WETH, "0", { priceAvailable: false }), holding(WBTC, "0", { priceAvailable: false })],
      });
      expect(selectLiquidations([a], everything).skipped).to.deep.equal([
        { account: addr(1), reason: "collateral-price-unavailable" },
      ]);
    });

    it("repays as much as the engine allows by default, or the policy's maxRepay", function () {
      const a = account(1, "0.9", "1000");
      expect(selectLiquidations([a], everything).actions[0]).to.deep.include({ maxRepay: MAX_UINT256 });
      expect(selectLiquidations([a], { ...everything, maxRepay: 123n }).actions[0]).to.deep.include({ maxRepay: 123n });
    });
  });

  describe("write-offs", function () {
    const dust = usd("100");

    it("writes off an account whose collateral is all dust, without needing a pool", function () {
      const a = account(1, "0.05", "1000", { collaterals: [holding(WETH, "60"), holding(WBTC, "39")] });
      const { actions } = selectLiquidations([a], { ...everything, canSell: () => false, dustValue: dust });
      expect(actions).to.deep.equal([
        {
          kind: "writeOff",
          borrower: addr(1),
          health: wad("0.05"),
          debtValue: usd("1000"),
          collateralValue: usd("99"),
        },
      ]);
    });

    it("liquidates instead when the collateral is worth the dust threshold or more, or a price is unknown", function () {
      const enough = account(1, "0.05", "1000", { collaterals: [holding(WETH, "60"), holding(WBTC, "40")] });
      const unknown = account(2, "0.05", "1000", {
        collaterals: [holding(WETH, "60"), holding(WBTC, "0", { priceAvailable: false })],
      });
      const kinds = selectLiquidations([enough, unknown], { ...everything, dustValue: dust }).actions.map(
        (a) => a.kind,
      );
      expect(kinds).to.deep.equal(["liquidate", "liquidate"]);
      // Without a dust threshold, never a write-off.
      const tiny = account(3, "0.05", "1000", { collaterals: [holding(WETH, "1")] });
      expect(selectLiquidations([tiny], everything).actions[0].kind).to.equal("liquidate");
    });

    it("counts write-offs against the per-block cap", function () {
      const a = account(1, "0.05", "1000", { collaterals: [holding(WETH, "10")] });
      const b = account(2, "0.5", "1000");
      const { actions, skipped } = selectLiquidations([a, b], { ...everything, dustValue: dust, maxPerBlock: 1 });
      expect(actions.map((x) => x.kind)).to.deep.equal(["writeOff"]);
      expect(skipped).to.deep.equal([{ account: addr(2), reason: "over-block-cap" }]);
    });
  });

  describe("flags", function () {
    it("flags the unflagged liquidatable accounts left without an action, most urgent first, up to the cap", function () {
      const capped = [0.99, 0.7, 0.95, 0.8].map((h, i) => account(i + 1, String(h), "1000"));
      const flagged = account(5, "0.6", "1000", { flaggedAt: 1n, collaterals: [holding(WETH, "100")] });
      const unsellable = account(6, "0.85", "1000", { collaterals: [holding(LINK, "1000")] });
      const { actions, flags } = selectLiquidations([...capped, flagged, unsellable], {
        maxPerBlock: 2,
        canSell: (asset) => asset !== LINK,
        maxFlagsPerBlock: 2,
      });
      expect(borrowers(actions)).to.deep.equal([addr(5), addr(2)]);
      // Left: 0.8 (addr 4), 0.85 without a pool (addr 6), 0.95 (addr 3), 0.99 (addr 1); two flags allowed.
      expect(flags).to.deep.equal([addr(4), addr(6)]);
    });

    it("flags nobody by default", function () {
      const { flags } = selectLiquidations([account(1, "0.9", "1000")], { ...everything, maxPerBlock: 0 });
      expect(flags).to.deep.equal([]);
    });
  });
});
