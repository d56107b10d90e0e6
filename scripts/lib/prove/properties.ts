/**
 * The properties `npm run prove` checks: each a contract of a harness file in proofs/, named after the invariant it
 * states (shared INVARIANTS.md ids, or the issue property it comes from). Files marked `ci` settle within seconds and
 * run in `npm test`; the rest run with `--all`.
 */

export interface HarnessFile {
  file: string;
  /** Runs in `npm test` (every property in it is proved within the default time limit). */
  ci: boolean;
  properties: { contract: string; invariant: string; statement: string }[];
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
    ci: false,
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
];
