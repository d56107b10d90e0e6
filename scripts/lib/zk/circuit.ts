// Where the circuit, its build and its keys live, compiling it with circom2 (Circom 2 in WebAssembly, offline), and
// the pin `npm run zk:setup` writes (zk/setup.json): which circuit the committed key and verifier belong to.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/** The repository's root. */
export const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
export const PATHS = {
  circuit: path.join(ROOT, "zk", "circuits", "solvency.circom"),
  build: path.join(ROOT, "zk", "build"),
  r1cs: path.join(ROOT, "zk", "build", "solvency.r1cs"),
  wasm: path.join(ROOT, "zk", "build", "solvency_js", "solvency.wasm"),
  zkey: path.join(ROOT, "zk", "keys", "solvency.zkey"),
  vkey: path.join(ROOT, "zk", "keys", "verification_key.json"),
  pin: path.join(ROOT, "zk", "setup.json"),
  verifier: path.join(ROOT, "zk", "contracts", "Groth16Verifier.sol"),
  nodeModules: path.join(ROOT, "node_modules"),
} as const;

/** What zk/setup.json records. */
export type SetupPin = {
  /** sha256 of the compiled constraint system (solvency.r1cs). */
  circuit: string;
  constraints: number;
  publicInputs: number;
  /** Powers of tau: 2^power ≥ constraints + public inputs + 1. */
  power: number;
  /** The public beacons of the test-only ceremony (phase 1, phase 2) and their iteration exponent. */
  beacons: { phase1: string; phase2: string; iterationsExp: number };
  /** sha256 of the proving key, the verification key and the generated verifier. */
  zkey: string;
  vkey: string;
  verifier: string;
  /** Always true: this key came from a deterministic local ceremony and must never guard value (docs/zk.md). */
  testOnly: true;
};

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

export function readPin(): SetupPin | undefined {
  if (!existsSync(PATHS.pin)) return undefined;
  return JSON.parse(readFileSync(PATHS.pin, "utf8")) as SetupPin;
}

/** Compiles the circuit into zk/build (r1cs and witness wasm), a few seconds; returns the r1cs hash. */
export async function compileCircuit(outDir: string = PATHS.build): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const cli = require.resolve("circom2/cli.js");
  const args = [cli, PATHS.circuit, "--r1cs", "--wasm", "--O2", "-o", outDir, "-l", PATHS.nodeModules];
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-warnings", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  const text = output.join("").replace(/\x1b\[[0-9;]*m/g, "");
  if (code !== 0 || !/Everything went okay/.test(text)) {
    throw new Error(`circom2 could not compile ${path.relative(ROOT, PATHS.circuit)}:\n${text.trim()}`);
  }
  return sha256File(path.join(outDir, "solvency.r1cs"));
}

/**
 * The compiled circuit, built if zk/build lacks it or holds another circuit than the source: after this the wasm
 * and r1cs match zk/circuits/solvency.circom. Throws when the pin names another circuit (the key and verifier are
 * stale: run `npm run zk:setup`).
 */
export async function ensureCircuit(): Promise<{ r1cs: string; wasm: string; hash: string }> {
  const pin = readPin();
  const source = sha256File(PATHS.circuit);
  const stamp = path.join(PATHS.build, "source.sha256");
  const fresh =
    existsSync(PATHS.r1cs) && existsSync(PATHS.wasm) && existsSync(stamp) && readFileSync(stamp, "utf8") === source;
  let hash = fresh ? sha256File(PATHS.r1cs) : undefined;
  if (hash === undefined) {
    hash = await compileCircuit();
    writeFileSync(stamp, source);
  }
  if (pin !== undefined && hash !== pin.circuit) {
    throw new Error(
      `zk/circuits/solvency.circom compiles to ${hash.slice(0, 12)}…, but the committed key is for ${pin.circuit.slice(0, 12)}…: run npm run zk:setup`,
    );
  }
  return { r1cs: PATHS.r1cs, wasm: PATHS.wasm, hash };
}
