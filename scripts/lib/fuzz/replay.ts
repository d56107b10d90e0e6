/**
 * `npm run fuzz`'s failure handling: reads the Solidity test runner's failure report (test, error, counterexample
 * calls) and writes each failure as a replay test under test/regressions/ that fails until the bug is fixed.
 */
import { relative } from "node:path";

import { getAddress } from "ethers";

export const REGRESSIONS = "test/regressions";

/** The budget a campaign ran with, recorded in each replay's header. */
export interface Budget {
  runs: number;
  depth: number;
  seed: string;
}

export interface Call {
  sender: string;
  address: string;
  contractName: string;
  signature: string;
  calldata: string;
}

export interface Failure {
  contract: string;
  test: string;
  message: string;
  calls: Call[];
}

/** Parses the runner's failure report: "N) Contract#test(...)", the error line, then Counterexample blocks. */
export function parseFailures(output: string): Failure[] {
  const failures: Failure[] = [];
  const lines = output.split("\n");
  let current: Failure | undefined;
  let call: Partial<Call> | undefined;
  const flushCall = () => {
    if (current && call?.calldata) current.calls.push(call as Call);
    call = undefined;
  };
  for (const raw of lines) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "").trim();
    const header = /^\d+\) (\w+)#(\w+)\(/.exec(line);
    if (header) {
      flushCall();
      current = { contract: header[1], test: header[2], message: "", calls: [] };
      failures.push(current);
      continue;
    }
    if (!current) continue;
    if (current.message === "" && line.startsWith("Error:")) current.message = line.slice(6).trim();
    else if (line === "Counterexample:") {
      flushCall();
      call = {};
    } else if (call) {
      const field = /^(calldata|sender|address|contractName|signature): (.*)$/.exec(line);
      if (field) (call as Record<string, string>)[field[1]] = field[2].trim();
    }
  }
  flushCall();
  return failures;
}

/** Maps contract names to their test files from the runner's "path:Contract" suite headings. */
export function contractPaths(output: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const match of output.matchAll(/^\s*(test\/\S+\.t\.sol):(\w+)\s*$/gm)) paths.set(match[2], match[1]);
  return paths;
}

/** The replay contract's name, in CapWords as solhint wants: ReplayVaultInvariantTestInvariantINV01DebtSumSeed5eed4. */
export function replayName(failure: Failure, options: Budget): string {
  const words = failure.test
    .split("_")
    .filter((w) => w !== "")
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
  return `Replay${failure.contract}${words}Seed${options.seed.replace(/^0x/, "")}`;
}

export function replaySource(failure: Failure, testPath: string, options: Budget): string {
  const name = replayName(failure, options);
  const importPath = relative(REGRESSIONS, testPath).replace(/\\/g, "/");
  const isInvariant = failure.test.startsWith("invariant");
  const header = [
    "// SPDX-License-Identifier: MIT",
    "pragma solidity 0.8.28;",
    "",
    `// Written by \`npm run fuzz\`: ${failure.contract}.${failure.test} failed with`,
    `//   ${failure.message.replace(/\n/g, " ")}`,
    `// Budget: --runs ${options.runs} --depth ${options.depth} --seed ${options.seed}`,
    "// It fails until the bug is fixed; commit it with the fix so the bug cannot come back.",
    "// One line per replayed call, however many:",
    "// solhint-disable function-max-lines",
    "",
    `import {${failure.contract}} from "${importPath.startsWith(".") ? importPath : `./${importPath}`}";`,
    "",
    `contract ${name} is ${failure.contract} {`,
  ];
  const body: string[] = [];
  if (isInvariant) {
    body.push(`    function test_replay() public {`);
    for (const call of failure.calls) {
      body.push(`        // ${call.contractName.split(":").pop()}.${call.signature}`);
      body.push(
        `        _replay(${getAddress(call.sender)}, ${getAddress(call.address)}, hex"${call.calldata.replace(/^0x/, "")}");`,
      );
    }
    body.push(`        ${failure.test}();`, "    }", "");
    body.push(
      "    /// @dev The campaign tolerated reverting calls (failOnRevert = false); so does the replay.",
      "    function _replay(address sender, address target, bytes memory data) private {",
      "        vm.prank(sender);",
      "        (bool ok, ) = target.call(data);",
      "        ok;",
      "    }",
    );
  } else {
    const call = failure.calls[0];
    body.push(
      `    function test_replay() public {`,
      `        (bool ok, bytes memory reason) = address(this).call(hex"${call.calldata.replace(/^0x/, "")}");`,
      "        if (!ok) {",
      "            assembly {",
      "                revert(add(reason, 32), mload(reason))",
      "            }",
      "        }",
      "    }",
    );
  }
  return [...header, ...body, "}", ""].join("\n");
}
