/**
 * The math libraries, differentially (issue 23, item 4): every function of FixedPointMath (lnWad has its own
 * reference, FixedPointMath.ln.test.ts), LiquidationMath and TwapMath.meanTick (through MathLibrariesHarness) against a BigInt reference written here from each function's
 * documented definition — exact integers at every step, each rounding where the NatSpec says, a revert exactly where
 * a step leaves uint256 or divides by zero. Inputs: deterministic pseudo-random values of every magnitude (0 to 256
 * bits) mixed with the edges (0, 1, WAD ± 1, RAY, 2^128, 2^256 − 1). Where the model checker's proofs stop (OpenZeppelin's
 * 512-bit mulDiv, `10 ** decimals`), this is what checks the code: results equal, reverts at the same inputs.
 */
import { expect } from "chai";
import { network } from "hardhat";

import type { MathLibrariesHarness } from "../../typechain-types/index.js";

const { ethers } = await network.create();

const WAD = 10n ** 18n;
const RAY = 10n ** 27n;
const MAX = 2n ** 256n - 1n;

/** A step of the reference that the contract must revert on. */
class Reverts extends Error {}

/** `v` as a uint256, or the revert Solidity's checked arithmetic makes. */
function u256(v: bigint): bigint {
  if (v < 0n || v > MAX) throw new Reverts();
  return v;
}

/** OpenZeppelin's mulDiv: x × y / d with a 512-bit product, rounded down or up; reverts on d = 0 or a result ≥ 2^256. */
function mulDiv(x: bigint, y: bigint, d: bigint, up: boolean): bigint {
  if (d === 0n) throw new Reverts();
  const p = x * y;
  return u256(p / d + (up && p % d !== 0n ? 1n : 0n));
}

/** FixedPointMath.compoundFactorUp's definition: RAY + x + ⌈x²/2RAY⌉ + ⌈x²·x/(2RAY·3RAY)⌉, x = r·t·1e9. */
function compoundFactorRef(rate: bigint, elapsed: bigint): bigint {
  const x = u256(u256(rate * elapsed) * 1_000_000_000n);
  const x2 = mulDiv(x, x, 2n * RAY, true);
  return u256(RAY + x + x2 + mulDiv(x2, x, 3n * RAY, true));
}

/** LiquidationMath.incentive's definition: maxBonus × (minShare + (1 − minShare) × min(1, urgency)), each step down. */
function incentiveRef(
  maxBonus: bigint,
  health: bigint,
  elapsed: bigint,
  minShare: bigint,
  healthRamp: bigint,
  timeRamp: bigint,
): bigint {
  let urgency = health < WAD ? mulDiv(WAD - health, WAD, healthRamp, false) : 0n;
  if (urgency < WAD) urgency = u256(urgency + mulDiv(elapsed, WAD, timeRamp, false));
  if (urgency > WAD) urgency = WAD;
  return mulDiv(maxBonus, u256(minShare + mulDiv(u256(WAD - minShare), urgency, WAD, false)), WAD, false);
}

/** Deterministic 32-bit PRNG (mulberry32): the same inputs on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGES = [0n, 1n, 2n, WAD - 1n, WAD, WAD + 1n, RAY, 2n ** 128n - 1n, 2n ** 128n, MAX - 1n, MAX];

/** Values of every magnitude up to `bits` bits, one in four an edge (those that fit). */
function values(seed: number, bits = 256): () => bigint {
  const rand = prng(seed);
  const limit = 2n ** BigInt(bits) - 1n;
  const edges = EDGES.filter((e) => e <= limit);
  return () => {
    if (rand() < 0.25) return edges[Math.floor(rand() * edges.length)];
    const width = 1 + Math.floor(rand() * bits);
    let v = 0n;
    for (let i = 0; i < width; i += 24) v = (v << 24n) | BigInt(Math.floor(rand() * 2 ** 24));
    return v & (2n ** BigInt(width) - 1n);
  };
}

/** Values near `centre` (± up to 2^`spread`), clamped to uint256: where the branches of a function meet. */
function near(rand: () => number, centre: bigint, spread: number): bigint {
  const offset = BigInt(Math.floor(rand() * 2 ** Math.min(spread, 50))) * (rand() < 0.5 ? -1n : 1n);
  const v = centre + offset;
  return v < 0n ? 0n : v > MAX ? MAX : v;
}

/** The reference's result, or "revert". */
function reference(f: () => bigint | readonly bigint[]): string {
  try {
    return String(f());
  } catch (error) {
    if (error instanceof Reverts) return "revert";
    throw error;
  }
}

/**
 * The contract's result, or "revert" (any revert: the reference does not model which error). Only a call that
 * reverted counts (ethers' CALL_EXCEPTION, or the in-process chain's "VM Exception … reverted"); any other error
 * fails the test.
 */
async function actual(call: () => Promise<bigint | readonly bigint[]>): Promise<string> {
  try {
    const out = await call();
    return typeof out === "bigint" ? String(out) : String([...out]);
  } catch (error) {
    const e = error as { code?: string; name?: string; message?: string };
    if (e.code === "CALL_EXCEPTION" || /^VM Exception while processing transaction: revert/.test(e.message ?? "")) {
      return "revert";
    }
    throw error;
  }
}

/** floor(√n) for n ≥ 0: Newton's method from above (2^⌈bits/2⌉ ≥ √n), which decreases to the floor. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (let y = (x + n / x) / 2n; y < x; y = (x + n / x) / 2n) x = y;
  return x;
}

/** Runs `n` cases: each compares the contract with the reference; returns how many reverted (both sides). */
async function compare(
  n: number,
  make: (i: number) => {
    label: string;
    contract: () => Promise<bigint | readonly bigint[]>;
    ref: () => bigint | readonly bigint[];
  },
): Promise<{ returned: number; reverted: number }> {
  let reverted = 0;
  for (let i = 0; i < n; i++) {
    const c = make(i);
    const want = reference(c.ref);
    const got = await actual(c.contract);
    expect(got, c.label).to.equal(want);
    if (want === "revert") reverted++;
  }
  return { returned: n - reverted, reverted };
}

describe("Math libraries against a BigInt reference (issue 23, item 4)", function () {
  let lib: MathLibrariesHarness;

  before(async function () {
    lib = await ethers.deployContract("MathLibrariesHarness");
  });

  it("FixedPointMath.mulDivDown / mulDivUp: the exact 512-bit quotient, reverting exactly when it leaves uint256", async function () {
    const v = values(1);
    const seen = await compare(600, (i) => {
      const [x, y, d] = [v(), v(), i % 10 === 0 ? 0n : v()];
      const up = i % 2 === 1;
      return {
        label: `mulDiv${up ? "Up" : "Down"}(${x}, ${y}, ${d})`,
        contract: () => (up ? lib.mulDivUp(x, y, d) : lib.mulDivDown(x, y, d)),
        ref: () => mulDiv(x, y, d, up),
      };
    });
    // Both sides of the boundary were met.
    expect(seen.returned).to.be.greaterThan(200);
    expect(seen.reverted).to.be.greaterThan(60);
  });

  it("FixedPointMath's WAD helpers: floor and ceil of x·y/WAD and x·WAD/y", async function () {
    const v = values(2, 200);
    await compare(300, () => {
      const [x, y] = [v(), v()];
      return {
        label: `wad(${x}, ${y})`,
        contract: () => lib.wad(x, y),
        ref: () => [
          mulDiv(x, y, WAD, false),
          mulDiv(x, y, WAD, true),
          mulDiv(x, WAD, y, false),
          mulDiv(x, WAD, y, true),
        ],
      };
    });
  });

  it("FixedPointMath.compoundFactorUp: RAY + x + ⌈x²/2RAY⌉ + ⌈x²·x/(2RAY·3RAY)⌉ with x = r·t·1e9, overflow reverts", async function () {
    const rand = prng(3);
    const v = values(4, 140);
    await compare(300, (i) => {
      // Mostly the vault's range (rate ≤ 1000% APR, up to ten years), then anything.
      const rate = i < 200 ? BigInt(Math.floor(rand() * 317_097_919_837)) : v();
      const elapsed = i < 200 ? BigInt(Math.floor(rand() * 315_360_000)) : v();
      return {
        label: `compoundFactorUp(${rate}, ${elapsed})`,
        contract: () => lib.compoundFactorUp(rate, elapsed),
        ref: () => compoundFactorRef(rate, elapsed),
      };
    });
  });

  it("FixedPointMath.sqrtWadDown: floor(√(x·WAD)), reverting exactly when x·WAD leaves uint256", async function () {
    const v = values(14);
    const seen = await compare(300, () => {
      const x = v();
      return {
        label: `sqrtWadDown(${x})`,
        contract: () => lib.sqrtWadDown(x),
        ref: () => isqrt(u256(x * WAD)),
      };
    });
    expect(seen.returned).to.be.greaterThan(100);
    expect(seen.reverted).to.be.greaterThan(20);
  });

  it("LiquidationMath.incentive: maxBonus × min(1, minShare + (1 − minShare) × urgency), each step rounded down", async function () {
    const rand = prng(5);
    const v = values(6, 130);
    await compare(500, (i) => {
      let maxBonus = i % 3 === 0 ? v() : BigInt(Math.floor(rand() * 0.2e6)) * 10n ** 12n;
      const health = near(rand, WAD, 62);
      const elapsed = i % 4 === 0 ? v() : BigInt(Math.floor(rand() * 30_000));
      let minShare = i % 7 === 0 ? v() : BigInt(Math.floor(rand() * 1e6)) * 10n ** 12n;
      const healthRamp = i % 11 === 0 ? 0n : i % 5 === 0 ? v() : BigInt(1 + Math.floor(rand() * 1e6)) * 10n ** 12n;
      let timeRamp = i % 13 === 0 ? 0n : BigInt(Math.floor(rand() * 20_000));
      let [h, e] = [health, elapsed];
      if (i % 9 === 4) {
        // Urgency at the clamp: 1 second of time ramp per wei, so urgency = elapsed exactly, around WAD; no minimum
        // share and a large bonus, so that one wei of urgency past WAD would show in the result.
        [h, e, timeRamp, minShare, maxBonus] = [WAD, WAD + BigInt((i % 5) - 2), WAD, 0n, 7n * WAD];
      }
      return {
        label: `incentive(${maxBonus}, ${h}, ${e}, ${minShare}, ${healthRamp}, ${timeRamp})`,
        contract: () => lib.incentive(maxBonus, h, e, { minShare, healthRamp, timeRamp }),
        ref: () => incentiveRef(maxBonus, h, e, minShare, healthRamp, timeRamp),
      };
    });
  });

  it("LiquidationMath.capForSolvency and repayValueToTarget: the documented cases and roundings", async function () {
    const rand = prng(7);
    const v = values(8, 160);
    await compare(300, () => {
      const [bonus, collateral, debt] = [v(), v(), rand() < 0.5 ? near(rand, WAD * 1000n, 60) : v()];
      return {
        label: `capForSolvency(${bonus}, ${collateral}, ${debt})`,
        contract: () => lib.capForSolvency(bonus, collateral, debt),
        ref: () => {
          if (collateral < debt || debt === 0n) return bonus;
          const room = mulDiv(collateral, WAD, debt, false) - WAD;
          return bonus < room ? bonus : room;
        },
      };
    });
    await compare(400, (i) => {
      const debt = v();
      const limit = rand() < 0.5 ? near(rand, debt, 50) : v();
      const target = i % 5 === 0 ? v() : near(rand, 1_050_000_000_000_000_000n, 58);
      const bonus = i % 6 === 0 ? v() : BigInt(Math.floor(rand() * 0.25e6)) * 10n ** 12n;
      const threshold = i % 7 === 0 ? v() : BigInt(Math.floor(rand() * 1e6)) * 10n ** 12n;
      return {
        label: `repayValueToTarget(${debt}, ${limit}, ${target}, ${bonus}, ${threshold})`,
        contract: () => lib.repayValueToTarget(debt, limit, target, bonus, threshold),
        ref: () => {
          const want = mulDiv(debt, target, WAD, true);
          if (want <= limit) return 0n;
          const drag = mulDiv(u256(WAD + bonus), threshold, WAD, true);
          if (target <= drag) return MAX;
          return mulDiv(want - limit, WAD, target - drag, true);
        },
      };
    });
  });

  it("LiquidationMath.seizeFor / repayFor / protocolFee: values at 10^decimals, against the liquidator", async function () {
    const rand = prng(9);
    const v = values(10, 200);
    await compare(400, (i) => {
      const [repay, seize] = [v(), v()];
      const basePrice = i % 9 === 0 ? 0n : v();
      const collateralPrice = i % 10 === 0 ? 0n : v();
      const baseDecimals = BigInt(Math.floor(rand() * (i % 8 === 0 ? 90 : 19)));
      const collateralDecimals = BigInt(Math.floor(rand() * (i % 8 === 1 ? 90 : 19)));
      const bonus = i % 3 === 0 ? v() : BigInt(Math.floor(rand() * 0.2e6)) * 10n ** 12n;
      const pow = (d: bigint): bigint => u256(10n ** d);
      return {
        label: `seizeAndRepay(${repay}, ${seize}, ${basePrice}, ${baseDecimals}, ${collateralPrice}, ${collateralDecimals}, ${bonus})`,
        contract: () =>
          lib.seizeAndRepay(repay, seize, basePrice, baseDecimals, collateralPrice, collateralDecimals, bonus),
        ref: () => {
          const repaidValue = mulDiv(mulDiv(repay, basePrice, pow(baseDecimals), false), u256(WAD + bonus), WAD, false);
          const seized = mulDiv(repaidValue, pow(collateralDecimals), collateralPrice, false);
          const seizeValue = mulDiv(
            mulDiv(seize, collateralPrice, pow(collateralDecimals), true),
            WAD,
            u256(WAD + bonus),
            true,
          );
          return [seized, mulDiv(seizeValue, pow(baseDecimals), basePrice, true)];
        },
      };
    });
    await compare(200, () => {
      const [repay, bonus, feeShare] = [v(), v(), v()];
      return {
        label: `protocolFee(${repay}, ${bonus}, ${feeShare})`,
        contract: () => lib.protocolFee(repay, bonus, feeShare),
        ref: () => mulDiv(repay, mulDiv(bonus, feeShare, WAD, true), WAD, true),
      };
    });
  });

  it("no revert inside the documented ranges: the incentive on the engine's curve bounds, interest up to the rate cap", async function () {
    // The engine's bounds (LiquidationEngine._setParams): minBonusShare ≤ 1, healthRamp 0.01–1, timeRamp 1 min–1 day;
    // a bonus ≤ MAX_LIQUIDATION_BONUS (20%); any health; flags up to ten years old. Interest: the vault's rate cap
    // (1000% APR a second) for up to ten years unaccrued.
    const rand = prng(12);
    const v = values(13);
    const year = 365n * 86_400n;
    const incentive = await compare(300, () => {
      const maxBonus = BigInt(Math.floor(rand() * 0.2e6)) * 10n ** 12n;
      const health = v();
      const elapsed = BigInt(Math.floor(rand() * Number(10n * year)));
      const minShare = BigInt(Math.floor(rand() * 1e6)) * 10n ** 12n;
      const healthRamp = 10n ** 16n + BigInt(Math.floor(rand() * 0.99e6)) * 10n ** 12n;
      const timeRamp = 60n + BigInt(Math.floor(rand() * (86_400 - 60)));
      return {
        label: `incentive(${maxBonus}, ${health}, ${elapsed}, ${minShare}, ${healthRamp}, ${timeRamp}) in range`,
        contract: () => lib.incentive(maxBonus, health, elapsed, { minShare, healthRamp, timeRamp }),
        ref: () => incentiveRef(maxBonus, health, elapsed, minShare, healthRamp, timeRamp),
      };
    });
    expect(incentive.reverted, "incentive reverted inside its range").to.equal(0);
    const maxRate = (10n * WAD) / year;
    const growth = await compare(200, () => {
      const rate = BigInt(Math.floor(rand() * Number(maxRate + 1n)));
      const elapsed = BigInt(Math.floor(rand() * Number(10n * year)));
      return {
        label: `compoundFactorUp(${rate}, ${elapsed}) in range`,
        contract: () => lib.compoundFactorUp(rate, elapsed),
        ref: () => compoundFactorRef(rate, elapsed),
      };
    });
    expect(growth.reverted, "compoundFactorUp reverted inside its range").to.equal(0);
  });

  it("TwapMath.meanTick: the floor of Δcumulative / window, reverting outside ±887272 ticks or on a zero window", async function () {
    const rand = prng(11);
    const int56 = 2n ** 55n;
    await compare(400, (i) => {
      const start = BigInt(Math.floor((rand() * 2 - 1) * 2 ** 53)) % int56;
      const window = i % 25 === 0 ? 0n : BigInt(1 + Math.floor(rand() * (i % 2 === 0 ? 3600 : 2 ** 32 - 1)));
      // Mean ticks mostly within range, some past it, and one in eight at an end of the range or one past it.
      let tick = BigInt(Math.floor((rand() * 2 - 1) * (i % 5 === 0 ? 2_000_000 : 887_272)));
      if (i % 8 === 3) tick = [887_272n, 887_273n, -887_272n, -887_273n][(i >> 3) % 4];
      const jitter = BigInt(Math.floor(rand() * Number(window > 0n ? window : 1n)));
      let end = start + tick * window + jitter;
      if (end >= int56) end = int56 - 1n;
      if (end < -int56) end = -int56;
      return {
        label: `meanTick(${start}, ${end}, ${window})`,
        contract: () => lib.meanTick(start, end, window),
        ref: () => {
          if (window === 0n) throw new Reverts();
          const delta = end - start;
          let mean = delta / window;
          if (delta < 0n && delta % window !== 0n) mean -= 1n;
          if (mean < -887_272n || mean > 887_272n) throw new Reverts();
          return mean;
        },
      };
    });
  });
});
