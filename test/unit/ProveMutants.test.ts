/**
 * The proofs can fail: for each file `npm test` proves, a false version of one of its properties (a mutant of the
 * harness's assertion, compiled in its place) is never reported proved. A harness that proved anything — vacuous
 * preconditions, an assertion the checker cannot see through (the memory-struct blind spot) — would prove its mutant
 * too. Each mutant is a one-line change that makes the property false on some input the harness allows.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { checkFiles } from "../../scripts/lib/prove/pool.js";
import { HARNESS_FILES } from "../../scripts/lib/prove/properties.js";
import { verdictOf, type FileRun } from "../../scripts/lib/prove/prover.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A false property: `from` becomes `to` in `file`, and `contract`'s verdict must not be "proved". */
interface Mutant {
  file: string;
  contract: string;
  from: string;
  to: string;
  /** Why the mutant is false: an input the harness allows that breaks it. */
  why: string;
}

const MUTANTS: readonly Mutant[] = [
  {
    file: "proofs/RiskRamp.sol",
    contract: "RAMP_ThresholdWithinBounds",
    from: "assert(threshold >= low && threshold <= high);",
    to: "assert(threshold > low && threshold <= high);",
    why: "a ramp that has arrived sits at its lower end",
  },
  {
    file: "proofs/RiskRampRate.sol",
    contract: "RAMP_ThresholdRate",
    from: "<= 0.01e18 * dt + 1 hours);",
    to: "<= 0.005e18 * dt + 1 hours);",
    why: "a cut falls a full point an hour, twice the mutant's rate",
  },
  {
    file: "proofs/RiskRampLtvRate.sol",
    contract: "RAMP_LtvRate",
    from: "<= 0.005e18 * dt + 1 hours);",
    to: "<= 0.0025e18 * dt + 1 hours);",
    why: "the LTV rises half a point an hour, twice the mutant's rate",
  },
  {
    file: "proofs/LiquidationIncentive.sol",
    contract: "LIQ_IncentiveWithinMax",
    from: "<= maxBonus);",
    to: "< maxBonus);",
    why: "a zero maximum bonus pays zero",
  },
  {
    file: "proofs/LiquidationBonusCap.sol",
    contract: "LIQ_SolventBonusWithinMargin",
    from: "assert((1e18 + capped) * debtValue <= collateralValue * 1e18);",
    to: "assert((1e18 + capped) * debtValue < collateralValue * 1e18);",
    why: "collateral equal to the debt leaves no margin: the cut bonus is 0 and the two sides are equal",
  },
  {
    file: "proofs/LiquidationRepay.sol",
    contract: "LIQ_RepayToTargetCases",
    from: "if (want <= liquidationLimit) assert(repay == 0);",
    to: "if (want <= liquidationLimit) assert(repay == 1);",
    why: "an account at its target repays nothing",
  },
  {
    file: "proofs/LiquidationFee.sol",
    contract: "LIQ_ProtocolFeeWithinBonus",
    from: "assert(fee * 1e36 >= repay * bonus * feeShare);",
    to: "assert(fee * 1e36 > repay * bonus * feeShare);",
    why: "no bonus, no fee: both sides are 0",
  },
  {
    file: "proofs/FixedPointMath.sol",
    contract: "FPM_WadMulRoundsAsNamed",
    from: "assert(down * 1e18 <= x * y && x * y < (down + 1) * 1e18);",
    to: "assert(down * 1e18 < x * y && x * y < (down + 1) * 1e18);",
    why: "an exact product (x = 0) rounds to itself",
  },
  {
    file: "proofs/BorrowIndex.sol",
    contract: "FPM_IndexNeverDecreases",
    from: "assert(factor >= 1e27 + ratePerSecond * elapsed * 1e9);",
    to: "assert(factor > 1e27 + ratePerSecond * elapsed * 1e9);",
    why: "no time, no growth: the factor is exactly 1",
  },
  {
    file: "proofs/KinkedRate.sol",
    contract: "KRM_RateWithinMax",
    from: "assert(utilization(cash, debt) <= 1e18);",
    to: "assert(utilization(cash, debt) < 1e18);",
    why: "debt with no cash is 100% utilisation",
  },
  {
    file: "proofs/GainRelease.sol",
    contract: "LOSS_HeldBackWithinRelease",
    from: "assert(held <= amount);",
    to: "assert(held < amount);",
    why: "an empty release holds back nothing, which equals its amount",
  },
  {
    file: "proofs/RateLimit.sol",
    contract: "RL_LimitWithinBase",
    from: "assert(RateLimit.limit(w, 1e18, false) == base);",
    to: "assert(RateLimit.limit(w, 1e18, false) == base + 1);",
    why: "at a 100% share the limit is the base itself",
  },
  {
    file: "proofs/RateLimitWindow.sol",
    contract: "RL_FitsExactlyRoom",
    from: "(amount <= RateLimit.room(w, LENGTH, limit_))",
    to: "(amount < RateLimit.room(w, LENGTH, limit_))",
    why: "an outflow of exactly the room fits",
  },
];

describe("npm run prove: every CI proof can fail (mutants)", function () {
  this.timeout(600_000);

  /** Each mutant's run, checked on every core at once (scripts/lib/prove/pool.ts) before the cases read them. */
  let runs: FileRun[] = [];
  before(async function () {
    const jobs = MUTANTS.map((mutant) => {
      const original = readFileSync(path.join(ROOT, mutant.file), "utf8");
      // 10 s a query: a mutant the checker cannot refute quickly is "unknown", which is all this test asks.
      return { root: ROOT, file: mutant.file, timeout: 10, source: original.replace(mutant.from, mutant.to) };
    });
    runs = await checkFiles(jobs);
  });

  it("has a mutant for every file npm test proves", function () {
    const ci = HARNESS_FILES.filter((f) => f.ci).map((f) => f.file);
    expect(MUTANTS.map((m) => m.file)).to.include.members(ci);
  });

  for (const [i, mutant] of MUTANTS.entries()) {
    it(`${mutant.contract}: not proved with ${mutant.to.trim()} (${mutant.why})`, function () {
      expect(
        HARNESS_FILES.some((f) => f.file === mutant.file),
        `${mutant.file} is in the catalogue`,
      ).to.equal(true);
      const original = readFileSync(path.join(ROOT, mutant.file), "utf8");
      // The mutation applies exactly once, so an edit to the harness cannot silently disable it.
      expect(original.split(mutant.from), `"${mutant.from}" once in ${mutant.file}`).to.have.length(2);
      const own = runs[i].assertions.filter((a) => a.contract === mutant.contract);
      expect(own.length, `${mutant.contract}'s assertions`).to.be.greaterThan(0);
      expect(verdictOf(own), mutant.contract).to.not.equal("proved");
    });
  }
});
