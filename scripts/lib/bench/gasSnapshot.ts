/**
 * Gas as a committed snapshot (as Uniswap v4-core checks its own): `test/unit/GasSnapshot.test.ts` measures every
 * operation of bench/gas.json again in `npm test` and fails, naming each one, when an operation costs more than 1%
 * above the snapshot, or when the measured operations and the snapshot's differ. A change that costs gas on purpose
 * updates the snapshot (`BULWARK_BENCH_ONLY=gas npm run bench`) in the same commit; a saving passes, and the test
 * prints it so that it is written into the snapshot.
 */

/** An operation's gas before (the snapshot) and after (measured now). */
export interface GasChange {
  name: string;
  before: number;
  after: number;
  /** (after − before) / before. */
  change: number;
}

export interface GasComparison {
  /** Costlier than the snapshot by more than the tolerance: these fail. */
  raised: GasChange[];
  /** Cheaper by more than the tolerance: these pass (update the snapshot to lock the saving in). */
  lowered: GasChange[];
  /** Measured, not in the snapshot. */
  added: string[];
  /** In the snapshot, not measured. */
  removed: string[];
}

/** The default tolerance: 1%. */
export const GAS_TOLERANCE = 0.01;

/** Compares measured gas with the snapshot's, operation by operation. */
export function compareGas(
  snapshot: Readonly<Record<string, number>>,
  measured: Readonly<Record<string, number>>,
  tolerance = GAS_TOLERANCE,
): GasComparison {
  const out: GasComparison = { raised: [], lowered: [], added: [], removed: [] };
  for (const [name, after] of Object.entries(measured)) {
    const before = snapshot[name];
    if (before === undefined) {
      out.added.push(name);
      continue;
    }
    const change = (after - before) / before;
    if (change > tolerance) out.raised.push({ name, before, after, change });
    else if (change < -tolerance) out.lowered.push({ name, before, after, change });
  }
  for (const name of Object.keys(snapshot)) if (!(name in measured)) out.removed.push(name);
  return out;
}

const pct = (change: number): string => `${change >= 0 ? "+" : ""}${(change * 100).toFixed(2)}%`;

/** What fails the check, one line per operation (empty: the snapshot holds). */
export function snapshotFailures(comparison: GasComparison, tolerance = GAS_TOLERANCE): string[] {
  const limit = `${(tolerance * 100).toFixed(0)}%`;
  return [
    ...comparison.raised.map(
      (c) =>
        `${c.name}: ${c.after.toLocaleString("en-US")} gas, ${pct(c.change)} against bench/gas.json's ` +
        `${c.before.toLocaleString("en-US")} (more than ${limit})`,
    ),
    ...comparison.added.map((name) => `${name}: measured, but not in bench/gas.json`),
    ...comparison.removed.map((name) => `${name}: in bench/gas.json, but no longer measured`),
  ];
}
