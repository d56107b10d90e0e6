/**
 * `npm run prove`'s engine: the Solidity compiler's model checker (SMTChecker, CHC engine) over the harness contracts
 * in proofs/, with Debian's `z3` as its Horn solver through solc-js's SMT callback. (The WebAssembly compiler's own
 * Z3 cannot start here: "thread constructor failed".)
 *
 * A harness file holds one contract per property, each stating it as `assert`s. The checker reports every assertion
 * of the file: safe ("check is safe!"), violated ("happens here": the solver found a violating run; through an
 * external solver solc prints no model of it), or not decided ("might happen here": a solver timeout, an error, or a
 * verification condition it could not settle). A property is proved
 * only when every assertion of its contract is safe; any counterexample makes it a counterexample; anything else is
 * unknown, never proved.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

export type Verdict = "proved" | "counterexample" | "unknown";

/** One assertion as the checker reported it. */
export interface AssertionResult {
  contract: string;
  line: number;
  verdict: Verdict;
  /** The checker's counterexample or message, for anything not proved. */
  detail?: string;
  /** A violation the checker reported where it had replaced code by arbitrary values: unknown, not a counterexample. */
  abstracted?: true;
}

/** A harness file's run: each assertion, and what the solver and the whole check cost. */
export interface FileRun {
  file: string;
  assertions: AssertionResult[];
  queries: number;
  solverSeconds: number;
  wallSeconds: number;
}

/** What the checker emits, as far as the prover reads it (solc's standard JSON `errors`). */
export interface CompilerMessage {
  severity: string;
  errorCode?: string;
  message: string;
  formattedMessage?: string;
  sourceLocation?: { file: string; start: number; end: number };
}

/** solc's codes: 9576 a target proved safe; 6328 an assertion violated or possibly violated. */
const SAFE = "9576";
const ASSERTION = "6328";

/** `source` with its comments blanked out (same length, so offsets still match). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, " "));
}

/** Every contract, abstract contract, library and interface declared at the start of a line, in order. */
function declarationsOf(source: string): { name: string; start: number; concrete: boolean }[] {
  return [...withoutComments(source).matchAll(/^(abstract\s+contract|contract|library|interface)\s+(\w+)/gm)].map(
    (m) => ({ name: m[2], start: m.index ?? 0, concrete: m[1] === "contract" }),
  );
}

/** Each (non-abstract) `contract Name` of `source` with the offset where it starts, in order. */
export function contractsOf(source: string): { name: string; start: number }[] {
  return declarationsOf(source)
    .filter((d) => d.concrete)
    .map(({ name, start }) => ({ name, start }));
}

/**
 * The lines holding an `assert(` in each declaration of `source` (comments aside). Throws when an abstract contract,
 * a library or an interface asserts: its assertions would be checked in each contract deriving from it, and the
 * checker's messages could not be told apart.
 */
export function assertionLines(source: string): Map<string, number[]> {
  const text = withoutComments(source);
  const declarations = declarationsOf(source);
  const lines = new Map<string, number[]>();
  declarations.forEach((d, i) => {
    const end = declarations[i + 1]?.start ?? text.length;
    const found = [...text.slice(d.start, end).matchAll(/\bassert\s*\(/g)].map(
      (m) => text.slice(0, d.start + (m.index ?? 0)).split("\n").length,
    );
    if (!d.concrete && found.length > 0)
      throw new Error(`${d.name}: a harness base must not assert (line ${found[0]})`);
    if (d.concrete) lines.set(d.name, [...new Set(found)]);
  });
  return lines;
}

/**
 * Sorts the checker's messages about assertions of `source` (harness file `file`) by contract: proved, counterexample
 * or unknown. Messages about other targets or files are ignored; a line with both a safe and an unsafe message (the
 * checker reports per verification target) is not proved. solc's offsets count bytes (UTF-8), not characters.
 */
export function classify(file: string, source: string, messages: readonly CompilerMessage[]): AssertionResult[] {
  const bytes = Buffer.from(source, "utf8");
  const charOffset = (byteOffset: number): number => bytes.subarray(0, byteOffset).toString("utf8").length;
  const contracts = contractsOf(source);
  const owner = (offset: number): string => contracts.filter((c) => c.start <= offset).at(-1)?.name ?? "";
  const lineOf = (offset: number): number => source.slice(0, offset).split("\n").length;
  const byLine = new Map<number, AssertionResult>();
  for (const m of messages) {
    const at = m.sourceLocation;
    if (at === undefined || at.file !== file) continue;
    const safe = m.errorCode === SAFE && /Assertion violation check is safe/.test(m.message);
    const unsafe = m.errorCode === ASSERTION;
    if (!safe && !unsafe) continue;
    const start = charOffset(at.start);
    const line = lineOf(start);
    // "happens here": the solver found the violation (with an external solver solc gets no model to print);
    // "might happen here": it did not decide.
    const verdict: Verdict = safe ? "proved" : /violation happens here/.test(m.message) ? "counterexample" : "unknown";
    const previous = byLine.get(line);
    // The worst verdict for the line wins: counterexample, then unknown, then proved.
    const rank = { proved: 0, unknown: 1, counterexample: 2 } as const;
    if (previous !== undefined && rank[previous.verdict] >= rank[verdict]) continue;
    byLine.set(line, {
      contract: owner(start),
      line,
      verdict,
      ...(verdict === "proved" ? {} : { detail: (m.formattedMessage ?? m.message).trim() }),
    });
  }
  // Every assertion must have its verdict: one the checker said nothing about is unknown, never proved.
  for (const [contract, lines] of assertionLines(source)) {
    for (const line of lines) {
      if (!byLine.has(line)) byLine.set(line, { contract, line, verdict: "unknown", detail: "no verdict reported" });
    }
  }
  // Where the checker replaced code it does not model by arbitrary values (`10 ** d` with a variable exponent, inline
  // assembly), a proof still holds (every behaviour of the real code is among those it considered), but a violation
  // may be one only the arbitrary values allow: it is unknown, not a counterexample.
  const abstracted = messages.filter((m) => UNSUPPORTED.test(m.message));
  if (abstracted.length > 0) {
    const first = abstracted[0];
    const where = first.sourceLocation === undefined ? "" : ` (${first.sourceLocation.file})`;
    for (const result of byLine.values()) {
      if (result.verdict !== "counterexample") continue;
      result.verdict = "unknown";
      result.abstracted = true;
      result.detail =
        `${result.detail ?? ""}\n(not a counterexample: the checker abstracted ${abstracted.length} piece(s) of code ` +
        `it does not model, e.g. "${first.message}"${where}; the violation may need values the real code never takes)`;
    }
  }
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}

/** The checker's notes that it replaced an operation or a block it does not model by arbitrary values. */
const UNSUPPORTED =
  /does not yet (implement|support)|Inline assembly may cause SMTChecker to produce spurious warnings/;

/**
 * Model checker messages without a place that mean its report is incomplete: more messages than solc keeps (4591,
 * 2833), or a requested contract it did not find (7400).
 */
const INCOMPLETE = new Set(["4591", "2833", "7400"]);

/** A property's verdict from its assertions: proved only if every one is (and there is at least one). */
export function verdictOf(assertions: readonly AssertionResult[]): Verdict {
  if (assertions.length === 0) return "unknown";
  if (assertions.some((a) => a.verdict === "counterexample")) return "counterexample";
  return assertions.every((a) => a.verdict === "proved") ? "proved" : "unknown";
}

/**
 * z3's options for solc's Horn queries: solc-js's own defaults, and `fp.validate`: Spacer checks its own answer
 * before giving it (the inductive invariant of a "safe", the trace of a violation) and errs instead of answering when
 * the check fails, so neither configuration's answer is taken on trust (z3 4.8.12 has known cases of two Spacer
 * settings disagreeing on one query: Z3Prover/z3#5419). A per-query time limit is added.
 */
const Z3_OPTIONS = [
  "rewriter.pull_cheap_ite=true",
  "fp.spacer.q3.use_qgen=true",
  "fp.spacer.mbqi=false",
  "fp.spacer.ground_pobs=false",
  "fp.validate=true",
];

/**
 * The same with z3's newer arithmetic solver for Spacer (`arith.solver=6`), which settles the products of two
 * variables the fixed-point math makes (the incentive's bound: unknown with the defaults, proved with it in seconds)
 * but loses the risk ramp's rate properties, which the defaults prove. A query one configuration leaves undecided is
 * asked again with the other; each answer is validated by z3 itself (`fp.validate`).
 */
const Z3_NONLINEAR_OPTIONS = [...Z3_OPTIONS, "fp.spacer.arith.solver=6"];

/** How `checkFile` compiles and solves a harness file. */
export interface CheckOptions {
  /** Imports (as solc names them) compiled from another file under the root: a specification the checker can read. */
  substitutes?: Readonly<Record<string, string>>;
  /** Ask z3's non-linear configuration first (the fixed-point harnesses), the defaults second. */
  nonlinearFirst?: boolean;
  /** The harness's text, in place of the file's (a mutant, test/unit/ProveMutants.test.ts); imports resolve as the
   *  file's would. */
  source?: string;
}

/**
 * Whether z3 answered a Horn query: "sat" (no error state is reachable) or "unsat" (one is) on its first line, and no
 * error after it (a failed validation). Anything else is undecided, and is passed to solc as "unknown".
 */
export function decided(out: string): boolean {
  const lines = out.split("\n");
  return (lines[0] === "sat" || lines[0] === "unsat") && !lines.some((line) => line.startsWith("(error"));
}

/** z3's output for the query in `file`; solc reads whatever it printed (anything but sat/unsat: unknown). */
function z3(file: string, options: readonly string[], timeoutSeconds: number): string {
  try {
    return execFileSync("z3", ["-smt2", `-T:${timeoutSeconds}`, ...options, file], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
  } catch (error) {
    // z3 exits non-zero on a timeout or an error.
    return (error as { stdout?: string }).stdout ?? "";
  }
}

/** Whether `z3` runs on this machine. */
export function z3Version(): string | undefined {
  try {
    return execFileSync("z3", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Checks the harness file `file` (relative to `root`, e.g. "proofs/RiskRamp.sol") with a time limit of
 * `queryTimeoutSeconds` per solver query and each configuration (`CheckOptions`).
 */
export function checkFile(
  root: string,
  file: string,
  queryTimeoutSeconds: number,
  { substitutes = {}, nonlinearFirst = false, source: given }: CheckOptions = {},
): FileRun {
  const [first, second] = nonlinearFirst ? [Z3_NONLINEAR_OPTIONS, Z3_OPTIONS] : [Z3_OPTIONS, Z3_NONLINEAR_OPTIONS];
  const require = createRequire(import.meta.url);
  const solc = require("solc") as { compile: (input: string, callbacks: object) => string };
  const source = given ?? readFileSync(path.join(root, file), "utf8");
  const findImports = (name: string): { contents: string } | { error: string } => {
    const substitute = substitutes[name];
    if (substitute !== undefined) return { contents: readFileSync(path.join(root, substitute), "utf8") };
    for (const base of [root, path.join(root, "node_modules")]) {
      const full = path.resolve(base, name);
      if (existsSync(full)) return { contents: readFileSync(full, "utf8") };
    }
    return { error: `not found: ${name}` };
  };
  const scratch = mkdtempSync(path.join(os.tmpdir(), "bulwark-prove-"));
  let queries = 0;
  let solverMs = 0;
  const smtSolver = (query: string): { contents: string } => {
    queries++;
    const file = path.join(scratch, "query.smt2");
    // solc 0.8.28 names the empty tuple's value `tuple_constructor`, which z3 4.8 does not know: it is the
    // constructor `|tuple()|` the query itself declares.
    writeFileSync(file, query.replace(/(?<=[ (])tuple_constructor(?=[ )])/g, "|tuple()|"));
    const started = performance.now();
    let out = z3(file, first, queryTimeoutSeconds);
    if (!decided(out)) out = z3(file, second, queryTimeoutSeconds);
    if (!decided(out)) out = "unknown\n";
    solverMs += performance.now() - started;
    return { contents: out };
  };
  const input = {
    language: "Solidity",
    sources: { [file]: { content: source } },
    settings: {
      modelChecker: {
        engine: "chc",
        // Each property's contract is analysed as the deployed one.
        contracts: { [file]: contractsOf(source).map((c) => c.name) },
        targets: ["assert"],
        showProvedSafe: true,
        showUnproved: true,
        // Named one by one, so that a counterexample that relies on them is not taken for a real one (classify).
        showUnsupported: true,
        solvers: ["smtlib2"],
      },
      outputSelection: { "*": { "*": [] } },
    },
  };
  const started = performance.now();
  try {
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports, smtSolver })) as {
      errors?: CompilerMessage[];
    };
    const errors = (output.errors ?? []).filter((m) => m.severity === "error" || INCOMPLETE.has(m.errorCode ?? ""));
    if (errors.length > 0) throw new Error(`${file}: ${errors.map((e) => e.formattedMessage ?? e.message).join("\n")}`);
    return {
      file,
      assertions: classify(file, source, output.errors ?? []),
      queries,
      solverSeconds: solverMs / 1000,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
