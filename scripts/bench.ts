/**
 * `npm run bench`: seven benches, in this order, each in its own file under scripts/lib/bench/:
 *   - sizes (contractSizes.ts): the runtime bytecode of every shipped contract against EIP-170's limit, a table and
 *     bench/sizes.json (also `npm run sizes`);
 *   - gas (vaultGas.ts): transaction-level gas of every user operation of the vault, liquidations, the risk modules,
 *     the breaker's overhead and the SecurityOps upkeep, from one fixed scenario on the in-process chain: a table and
 *     bench/gas.json;
 *   - morpho (morphoGas.ts): Bulwark side by side with Morpho Blue (compiled from its npm source), the same user
 *     operations and liquidations on both, on the same tokens, feeds and rate curve: bench/results.json;
 *   - simulation (simulationSpeed.ts): the crash simulation's speed, a one-day, 1-minute path against 1,000
 *     borrowers (wall time, steps per second): bench/simulation.json;
 *   - solvency (solvencyComparison.ts): every shipped crash path against Bulwark (static and adaptive parameters) and
 *     Morpho Blue, the same 200 borrowers on each (bad debt, liquidations, lenders' loss): bench/solvency.json (about
 *     11 minutes on 2 cores: luna-2022 alone is 10,145 one-minute steps);
 *   - risk (riskBench.ts): the Monte Carlo risk report of `npm run risk` (200 synthetic paths, Bulwark static and
 *     adaptive and Morpho Blue): bench/risk.json;
 *   - zk (zkBench.ts): private solvency attestations: constraints, proving time, the gate's verify and consume gas, and
 *     snapshot gas with 65,536 leaves: bench/zk.json.
 *
 * `BULWARK_BENCH_ONLY=<part> npm run bench` runs only that part (sizes, gas, morpho, simulation, solvency, risk or zk).
 */
import { sizesBench } from "./lib/bench/contractSizes.js";
import { gasBench } from "./lib/bench/vaultGas.js";
import { morphoBench } from "./lib/bench/morphoGas.js";
import { COMMAND } from "./lib/bench/shared.js";
import { simulationBench } from "./lib/bench/simulationSpeed.js";
import { solvencyComparison } from "./lib/bench/solvencyComparison.js";
import { riskBench } from "./lib/bench/riskBench.js";
import { zkBench } from "./lib/bench/zkBench.js";
import { runScript } from "./lib/scriptRunner.js";

/** The parts `BULWARK_BENCH_ONLY` may select, in the order they run; unset, all of them run. */
const BENCH_PARTS = {
  sizes: sizesBench,
  gas: gasBench,
  morpho: morphoBench,
  simulation: simulationBench,
  solvency: solvencyComparison,
  risk: riskBench,
  zk: zkBench,
} as const;

async function main(): Promise<void> {
  const only = process.env.BULWARK_BENCH_ONLY ?? "";
  const names = Object.keys(BENCH_PARTS);
  if (only !== "" && !names.includes(only)) {
    throw new Error(`BULWARK_BENCH_ONLY must be one of ${names.join(", ")} (or unset), got "${only}"`);
  }
  for (const [name, bench] of Object.entries(BENCH_PARTS)) {
    if (only === "" || only === name) await bench();
  }
}

await runScript(`${COMMAND} (scripts/bench.ts)`, main);
