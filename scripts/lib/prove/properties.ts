/**
 * The properties `npm run prove` checks: each a contract of a harness file in proofs/, named after the invariant it
 * states (shared INVARIANTS.md ids, or the issue property it comes from). Files marked `ci` settle within seconds and
 * run in `npm test`; the rest run with `--all`.
 */
import type { CheckOptions } from "./prover.js";

export interface HarnessFile {
  file: string;
  /** Runs in `npm test` (every property in it is proved within the default time limit). */
  ci: boolean;
  /** Compiled with proofs/spec/Math.sol in place of OpenZeppelin's `Math` (MATH_SPEC): its range is stated there. */
  mathSpec?: boolean;
  /** Asks z3's non-linear configuration first (products of two variables); the defaults second. */
  nonlinear?: boolean;
  properties: { contract: string; invariant: string; statement: string }[];
}

/**
 * OpenZeppelin's `Math` as the checker reads it: its `mulDiv`, `min` and `max` are inline assembly (or call it), which
 * the checker replaces by arbitrary values. proofs/spec/Math.sol restates them in plain Solidity, reverting where
 * x × y ≥ 2^256; test/fuzz/MathSpec.t.sol checks it against OpenZeppelin's code wherever it returns.
 */
export const MATH_SPEC: Readonly<Record<string, string>> = {
  "@openzeppelin/contracts/utils/math/Math.sol": "proofs/spec/Math.sol",
};

/** How the checker compiles and solves `harness` (its `mathSpec` and `nonlinear` marks). */
export function checkOptionsOf(harness: HarnessFile): CheckOptions {
  return { substitutes: harness.mathSpec === true ? MATH_SPEC : {}, nonlinearFirst: harness.nonlinear === true };
}

export const HARNESS_FILES: readonly HarnessFile[] = [
  {
    file: "proofs/RiskRamp.sol",
    ci: true,
    properties: [
      {
        contract: "RAMP_ThresholdWithinBounds",
        invariant: "INV-38",
        statement: "the effective threshold stays between its ramp's start and target",
      },
      {
        contract: "RAMP_LtvBelowThreshold",
        invariant: "INV-38",
        statement: "the effective LTV never exceeds the threshold",
      },
      {
        contract: "RAMP_ThresholdArrives",
        invariant: "INV-38",
        statement: "once the slower rate covers the distance, the threshold is its target",
      },
    ],
  },
  {
    file: "proofs/RiskRampRate.sol",
    ci: true,
    properties: [
      {
        contract: "RAMP_ThresholdRate",
        invariant: "INV-38",
        statement: "between any two times, the threshold falls ≤ 1 point and rises ≤ 0.25 point an hour (+1 wei)",
      },
    ],
  },
  {
    file: "proofs/RiskRampLtvRate.sol",
    ci: true,
    properties: [
      {
        contract: "RAMP_LtvRate",
        invariant: "INV-38",
        statement: "between any two times, the effective LTV rises ≤ 0.5 point an hour (+1 wei)",
      },
    ],
  },
  {
    file: "proofs/LiquidationIncentive.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_IncentiveWithinMax",
        invariant: "INV-14",
        statement:
          "the liquidation incentive never exceeds the collateral's maximum bonus, for any health, time and curve",
      },
      {
        contract: "LIQ_IncentiveAtLeastMin",
        invariant: "INV-14",
        statement: "the incentive never falls below the curve's minimum share of the maximum bonus (rounded down)",
      },
    ],
  },
  {
    file: "proofs/LiquidationBonusCap.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_SolventBonusWithinMargin",
        invariant: "INV-16",
        statement:
          "a solvent account's bonus is cut to its margin, (1 + bonus) × debt ≤ collateral; the cut never raises it",
      },
    ],
  },
  {
    file: "proofs/LiquidationRepay.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_RepayToTargetCases",
        invariant: "INV-14",
        statement: "the repayment to a target health is 0 exactly at or above it, 'close only' exactly under the drag",
      },
    ],
  },
  {
    file: "proofs/LiquidationFee.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_ProtocolFeeWithinBonus",
        invariant: "INV-18",
        statement: "the protocol's fee is at least its share of the bonus (rounded up), at most the bonus rounded up",
      },
    ],
  },
  {
    file: "proofs/FixedPointMath.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "FPM_WadMulRoundsAsNamed",
        invariant: "INV-09",
        statement: "wadMulDown is the floor of x·y/WAD, wadMulUp at least x·y/WAD and at most one above it",
      },
      {
        contract: "FPM_WadDivRoundsDown",
        invariant: "INV-09",
        statement: "wadDivDown is the floor of x·WAD/y (divides the right way round, and down), for y > 0",
      },
    ],
  },
  {
    file: "proofs/BorrowIndex.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "FPM_IndexNeverDecreases",
        invariant: "INV-06",
        statement: "the compound factor is ≥ 1 + rate × time, so an accrual (rounded up) never lowers the borrow index",
      },
    ],
  },
  {
    file: "proofs/KinkedRate.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "KRM_RateWithinMax",
        invariant: "rate model",
        statement:
          "utilisation never exceeds 100% and the APR never exceeds base + slope1 + slope2, whatever cash and debt",
      },
    ],
  },
  {
    file: "proofs/GainRelease.sol",
    ci: true,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LOSS_HeldBackWithinRelease",
        invariant: "INV-06",
        statement: "released gains never hold back more than the release, and nothing once it has ended",
      },
    ],
  },
  {
    file: "proofs/TwapMath.sol",
    ci: false,
    properties: [
      {
        contract: "TWAP_MeanTickIsFloor",
        invariant: "INV-23 (TWAP)",
        statement: "the mean tick is the floor of the cumulative's change over the window",
      },
    ],
  },
  {
    file: "proofs/RateLimit.sol",
    ci: true,
    properties: [
      {
        contract: "RL_LimitWithinBase",
        invariant: "issue 19 p9",
        statement: "at a 1%, 25% or 100% share the limit is ≤ the base (= at 100%); a tight one ≤ the normal one",
      },
    ],
  },
  {
    file: "proofs/RateLimitWindow.sol",
    ci: true,
    properties: [
      {
        contract: "RL_AdmittedOutflowWithinLimit",
        invariant: "issue 19 p9",
        statement: "an outflow the window admits, with the net outflow it counts, is within the limit",
      },
      {
        contract: "RL_FitsExactlyRoom",
        invariant: "issue 19 p9",
        statement: "fits(a) holds exactly when a ≤ room()",
      },
    ],
  },
  {
    file: "proofs/LiquidationIncentiveHealth.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_IncentiveMonotoneInHealth",
        invariant: "INV-14",
        statement: "a less healthy account never pays a smaller bonus",
      },
    ],
  },
  {
    file: "proofs/LiquidationIncentiveTime.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_IncentiveMonotoneInTime",
        invariant: "INV-14",
        statement: "an account left unliquidated longer never pays a smaller bonus",
      },
    ],
  },
  {
    file: "proofs/LiquidationSeize.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LIQ_SeizeWithinRepayAndBonus",
        invariant: "INV-14",
        statement: "collateral seized is worth at most the repaid value × (1 + bonus)",
      },
      {
        contract: "LIQ_RepayCoversSeize",
        invariant: "INV-14",
        statement: "a repayment's value × (1 + bonus) covers the collateral it buys",
      },
    ],
  },
  {
    file: "proofs/FixedPointMathDivUp.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "FPM_WadDivRoundsUp",
        invariant: "INV-09",
        statement: "wadDivUp is at least x·WAD/y and at most wadDivDown + 1, for y > 0",
      },
    ],
  },
  {
    file: "proofs/LendingBook.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LEND_BorrowRoundsUp",
        invariant: "INV-09",
        statement: "a borrow raises the borrower's debt by at least the amount borrowed",
      },
      {
        contract: "LEND_RepayCreditsNoMore",
        invariant: "INV-09",
        statement: "a partial repayment lowers the debt by at most the amount repaid; repaying all clears it",
      },
      {
        contract: "LEND_ScaledSumsMoveTogether",
        invariant: "INV-01",
        statement: "a borrow or repayment moves the account's and the total scaled debt by the same amount",
      },
    ],
  },
  {
    file: "proofs/GainReleaseFalls.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "LOSS_HeldBackOnlyFalls",
        invariant: "INV-06",
        statement: "what a release of gains holds back only falls as time passes",
      },
    ],
  },
  {
    file: "proofs/KinkedRateMonotone.sol",
    ci: false,
    mathSpec: true,
    nonlinear: true,
    properties: [
      {
        contract: "KRM_RateMonotone",
        invariant: "rate model",
        statement: "the more utilised of two markets on one curve never pays a lower APR",
      },
    ],
  },
  {
    file: "proofs/CollateralConfig.sol",
    ci: false,
    mathSpec: true,
    properties: [
      {
        contract: "BOOK_ConfigHasBuffer",
        invariant: "INV-17",
        statement: "a config validate accepts has (1 + bonus) × threshold < 1, LTV ≤ threshold ≤ 95%, bonus ≤ 20%",
      },
    ],
  },
  {
    file: "proofs/RiskRampTargets.sol",
    ci: false,
    mathSpec: true,
    properties: [
      {
        contract: "RAMP_ThresholdTargetWithinBounds",
        invariant: "INV-38",
        statement:
          "a restarted ramp's threshold target lies in [config / 2, config], under the cap unless at the floor",
      },
      {
        contract: "RAMP_LtvTargetKeepsGap",
        invariant: "INV-38",
        statement: "its LTV target ≤ config LTV and cap, and the config's LTV gap below the threshold target",
      },
    ],
  },
];
