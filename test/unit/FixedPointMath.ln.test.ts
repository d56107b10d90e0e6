/**
 * FixedPointMath.lnWad, differentially: every result of the contract (through FixedPointMathHarness) against a
 * BigInt reference logarithm written here with 40 correct decimals (argument reduction by powers of two, then the
 * atanh series at 1e60 scale), on a few thousand deterministic pseudo-random inputs across [1, 1e60] and the edge
 * cases of the code's argument reduction. Errors are measured in wei (1e-18) with 22 more decimals.
 *
 * The bound checked is the one the method gives (derivation at `lnErrorBound`): below 28 wei + |k|·0.4173 wei,
 * where x = m·2^k is the code's reduction. The NatSpec of lnWad claims 14 wei for k = 0 and 14 + |k| otherwise; the
 * last describe block holds measured counterexamples to that claim.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";

import type { FixedPointMathHarness } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();

const WAD = 10n ** 18n;
/** The contract's ln 2, rounded down. */
const LN2_WAD = 693_147_180_559_945_309n;
/** The contract's reduction threshold: m below it is doubled (WAD/√2, rounded down). */
const SQRT_HALF_WAD = 707_106_781_186_547_524n;

// ----------------------------------------------------------------------------------------------- reference ln

/** Internal precision of the reference: 60 decimals. */
const P = 10n ** 60n;
/** Precision of the reference's result: 40 decimals, i.e. wei × 1e22. */
const REF = 10n ** 40n;
const SUB_WEI = REF / WAD; // 1e22: one wei in reference units

/** 2·atanh(z) = ln((1 + z)/(1 − z)) for |z| < 1, z at scale P: the series z + z³/3 + z⁵/5 + … until a term is 0. */
function twoAtanh(z: bigint): bigint {
  const z2 = (z * z) / P;
  let term = z;
  let sum = z;
  for (let i = 3n; term !== 0n; i += 2n) {
    term = (term * z2) / P;
    sum += term / i;
  }
  return 2n * sum;
}

/** ln 2 at scale P: 2·atanh(1/3). */
const LN2_P = twoAtanh(P / 3n);

/** Rounds n / d to the nearest integer (d > 0). */
function divRound(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (2n * (r < 0n ? -r : r) >= d) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/**
 * ln(num / den) × 1e40 for num, den > 0, rounded to nearest: num/den = m·2^k with m in [1/√2, √2), then
 * ln m = 2·atanh((m − 1)/(m + 1)) with |z| < 0.172 at 1e60. Each of the ~40 terms and z itself lose under 1e-60, so
 * the result is exact to well within one unit of 1e-40 for any k this test meets (|k| < 300).
 */
function lnRatioRef(num: bigint, den: bigint): bigint {
  if (num <= 0n || den <= 0n) throw new Error("lnRatioRef: non-positive argument");
  let k = BigInt(num.toString(2).length - den.toString(2).length);
  if (k > 0n) den <<= k;
  else num <<= -k;
  while (2n * num * num < den * den) {
    num <<= 1n;
    k -= 1n;
  }
  while (num * num >= 2n * den * den) {
    den <<= 1n;
    k += 1n;
  }
  const z = ((num - den) * P) / (num + den);
  return divRound(k * LN2_P + twoAtanh(z), P / REF);
}

/** ln(x / WAD) × 1e40. */
const lnRef = (x: bigint): bigint => lnRatioRef(x, WAD);

// ----------------------------------------------------------------------------------------------- model of the code

/** The k of the contract's reduction x = m·2^k, m in [WAD/√2, WAD·√2). */
function codeK(x: bigint): bigint {
  let k = BigInt(x.toString(2).length - 1) - 59n;
  const m = k >= 0n ? x >> k : x << -k;
  if (m < SQRT_HALF_WAD) k -= 1n;
  return k;
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/**
 * Upper bound on |lnWad(x) − ln x| in reference units (wei × 1e22), from the method:
 * - the series: z loses < 1 wei to truncation, which moves 2·atanh(z) by < 2/(1 − z²) ≤ 2.061 wei (|z| ≤ 0.1716);
 *   each term t_j/i (i = 3…25) loses < (i − 1)/i wei to its division (sum: 10.736) and < ~1.04/i wei carried from
 *   the truncation of t_j (sum: 1.353); the z^27 tail is < 1e-4 wei. Doubled: < 2·12.09 + 2.061 = 26.24 wei.
 * - the reduction: x >> k drops bits (k > 0, or the low bit for x in [2^60, √2·WAD)): m loses < 2 wei on m ≥ 2^60,
 *   or < 1 on m ≥ WAD/√2, i.e. < 1.735 wei of ln.
 * - ln 2 rounded down: |k|·(ln 2·1e18 − LN2_WAD) = |k|·0.41723 wei.
 * Total: < 27.98 wei + |k|·0.41724 wei; checked as 28 wei + |k|·0.41724 wei.
 */
function lnErrorBound(x: bigint): bigint {
  const k = abs(codeK(x));
  return 28n * SUB_WEI + (k * 41724n * SUB_WEI) / 100000n;
}

/** Error of one result in reference units: lnWad(x)·1e22 − ln(x)·1e40. */
const errorOf = (x: bigint, got: bigint): bigint => got * SUB_WEI - lnRef(x);

/** Formats an error in reference units as wei with 3 decimals. */
const weiString = (e: bigint): string => {
  const sign = e < 0n ? "-" : "";
  const a = abs(e);
  return `${sign}${a / SUB_WEI}.${((a % SUB_WEI) / 10n ** 19n).toString().padStart(3, "0")}`;
};

// ----------------------------------------------------------------------------------------------- inputs

/** splitmix64: deterministic 64-bit words. */
function rng(seed: bigint): () => bigint {
  let state = seed;
  const M = (1n << 64n) - 1n;
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & M;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  };
}

/** A uniform integer in [lo, hi] (hi − lo < 2^256). */
function uniform(next: () => bigint, lo: bigint, hi: bigint): bigint {
  let r = 0n;
  for (let i = 0; i < 5; i++) r = (r << 64n) | next();
  return lo + (r % (hi - lo + 1n));
}

const RATIO_COUNT = 2000;
const WIDE_COUNT = 2400;
const BOUNDARY_COUNT = 200;

/** Price ratios: uniform in [0.5, 2] WAD. */
function ratioInputs(): bigint[] {
  const next = rng(0x5eed1n);
  return Array.from({ length: RATIO_COUNT }, () => uniform(next, WAD / 2n, 2n * WAD));
}

/** Log-uniform over [1, 1e60]: 40 per decade. */
function wideInputs(): bigint[] {
  const next = rng(0x5eed2n);
  const out: bigint[] = [];
  for (let i = 0; i < WIDE_COUNT; i++) {
    const e = BigInt(i % 60);
    out.push(uniform(next, 10n ** e, 10n ** (e + 1n)));
  }
  return out;
}

/** Near the reduction's seams: WAD/√2, √2·WAD (both sides), 2^59 and 2^60, and their multiples by 2^±j. */
function boundaryInputs(): bigint[] {
  const next = rng(0x5eed3n);
  const out: bigint[] = [];
  const seams = [SQRT_HALF_WAD, 2n * SQRT_HALF_WAD, 1n << 59n, 1n << 60n];
  for (let i = 0; i < BOUNDARY_COUNT; i++) {
    const seam = seams[i % seams.length];
    const shift = BigInt((i % 11) - 5) * 13n; // 2^-65 … 2^65 around the seam
    const base = shift >= 0n ? seam << shift : seam >> -shift;
    const offset = uniform(next, 0n, 1000n) - 500n;
    out.push(base + offset > 0n ? base + offset : 1n);
  }
  return out;
}

/** The edge cases: 1, WAD ± 1, 2^59, 2^60, the WAD/√2 threshold and its double, 1e60, 2^255, uint256 max. */
const EDGES: readonly bigint[] = [
  1n,
  2n,
  3n,
  WAD - 1n,
  WAD,
  WAD + 1n,
  (1n << 59n) - 1n,
  1n << 59n,
  (1n << 59n) + 1n,
  (1n << 60n) - 1n,
  1n << 60n,
  (1n << 60n) + 1n,
  SQRT_HALF_WAD - 1n,
  SQRT_HALF_WAD,
  SQRT_HALF_WAD + 1n,
  2n * SQRT_HALF_WAD - 1n,
  2n * SQRT_HALF_WAD,
  2n * SQRT_HALF_WAD + 1n,
  WAD / 2n,
  2n * WAD,
  10n ** 36n,
  10n ** 60n,
  1n << 255n,
  MaxUint256 - 1n,
  MaxUint256,
];

/** lnWad of every input, in chunks of concurrent eth_calls. */
async function lnAll(harness: FixedPointMathHarness, xs: readonly bigint[]): Promise<bigint[]> {
  const out: bigint[] = [];
  for (let i = 0; i < xs.length; i += 200) {
    out.push(...(await Promise.all(xs.slice(i, i + 200).map((x) => harness.lnWad(x)))));
  }
  return out;
}

interface Worst {
  x: bigint;
  error: bigint;
}

/** The input with the largest |error|, checking every error against the method's bound on the way. */
function worstOf(xs: readonly bigint[], results: readonly bigint[]): Worst {
  let worst: Worst = { x: 0n, error: 0n };
  xs.forEach((x, i) => {
    const error = errorOf(x, results[i]);
    expect(abs(error) < lnErrorBound(x), `lnWad(${x}) is off by ${weiString(error)} wei`).to.equal(true);
    if (abs(error) > abs(worst.error)) worst = { x, error };
  });
  return worst;
}

async function harnessFixture(): Promise<{ harness: FixedPointMathHarness }> {
  return { harness: await ethers.deployContract("FixedPointMathHarness") };
}

describe("FixedPointMath.lnWad against a 40-digit reference", function () {
  describe("the reference itself", function () {
    it("matches published constants to 40 decimals: ln 2, ln 3, ln 10, ln 0.5, ln 1e-18", function () {
      expect(lnRef(2n * WAD)).to.equal(6931471805599453094172321214581765680755n);
      expect(lnRef(3n * WAD)).to.equal(10986122886681096913952452369225257046475n);
      expect(lnRef(10n * WAD)).to.equal(23025850929940456840179914546843642076011n);
      expect(lnRef(WAD / 2n)).to.equal(-6931471805599453094172321214581765680755n);
      // ln(1e-18) = −18·ln 10 = −41.44653167389282231232384618431855573681…
      expect(lnRef(1n)).to.equal(-414465316738928223123238461843185557368198n);
      expect(lnRef(WAD)).to.equal(0n);
    });

    it("is additive and odd to the last unit: ln(a·b) = ln a + ln b, ln(1/a) = −ln a", function () {
      const next = rng(0xa11n);
      for (let i = 0; i < 200; i++) {
        const a = uniform(next, 1n, 10n ** 30n);
        const b = uniform(next, 1n, 10n ** 30n);
        expect(abs(lnRatioRef(a * b, 1n) - lnRatioRef(a, 1n) - lnRatioRef(b, 1n))).to.be.lte(2n);
        expect(lnRatioRef(1n, a)).to.equal(-lnRatioRef(a, 1n));
      }
    });
  });

  describe("differential", function () {
    it("price ratios in [0.5, 2] WAD: every result within the bound (measured worst below 21 wei)", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      const xs = ratioInputs();
      const worst = worstOf(xs, await lnAll(harness, xs));
      console.log(`      lnWad on [0.5, 2] WAD: worst ${weiString(worst.error)} wei at x = ${worst.x}`);
      expect(abs(worst.error)).to.be.lt(21n * SUB_WEI);
    });

    it("log-uniform over [1, 1e60], the reduction's seams and the edge cases: within 28 + 0.4172·|k| wei", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      const groups: Array<[string, bigint[]]> = [
        ["[1, 1e60]", wideInputs()],
        ["seams", boundaryInputs()],
        ["edges", [...EDGES]],
      ];
      for (const [name, xs] of groups) {
        const results = await lnAll(harness, xs);
        const worst = worstOf(xs, results);
        // The largest error left once the ln 2 part (|k|·0.41723 wei) is taken out: the series' and the shift's.
        let excess = 0n;
        xs.forEach((x, i) => {
          const e = abs(errorOf(x, results[i]) + (codeK(x) * 41723n * SUB_WEI) / 100000n);
          if (e > excess) excess = e;
        });
        console.log(
          `      lnWad on ${name}: worst ${weiString(worst.error)} wei at x = ${worst.x} (k = ${codeK(worst.x)}); ` +
            `without the ln 2 part: ${weiString(excess)} wei`,
        );
        expect(excess).to.be.lt(28n * SUB_WEI);
      }
    });

    it("is exact where the reduction is: lnWad(WAD·2^k) = k·LN2_WAD for k in [−18, 196]", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      for (let k = -18n; k <= 196n; k++) {
        const x = k >= 0n ? WAD << k : WAD >> -k;
        expect(await harness.lnWad(x)).to.equal(k * LN2_WAD);
      }
    });

    it("the edge cases: exact values at 1, WAD, uint256 max", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      expect(await harness.lnWad(WAD)).to.equal(0n);
      // ln(1e-18) = −41.446531673892822312…; the code's −60·LN2_WAD + 2·atanh(z) lands 20 wei above it (60·0.417
      // from ln 2, the rest from the series).
      const atOne = await harness.lnWad(1n);
      expect(atOne).to.equal(-41_446_531_673_892_822_292n);
      expect(atOne).to.equal(divRound(lnRef(1n), SUB_WEI) + 20n);
      // ln((2^256 − 1)/1e18) = 135.999146549…: the 196·0.417-wei deficit of ln 2 shows in full.
      const atMax = await harness.lnWad(MaxUint256);
      expect(atMax).to.be.lt(divRound(lnRef(MaxUint256), SUB_WEI));
      expect(abs(errorOf(MaxUint256, atMax))).to.be.lt(lnErrorBound(MaxUint256));
      await expect(harness.lnWad(0n)).to.be.revertedWithCustomError(harness, "LnOfZero");
    });

    it("is monotonic across every sampled input, the seams included", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      const xs = [...new Set([...ratioInputs(), ...boundaryInputs(), ...EDGES])].sort((a, b) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      const results = await lnAll(harness, xs);
      for (let i = 1; i < xs.length; i++) {
        expect(results[i] >= results[i - 1], `lnWad(${xs[i]}) < lnWad(${xs[i - 1]})`).to.equal(true);
      }
    });

    it("truncates towards zero when k = 0: |lnWad(x)| ≤ |ln x| for x in [WAD/√2, 2^60)", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      const xs = ratioInputs().filter((x) => x >= SQRT_HALF_WAD && x < 1n << 60n);
      const results = await lnAll(harness, xs);
      xs.forEach((x, i) => {
        expect(abs(results[i] * SUB_WEI) <= abs(lnRef(x)), `at x = ${x}`).to.equal(true);
      });
    });
  });

  describe("sqrtWadDown", function () {
    it("is the floor square root of x·WAD, and reverts (overflow) above uint256 max / WAD", async function () {
      const { harness } = await networkHelpers.loadFixture(harnessFixture);
      const next = rng(0x5a7n);
      const xs = [0n, 1n, WAD, (64n * WAD) / 100n, MaxUint256 / WAD];
      for (let i = 0; i < 200; i++) xs.push(uniform(next, 0n, MaxUint256 / WAD));
      for (const x of xs) {
        const r = await harness.sqrtWadDown(x);
        expect(r * r <= x * WAD && x * WAD < (r + 1n) * (r + 1n), `sqrtWadDown(${x}) = ${r}`).to.equal(true);
      }
      await expect(harness.sqrtWadDown(MaxUint256 / WAD + 1n)).to.be.revertedWithPanic(0x11);
    });
  });

  describe("the NatSpec's bound: within 27 wei when k = 0, 28 + 0.42·|k| otherwise", function () {
    // The worst inputs measured against the first NatSpec (14 wei, 14 + |k|), which did not count the rounding of z
    // nor the doubling of the sum. They now sit inside the documented bound.
    const cases: Array<{ x: bigint; k: bigint }> = [
      { x: 1_414_015_111_514_145_585n, k: 0n },
      { x: 1_366_040_789_728_935_903n, k: 0n },
      { x: 1_374_930_581_802_726_052n, k: 0n },
      { x: 707_101_905_440_127_631n, k: -1n },
      { x: 2_750_068_598_147_339_818n, k: 1n },
    ];
    for (const { x, k } of cases) {
      it(`x = ${x} (k = ${k}): within the documented bound`, async function () {
        const { harness } = await networkHelpers.loadFixture(harnessFixture);
        expect(codeK(x)).to.equal(k);
        const error = errorOf(x, await harness.lnWad(x));
        // 0.42 wei per power of two, in SUB_WEI units, rounded up.
        const bound = k === 0n ? 27n * SUB_WEI : 28n * SUB_WEI + (abs(k) * 42n * SUB_WEI + 99n) / 100n;
        expect(abs(error), `off by ${weiString(error)} wei`).to.be.lte(bound);
      });
    }
  });
});
