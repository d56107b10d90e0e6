/**
 * What a Monte Carlo shard was computed with, so that `--merge` refuses shards of different code: a SHA-256 over every
 * file a replay's outcome depends on (the contracts, the simulation's and the model's scripts, the crash files, the
 * locked dependencies) and the runtime (Node and the in-process chain, EDR). Computed from the files, not from git, so
 * it also holds in a container built without git or with uncommitted changes.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Directories (with the file endings that count) and single files, relative to the project root. */
const INPUTS: readonly [string, RegExp][] = [
  ["contracts", /\.sol$/],
  ["bench/contracts", /\.sol$/],
  ["scripts/lib", /\.ts$/],
  ["scripts/scenarios", /\.csv$/],
  ["package-lock.json", /./],
];

export interface CodeId {
  /** SHA-256 (hex) of the inputs' paths and contents, and of `node` and `edr`. */
  fingerprint: string;
  node: string;
  edr: string;
}

function files(relative: string, pattern: RegExp, root: string): string[] {
  const full = path.join(root, relative);
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full, { withFileTypes: true })
    .flatMap((entry) => {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) return files(child, pattern, root);
      return pattern.test(entry.name) ? [child] : [];
    })
    .sort();
}

/** The code id of the project at `root` under this Node. */
export function codeId(root = ROOT): CodeId {
  const edrPackage = path.join(root, "node_modules", "@nomicfoundation", "edr", "package.json");
  let edr = "unknown";
  try {
    edr = String((JSON.parse(readFileSync(edrPackage, "utf8")) as { version?: unknown }).version ?? "unknown");
  } catch {
    // Without the package the replay cannot run at all; the id still differs from any real one.
  }
  const hash = createHash("sha256");
  hash.update(`node ${process.version}\nedr ${edr}\n`);
  for (const [input, pattern] of INPUTS) {
    for (const file of files(input, pattern, root)) {
      hash.update(`${file.split(path.sep).join("/")}\n`);
      hash.update(readFileSync(path.join(root, file)));
    }
  }
  return { fingerprint: hash.digest("hex"), node: process.version, edr };
}
