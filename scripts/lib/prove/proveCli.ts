/**
 * `npm run prove [-- --all] [--only CONTRACT] [--timeout SECONDS] [--json FILE]`: runs the model checker over the
 * harness files (prover.ts, properties.ts) and prints one row per property: its invariant, the result (proved,
 * counterexample, or unknown within the time limit; never proved on a timeout) and the time its file took.
 * Without `--all`, only the files that settle within seconds (the ones `npm test` runs).
 *
 * Exit status: 1 when a property has a counterexample or a CI property is not proved, else 0 (an unknown property
 * outside the CI set, with `--all` or `--only`, is reported but does not fail); 2 on a bad flag or a missing z3.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

import { renderTable } from "../format.js";
import { checkFiles } from "./pool.js";
import { verdictOf, z3Version, type AssertionResult, type Verdict } from "./prover.js";
import { HARNESS_FILES, type HarnessFile } from "./properties.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Seconds per solver query by default: enough for the CI files (each settles in a few seconds a query). */
export const DEFAULT_TIMEOUT = 30;

export interface PropertyRow {
  property: string;
  invariant: string;
  file: string;
  statement: string;
  result: Verdict;
  /** Unknown only because a violation rests on code the checker replaced by arbitrary values. */
  abstracted: boolean;
  /** Seconds the property's whole file took (the checker runs a file at once), and its solver's share. */
  fileSeconds: number;
  solverSeconds: number;
  /** Why it is not proved: the checker's message per assertion. */
  details: string[];
}

/** Rows for `file`'s properties from its assertions (an assertion outside every listed property is an error). */
export function rowsOf(
  harness: HarnessFile,
  assertions: readonly AssertionResult[],
  times: { wallSeconds: number; solverSeconds: number },
): PropertyRow[] {
  const listed = new Set(harness.properties.map((p) => p.contract));
  const stray = assertions.filter((a) => !listed.has(a.contract));
  if (stray.length > 0) {
    throw new Error(
      `${harness.file}: assertions outside the listed properties (${stray.map((a) => a.contract).join(", ")})`,
    );
  }
  return harness.properties.map((p) => {
    const own = assertions.filter((a) => a.contract === p.contract);
    return {
      property: p.contract,
      invariant: p.invariant,
      file: harness.file,
      statement: p.statement,
      result: verdictOf(own),
      abstracted: verdictOf(own) === "unknown" && own.some((a) => a.abstracted === true),
      fileSeconds: times.wallSeconds,
      solverSeconds: times.solverSeconds,
      details: own.filter((a) => a.verdict !== "proved").map((a) => `line ${a.line}: ${a.detail ?? a.verdict}`),
    };
  });
}

/** A row's result as the table shows it: an unknown that rests on a violation over abstracted code says so. */
function shown(row: PropertyRow): string {
  return row.abstracted ? "unknown (abstracted)" : row.result;
}

export async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        all: { type: "boolean" },
        only: { type: "string" },
        timeout: { type: "string" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`prove: ${(error as Error).message} (npm run prove -- --help)\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(
      "npm run prove [-- --all] [--only CONTRACT] [--timeout SECONDS] [--json FILE]\n" +
        "  Proves the properties in proofs/ with the compiler's model checker (CHC) and z3.\n" +
        "  --all        also the files that take minutes (default: the CI set)\n" +
        "  --only C     only the file holding property C\n" +
        `  --timeout S  seconds per solver query (default ${DEFAULT_TIMEOUT})\n` +
        "  --json FILE  also write the rows as JSON\n",
    );
    return 0;
  }
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT : Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) {
    process.stderr.write(`prove: --timeout must be whole seconds from 1 to 3600, got "${values.timeout}"\n`);
    return 2;
  }
  let files = HARNESS_FILES.filter((f) => values.all === true || f.ci);
  if (values.only !== undefined) {
    files = HARNESS_FILES.filter((f) => f.properties.some((p) => p.contract === values.only));
    if (files.length === 0) {
      const known = HARNESS_FILES.flatMap((f) => f.properties.map((p) => p.contract)).join(", ");
      process.stderr.write(`prove: no property "${values.only}" (known: ${known})\n`);
      return 2;
    }
  }
  const z3 = z3Version();
  if (z3 === undefined) {
    process.stderr.write(
      "prove: z3 is not installed (Debian: apt-get install z3); the checker needs it as its solver\n",
    );
    return 2;
  }
  process.stderr.write(`prove: ${z3}; ${files.length} file(s), ${timeout} s per query\n`);
  const rows: PropertyRow[] = [];
  // One worker process per core: the files are independent, and the checker is synchronous.
  const runs = await checkFiles(
    files.map((harness) => ({ root: ROOT, file: harness.file, timeout })),
    {
      onStart: (i) =>
        process.stderr.write(`prove: checking ${files[i].file} (${files[i].properties.length} properties)…\n`),
      onDone: (i, run) =>
        process.stderr.write(
          `prove:   ${files[i].file}: ${run.wallSeconds.toFixed(1)} s (${run.queries} queries, solver ${run.solverSeconds.toFixed(1)} s)\n`,
        ),
    },
  );
  for (const [i, harness] of files.entries()) {
    const run = runs[i];
    const fileRows = rowsOf(harness, run.assertions, run);
    rows.push(...(values.only === undefined ? fileRows : fileRows.filter((r) => r.property === values.only)));
  }
  process.stdout.write(
    `${renderTable(
      [
        { header: "Property" },
        { header: "Invariant" },
        { header: "Result" },
        { header: "File time", align: "right" },
        { header: "Statement" },
      ],
      rows.map((r) => [r.property, r.invariant, shown(r), `${r.fileSeconds.toFixed(1)} s`, r.statement]),
    )}\n`,
  );
  if (rows.some((r) => r.abstracted)) {
    process.stdout.write(
      "(abstracted): the checker reported a violation where it had replaced code it does not model by arbitrary " +
        "values; unknown, not a counterexample (docs/proofs.md)\n",
    );
  }
  for (const r of rows.filter((row) => row.result !== "proved")) {
    process.stdout.write(`\n${r.property} (${r.result}):\n  ${r.details.join("\n  ")}\n`);
  }
  const proved = rows.filter((r) => r.result === "proved").length;
  process.stdout.write(`\n${proved} of ${rows.length} properties proved.\n`);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ z3, timeout, rows }, null, 2)}\n`);
  const ciFiles = new Set(HARNESS_FILES.filter((f) => f.ci).map((f) => f.file));
  const failed = rows.filter((r) => r.result === "counterexample" || (ciFiles.has(r.file) && r.result !== "proved"));
  for (const r of failed) process.stderr.write(`prove: ${r.property}: ${r.result}\n`);
  return failed.length > 0 ? 1 : 0;
}
