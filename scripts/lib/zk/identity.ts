// An attestation identity: a secret field element, kept in a file only its owner can read (mode 600), and its
// commitment Poseidon(secret), which the borrower passes to SolvencySnapshots.snapshot.

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { SNARK_FIELD } from "./layout.js";
import type { Hasher } from "./poseidon.js";
import { randomSecret } from "./prover.js";

export type Identity = { secret: bigint; idCommitment: bigint };

const hex = (value: bigint): string => "0x" + value.toString(16).padStart(64, "0");

/** A new identity from the operating system's randomness. */
export function newIdentity(hash: Hasher): Identity {
  const secret = randomSecret((n) => randomBytes(n));
  return { secret, idCommitment: hash.one(secret) };
}

/** Writes a new identity file, mode 600; refuses to overwrite one (a lost secret is a lost identity). */
export function writeIdentity(file: string, identity: Identity): void {
  if (existsSync(file)) throw new Error(`${file} exists: an identity is never overwritten (choose another --out)`);
  const body = { version: 1, secret: hex(identity.secret), idCommitment: hex(identity.idCommitment) };
  writeFileSync(file, JSON.stringify(body, null, 2) + "\n", { mode: 0o600, flag: "wx" });
}

/** Reads an identity file: refused when others may read it, malformed, or its commitment does not match. */
export function readIdentity(file: string, hash: Hasher): Identity {
  if (!existsSync(file))
    throw new Error(`no identity file at ${file} (npm run zk:identity -- --out ${file} makes one)`);
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${file} can be read by others (mode ${mode.toString(8)}): chmod 600 ${file}`);
  }
  let parsed: { secret?: unknown; idCommitment?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as typeof parsed;
  } catch {
    throw new Error(`${file} is not an identity file (not JSON)`);
  }
  if (typeof parsed.secret !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(parsed.secret)) {
    throw new Error(`${file} is not an identity file (no secret)`);
  }
  const secret = BigInt(parsed.secret);
  if (secret === 0n || secret >= SNARK_FIELD) throw new Error(`${file}: the secret is not a field element`);
  const idCommitment = hash.one(secret);
  if (parsed.idCommitment !== undefined && BigInt(String(parsed.idCommitment)) !== idCommitment) {
    throw new Error(`${file}: the idCommitment does not match the secret (the file was edited)`);
  }
  return { secret, idCommitment };
}
