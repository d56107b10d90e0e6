/**
 * Issue 25: the setup's artifacts and the command-line tools. The committed verifier is exactly what snarkjs exports
 * from the committed key (regenerated and compared), the key, verification key and circuit match the pin, the
 * circuit stays within 10,000 constraints; the identity file is mode 600 and refused when others can read it; and
 * `zk:identity` + `zk:prove` against a chain served on 127.0.0.1 make an attestation the example consumer accepts,
 * refusing below the anonymity-set minimum and on bad input with one line.
 */
import { expect } from "chai";
import { AbiCoder } from "ethers";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";

import { serveJsonRpc } from "../../scripts/lib/console/demo.js";
import { ensureCircuit, PATHS, readPin, sha256File } from "../../scripts/lib/zk/circuit.js";
import { newIdentity, readIdentity, writeIdentity } from "../../scripts/lib/zk/identity.js";
import { poseidon } from "../../scripts/lib/zk/poseidon.js";
import { releaseProver } from "../../scripts/lib/zk/prover.js";
import { verifierSource } from "../../scripts/lib/zk/setup.js";
import { runScript } from "./helpers/runScript.js";
import { deployZkMarket, takeSnapshot } from "../../scripts/lib/zk/market.js";

const { ethers, provider } = await network.create();

describe("ZK setup artifacts and tools (issue 25)", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), "bulwark-zk-"));
  });
  after(async function () {
    rmSync(dir, { recursive: true, force: true });
    await releaseProver();
  });

  it("the committed verifier is what snarkjs exports from the committed key; key, circuit and constraints match the pin", async function () {
    const pin = readPin();
    expect(pin, "zk/setup.json").to.not.equal(undefined);
    expect(pin!.testOnly).to.equal(true);
    const { hash, r1cs } = await ensureCircuit();
    expect(hash).to.equal(pin!.circuit);
    const info = await snarkjs.r1cs.info(r1cs);
    expect(info.nConstraints).to.equal(pin!.constraints);
    expect(info.nConstraints).to.be.at.most(10_000);
    expect(info.nPubInputs).to.equal(5);
    expect(sha256File(PATHS.zkey)).to.equal(pin!.zkey);
    expect(sha256File(PATHS.vkey)).to.equal(pin!.vkey);
    expect(sha256File(PATHS.verifier)).to.equal(pin!.verifier);
    const regenerated = await verifierSource(PATHS.zkey);
    expect(
      regenerated === readFileSync(PATHS.verifier, "utf8"),
      "Groth16Verifier.sol differs from the key's export",
    ).to.equal(true);
    expect(regenerated).to.contain(pin!.zkey);
    const vkey = await snarkjs.zKey.exportVerificationKey(PATHS.zkey);
    expect(vkey).to.deep.equal(JSON.parse(readFileSync(PATHS.vkey, "utf8")));
  });

  it("an identity file is written mode 600, never overwritten, and refused when others can read it or it was edited", async function () {
    const hash = await poseidon();
    const file = path.join(dir, "id.json");
    const identity = newIdentity(hash);
    writeIdentity(file, identity);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readIdentity(file, hash)).to.deep.equal(identity);
    expect(() => writeIdentity(file, newIdentity(hash))).to.throw(/never overwritten/);
    chmodSync(file, 0o644);
    expect(() => readIdentity(file, hash)).to.throw(/chmod 600/);
    const edited = path.join(dir, "edited.json");
    writeFileSync(edited, JSON.stringify({ secret: "0x05", idCommitment: "0x06" }), { mode: 0o600 });
    expect(() => readIdentity(edited, hash)).to.throw(/does not match/);
    expect(() => readIdentity(path.join(dir, "missing.json"), hash)).to.throw(/zk:identity/);
  });

  it("zk:identity and zk:prove make an attestation the consumer accepts; below the anonymity minimum they refuse", async function () {
    const f = await deployZkMarket(ethers, 8);
    const { url, server } = await serveJsonRpc(provider);
    try {
      const idFile = path.join(dir, "borrower.json");
      const made = await runScript("scripts/zk.ts", ["identity", "--out", idFile]);
      expect(made.code, made.stderr).to.equal(0);
      const idCommitment = BigInt(/idCommitment: (0x[0-9a-f]{64})/.exec(made.stdout)![1]);
      // Eight borrowers snapshot; the third with the identity from the file.
      for (const [i, b] of f.borrowers.entries()) {
        await takeSnapshot(f.registry, b, i === 2 ? idCommitment : BigInt(i + 1));
      }
      const beneficiary = (await ethers.getSigners())[15].address;
      const message = AbiCoder.defaultAbiCoder().encode(["address"], [beneficiary]);
      const out = path.join(dir, "attestation.json");
      const args = [
        "prove",
        "--rpc",
        url,
        "--snapshots",
        await f.registry.getAddress(),
        "--gate",
        await f.gate.getAddress(),
        "--identity",
        idFile,
        "--consumer",
        await f.consumer.getAddress(),
        "--context",
        f.context,
        "--message",
        message,
        "--min-health",
        "1.2",
        "--max-age",
        "3600",
        "--out",
        out,
      ];
      // Queued, not yet synced: the tool says what to do.
      const queued = await runScript("scripts/zk.ts", args);
      expect(queued.code).to.equal(1);
      expect(queued.stderr).to.match(/is queued .*call sync\(0\) on the registry/);
      await (await f.registry.sync(0)).wait();
      const proved = await runScript("scripts/zk.ts", args);
      expect(proved.code, proved.stderr).to.equal(0);
      expect(proved.stdout).to.match(/8 distinct identities \(accounts\) satisfy the claim/);
      const written = JSON.parse(readFileSync(out, "utf8")) as {
        claim: { minTimestamp: string };
        attestation: { root: string; nullifier: string; a: string[]; b: string[][]; c: string[] };
        anonymitySet: number;
      };
      expect(written.anonymitySet).to.equal(8);
      expect(JSON.stringify(written)).to.not.match(/snapshotIndex|secret/);
      const a = written.attestation;
      await (
        await f.consumer.grant(message, BigInt(written.claim.minTimestamp), {
          root: BigInt(a.root),
          nullifier: BigInt(a.nullifier),
          a: [BigInt(a.a[0]), BigInt(a.a[1])],
          b: [
            [BigInt(a.b[0][0]), BigInt(a.b[0][1])],
            [BigInt(a.b[1][0]), BigInt(a.b[1][1])],
          ],
          c: [BigInt(a.c[0]), BigInt(a.c[1])],
        })
      ).wait();
      expect(await f.consumer.hasCredit(beneficiary)).to.equal(true);

      // Nine required, eight satisfy: refused, one line, nothing written.
      rmSync(out);
      const few = await runScript("scripts/zk.ts", [...args, "--min-anonymity", "9"]);
      expect(few.code).to.equal(1);
      expect(few.stderr.trim().split("\n")).to.have.length(1);
      expect(few.stderr).to.match(/only 8 identities satisfy this claim, below --min-anonymity 9/);
      expect(existsSync(out)).to.equal(false);
      // A claim the identity's snapshot does not meet.
      const lie = await runScript("scripts/zk.ts", [...args, "--min-health", "9"]);
      expect(lie.code).to.equal(1);
      expect(lie.stderr).to.match(/no snapshot of this identity satisfies the claim/);
    } finally {
      await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
    }
  });

  it("bad input is one line and exit 2", async function () {
    const cases: [string[], RegExp][] = [
      [["prove", "--rpc", "http://127.0.0.1:1"], /--identity FILE is required/],
      [
        ["prove", "--rpc", "x", "--identity", "f", "--context", "c", "--snapshots", "nope"],
        /--snapshots must be an address/,
      ],
      [["prove", "--bogus"], /unknown option --bogus/],
      [["identity"], /--out FILE is required/],
      [["frobnicate"], /unknown command frobnicate/],
      [
        [
          "prove",
          "--rpc",
          "x",
          "--identity",
          "f",
          "--context",
          "c",
          "--min-health",
          "20",
          ...["--snapshots", "--gate", "--consumer"].flatMap((flag) => [flag, "0x" + "1".repeat(40)]),
        ],
        /--min-health 20 is past the circuit's 64-bit width/,
      ],
    ];
    for (const [argv, pattern] of cases) {
      const run = await runScript("scripts/zk.ts", argv);
      expect(run.code, argv.join(" ")).to.equal(2);
      expect(run.stderr.trim().split("\n"), run.stderr).to.have.length(1);
      expect(run.stderr).to.match(pattern);
    }
  });
});
