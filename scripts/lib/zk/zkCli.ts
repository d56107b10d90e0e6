/**
 * `npm run zk:identity` and `npm run zk:prove` (docs/zk.md).
 *
 * identity: makes a secret (mode 600 file) and prints its commitment, which the borrower passes to
 * `SolvencySnapshots.snapshot`.
 *
 * prove: reads every snapshot from the registry (rebuilding the synced tree and checking it against the chain), picks
 * the identity's latest synced snapshot that satisfies the claim, counts the distinct identities whose snapshots satisfy it (the
 * anonymity set) and refuses below `--min-anonymity` (default 8), proves with the committed key, checks the proof
 * off chain and with the gate's `verify` (a view: nothing is sent), and writes the attestation as JSON.
 */
import { writeFileSync } from "node:fs";
import { JsonRpcProvider, getAddress, id as keccakText, isAddress, isHexString, parseUnits, toUtf8Bytes } from "ethers";

import { UsageError, parseOptions, runCli, wholeNumber } from "../cliArgs.js";
import { WIDTHS, messageField, packClaim, scopeOf, type Claim } from "./layout.js";

const USAGE = [
  "usage: npm run zk:identity -- --out FILE",
  "       npm run zk:prove -- --rpc URL --snapshots ADDR --gate ADDR --identity FILE --consumer ADDR",
  "                           --context TEXT|0xBYTES32 [--message TEXT|0xBYTES] [claim options] [--out FILE]",
  "",
  "identity: writes a new secret to FILE (mode 600; never overwrites) and prints its idCommitment.",
  "prove: proves that one of the identity's snapshots satisfies the claim, for one consumer and context.",
  "  --rpc URL            the chain's JSON-RPC endpoint",
  "  --snapshots ADDR     the SolvencySnapshots registry     --gate ADDR  the SolvencyGate",
  "  --identity FILE      the identity file (mode 600)       --consumer ADDR  the contract that will consume it",
  "  --context X          the consumer's context: 0x and 64 hex digits, or text (hashed with keccak256)",
  "  --message X          the message the proof is bound to: 0x-hex bytes, or text (UTF-8); default empty",
  "  --min-health H       lowest health, e.g. 1.25 (default 1)",
  "  --max-debt N         highest debt, in base units (default 2^96-1: any)",
  "  --min-score S        lowest risk score in σ, e.g. 2.5 (default 0)",
  "  --max-age SECONDS    oldest snapshot accepted, from now (default 86400)",
  "  --allow-flagged      accept a flagged or provisioned snapshot (default: refused)",
  "  --min-anonymity N    refuse when fewer distinct accounts satisfy the claim (default 8)",
  "  --from-block N       first block to read snapshots from (default 0)",
  "  --out FILE           where to write the attestation (default attestation.json)",
].join("\n");

type Command =
  | { kind: "identity"; out: string }
  | {
      kind: "prove";
      rpc: string;
      snapshots: string;
      gate: string;
      identity: string;
      consumer: string;
      context: string;
      message: Uint8Array;
      claimAge: number;
      claim: Omit<Claim, "minTimestamp">;
      minAnonymity: number;
      fromBlock: number;
      out: string;
    };

function address(flag: string, raw: string | undefined): string {
  if (raw === undefined) throw new UsageError(`--${flag} is required`);
  if (!isAddress(raw)) throw new UsageError(`--${flag} must be an address (0x and 40 hex digits), got "${raw}"`);
  return getAddress(raw);
}

function decimal(flag: string, raw: string | undefined, fallback: bigint, decimals: number, bits: number): bigint {
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${flag} must be a non-negative number, got "${raw}"`);
  const value = parseUnits(raw, decimals);
  if (value >= 1n << BigInt(bits)) throw new UsageError(`--${flag} ${raw} is past the circuit's ${bits}-bit width`);
  return value;
}

function parse(argv: readonly string[]): Command | "help" {
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) return "help";
  const [sub, ...rest] = argv;
  if (sub === "identity") {
    const v = parseOptions(rest, { out: { type: "string" } });
    if (v.out === undefined) throw new UsageError("--out FILE is required");
    return { kind: "identity", out: v.out };
  }
  if (sub !== "prove") throw new UsageError(`unknown command ${sub} (identity or prove)`);
  const v = parseOptions(rest, {
    rpc: { type: "string" },
    snapshots: { type: "string" },
    gate: { type: "string" },
    identity: { type: "string" },
    consumer: { type: "string" },
    context: { type: "string" },
    message: { type: "string" },
    "min-health": { type: "string" },
    "max-debt": { type: "string" },
    "min-score": { type: "string" },
    "max-age": { type: "string" },
    "allow-flagged": { type: "boolean" },
    "min-anonymity": { type: "string" },
    "from-block": { type: "string" },
    out: { type: "string" },
  });
  if (v.rpc === undefined) throw new UsageError("--rpc URL is required");
  if (v.identity === undefined) throw new UsageError("--identity FILE is required");
  if (v.context === undefined) throw new UsageError("--context is required (text, or 0x and 64 hex digits)");
  const context = isHexString(v.context, 32) ? v.context : keccakText(v.context);
  const message =
    v.message === undefined ? new Uint8Array() : isHexString(v.message) ? hexBytes(v.message) : toUtf8Bytes(v.message);
  return {
    kind: "prove",
    rpc: v.rpc,
    snapshots: address("snapshots", v.snapshots),
    gate: address("gate", v.gate),
    identity: v.identity,
    consumer: address("consumer", v.consumer),
    context,
    message,
    claimAge: wholeNumber("max-age", v["max-age"], 86_400, 1, 10 * 365 * 86_400, "seconds"),
    claim: {
      minHealth: decimal("min-health", v["min-health"], 10n ** 18n, 18, WIDTHS.health),
      maxDebt: v["max-debt"] === undefined ? (1n << 96n) - 1n : decimal("max-debt", v["max-debt"], 0n, 0, WIDTHS.debt),
      minScore: decimal("min-score", v["min-score"], 0n, 6, WIDTHS.score),
      requireUnflagged: v["allow-flagged"] !== true,
    },
    minAnonymity: wholeNumber("min-anonymity", v["min-anonymity"], 8, 1, 1_000_000, "accounts"),
    fromBlock: wholeNumber("from-block", v["from-block"], 0, 0),
    out: v.out ?? "attestation.json",
  };
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

const json = (value: unknown): string =>
  JSON.stringify(value, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x), 2);

async function run(cmd: Command): Promise<number> {
  // Loaded here, not at the top: a mistake on the command line is answered before the prover and bindings load.
  const { poseidon } = await import("./poseidon.js");
  const { readIdentity, newIdentity, writeIdentity } = await import("./identity.js");
  const hash = await poseidon();
  if (cmd.kind === "identity") {
    const identity = newIdentity(hash);
    writeIdentity(cmd.out, identity);
    console.log(`zk:identity: wrote ${cmd.out} (mode 600: keep it secret, keep a copy)`);
    console.log(`idCommitment: 0x${identity.idCommitment.toString(16).padStart(64, "0")}`);
    return 0;
  }
  const identity = readIdentity(cmd.identity, hash);
  const { SolvencyGate__factory, SolvencySnapshots__factory } = await import("../../../typechain-types/index.js");
  const { prove, releaseProver, verifyOffchain, witnessInput } = await import("./prover.js");
  const { anonymitySet, pickSnapshot, readRegistry } = await import("./registry.js");
  const provider = new JsonRpcProvider(cmd.rpc, undefined, { staticNetwork: true });
  try {
    const chainId = (await provider.getNetwork()).chainId;
    const registry = SolvencySnapshots__factory.connect(cmd.snapshots, provider);
    const gate = SolvencyGate__factory.connect(cmd.gate, provider);
    if ((await provider.getCode(cmd.snapshots)) === "0x")
      throw new Error(`no contract at --snapshots ${cmd.snapshots}`);
    if ((await provider.getCode(cmd.gate)) === "0x") throw new Error(`no contract at --gate ${cmd.gate}`);
    if (getAddress(await gate.snapshots()) !== cmd.snapshots) {
      throw new Error(`the gate ${cmd.gate} reads another registry than --snapshots ${cmd.snapshots}`);
    }
    const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
    const claim: Claim = { ...cmd.claim, minTimestamp: now > BigInt(cmd.claimAge) ? now - BigInt(cmd.claimAge) : 0n };
    packClaim(claim);
    console.log(`zk:prove: reading snapshots from ${cmd.snapshots}`);
    const { snapshots, tree } = await readRegistry(registry, hash, {
      fromBlock: cmd.fromBlock,
      progress: (line) => console.log(`zk:prove: ${line}`),
    });
    const { match, latest, queued } = pickSnapshot(snapshots, identity.idCommitment, claim, tree.size);
    if (latest === undefined) throw new Error("this identity has no snapshot in the registry (snapshot first)");
    if (match === undefined && queued !== undefined) {
      throw new Error(
        `this identity's snapshot #${queued.index} satisfies the claim but is queued (${tree.size} of ${snapshots.length} synced): call sync(0) on the registry (anyone may), then prove`,
      );
    }
    if (match === undefined) {
      const f = latest.unpacked;
      throw new Error(
        `no snapshot of this identity satisfies the claim (latest #${latest.index}: health ${f.health}, debt ${f.debt}, score ${f.score}, time ${f.time}, ${f.flagged ? "flagged" : "unflagged"})`,
      );
    }
    const set = anonymitySet(snapshots, claim, tree.size);
    console.log(
      `zk:prove: ${tree.size} synced snapshots; ${set.size} distinct identities (accounts) satisfy the claim (the anonymity set)`,
    );
    if (set.size < cmd.minAnonymity) {
      throw new Error(
        `only ${set.size} identities satisfy this claim, below --min-anonymity ${cmd.minAnonymity}: a proof would narrow you down to them (loosen the claim or wait)`,
      );
    }
    const scope = scopeOf(chainId, cmd.gate, cmd.consumer, cmd.context);
    const started = Date.now();
    const attestation = await prove(
      witnessInput({
        hash,
        secret: identity.secret,
        fields: match.fields,
        path: tree.proof(match.index),
        scope,
        message: messageField(cmd.message),
        claim,
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    if (!(await verifyOffchain(attestation.proof, attestation.publicSignals)))
      throw new Error("the proof does not verify off chain");
    await gate.verify(cmd.consumer, cmd.context, claim, cmd.message, attestation.gate);
    const out = {
      chainId,
      gate: cmd.gate,
      consumer: cmd.consumer,
      context: cmd.context,
      message: "0x" + Buffer.from(cmd.message).toString("hex"),
      claim,
      attestation: attestation.gate,
      publicSignals: attestation.publicSignals,
      anonymitySet: set.size,
    };
    writeFileSync(cmd.out, json(out) + "\n");
    console.log(`zk:prove: proved in ${seconds.toFixed(2)} s; the gate's verify accepts it; wrote ${cmd.out}`);
    return 0;
  } finally {
    provider.destroy();
    await releaseProver();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const command = argv[0] === "identity" ? "zk:identity" : "zk:prove";
  return runCli(command, argv, { parse, usage: () => USAGE, run });
}
