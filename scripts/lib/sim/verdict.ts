/**
 * The simulation's verdict: one line per run saying what the crash cost, and, when the command line sets limits
 * (`--max-bad-debt PCT`, `--max-lender-loss PCT`), whether the run stayed within them. A run over a limit makes the
 * command exit 3, so CI can gate a parameter change on a replayed crash.
 *
 * The loss counted against `--max-bad-debt` is the bad debt booked plus the shortfall still open at the end (debt its
 * collateral no longer covers), as a percentage of the borrows at the start: a protocol that has not written a loss
 * off yet (Morpho Blue books it only when a position's last collateral is taken) has still lost it.
 */
import { formatPct, formatUsd } from "./reportText.js";
import { PARAMS_MODES, type RunReport, type SimulationReport, type Verdict } from "./types.js";

/** Percent limits; null: not set. */
export interface Limits {
  maxBadDebtPct: number | null;
  maxLenderLossPct: number | null;
}

/** Bad debt booked plus open shortfall, percent of initial borrows (0 without borrows). */
export function lossPct(run: RunReport): number {
  const borrows = run.initialBorrows.usd;
  return borrows > 0 ? ((run.badDebt.usd + run.openShortfallUsd) / borrows) * 100 : 0;
}

/**
 * Lenders' worst loss over the run: the share price's deepest fall below its peak at any step (a lender who left then
 * lost that much), or at the end, whichever is larger.
 */
export function worstLenderLossPct(run: RunReport): number {
  return run.series.reduce((worst, step) => Math.max(worst, step.lenderLossPct ?? 0), run.lenderLossPct);
}

/** The verdict on one run. */
export function verdictOf(run: RunReport, limits: Limits): Verdict {
  const loss = lossPct(run);
  const lenderLoss = worstLenderLossPct(run);
  const exceeded: string[] = [];
  if (limits.maxBadDebtPct !== null && loss > limits.maxBadDebtPct) {
    exceeded.push(`bad debt ${formatPct(loss)} > --max-bad-debt ${formatPct(limits.maxBadDebtPct)}`);
  }
  if (limits.maxLenderLossPct !== null && lenderLoss > limits.maxLenderLossPct) {
    exceeded.push(`lender loss ${formatPct(lenderLoss)} > --max-lender-loss ${formatPct(limits.maxLenderLossPct)}`);
  }
  const limited = limits.maxBadDebtPct !== null || limits.maxLenderLossPct !== null;
  const lost = loss > 0 || lenderLoss > 0;
  const status = limited ? (exceeded.length > 0 ? "FAIL" : "PASS") : lost ? "LOSS" : "NO LOSS";
  const limit = (value: number | null): string => (value === null ? "" : ` (limit ${formatPct(value)})`);
  const figures =
    `bad debt ${formatPct(loss)} of borrows${limit(limits.maxBadDebtPct)}: ${formatUsd(run.badDebt.usd)} booked + ` +
    `${formatUsd(run.openShortfallUsd)} open; lender loss ${formatPct(lenderLoss)}${limit(limits.maxLenderLossPct)}`;
  const line = `verdict ${run.params}: ${status} — ${figures}`;
  return { params: run.params, status, lossPct: loss, lenderLossPct: lenderLoss, exceeded, line };
}

/** The verdicts on every run of `report`, in report order. */
export function verdicts(report: SimulationReport, limits: Limits): Verdict[] {
  return PARAMS_MODES.flatMap((mode) => {
    const run = report.runs[mode];
    return run === undefined ? [] : [verdictOf(run, limits)];
  });
}
