import { createRequire } from "node:module";
import path from "node:path";
import { configVariable, defineConfig } from "hardhat/config";
import type { HardhatPlugin } from "hardhat/types/plugins";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";

// solc cannot be downloaded on our machines: compile with the soljson build shipped in the `solc` npm package, loaded
// through scripts/solc/soljson-heap.cjs, which passes the compiler input through the heap rather than the WebAssembly
// stack (the invariant suites' job, about 1.27 MB of input, overflowed the stack and killed solc at once: HHE908).
const require = createRequire(import.meta.url);
const SOLC_0828 = path.resolve(import.meta.dirname, "scripts", "solc", "soljson-heap.cjs");
// Morpho Blue (the gas peer of `npm run bench`) is `pragma solidity 0.8.19`: its own compiler, from the `solc-0819`
// npm alias of solc 0.8.19.
const SOLC_0819 = require.resolve("solc-0819/soljson.js");

// Fuzz and invariant budgets. CI uses these defaults; `npm run fuzz` raises them through the environment
// (same code, bigger budget). See scripts/fuzz.ts.
const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

/**
 * Solidity source folders. Only `contracts/` ships; `deploy/mocks/` holds the tokens and feeds a local deployment
 * (deploy/modules/LocalDependencies.ts) deploys. The others are compiled for the tests, the bench and the crash
 * simulation only: test doubles (`test/doubles/`), the bench's Morpho Blue side and the simulation's helpers
 * (`bench/contracts/`), and the Groth16 verifier of the test-only ZK key (`zk/contracts/`: a production deployment
 * exports its own from a real ceremony, docs/zk.md).
 */
const SHIPPED_SOURCES = ["contracts", "deploy/mocks"];
const DEVELOPMENT_SOURCES = ["test/doubles", "bench/contracts", "zk/contracts"];
/** npm files compiled for development only: Morpho Blue (the bench's peer) and Aave v3's interfaces (the tests' types). */
const DEVELOPMENT_NPM_FILES = ["@morpho-org/morpho-blue/", "@aave/core-v3/"];

/**
 * A production build (`ignition deploy` builds Hardhat's `production` profile) compiles only what ships: it drops
 * every root under a development folder, and Morpho Blue, before the build runs. Every other build is untouched.
 */
const productionBuildsShipOnly: HardhatPlugin = {
  id: "bulwark-production-builds-ship-only",
  hookHandlers: {
    solidity: async () => ({
      default: async () => ({
        build: async (context, rootFilePaths, options, next) => {
          if (options?.buildProfile !== "production") return next(context, rootFilePaths, options);
          const development = DEVELOPMENT_SOURCES.map((dir) => path.resolve(context.config.paths.root, dir) + path.sep);
          const shipped = rootFilePaths.filter(
            (root) =>
              !development.some((dir) => root.startsWith(dir)) &&
              !DEVELOPMENT_NPM_FILES.some((file) => root.includes(file)),
          );
          return next(context, shipped, options);
        },
      }),
    }),
  },
};

/**
 * The shipped contracts on a user's or a keeper's path compile through solc's IR pipeline (issue 21). Measured by
 * `npm run bench` against the legacy pipeline at 200 runs, everything else equal: a liquidation −10.9%, −18.7% and
 * −20.3% per account in batches of 10 and 50, a deposit −5.1%, a borrow −4.8%, a repayment −4.1%, a withdrawal −7.8%,
 * the upkeep's check −11% to −18% (docs/performance.md). 200 runs where EIP-170 binds (the vault and its module, the
 * breaker, the upkeep: the IR also makes the breaker 2.5 KB and the upkeep 3.2 KB smaller); 10,000 runs where it does not
 * (200 → 10,000 on the legacy pipeline alone saves under 0.5%). It costs a clean build about 110 s (203 s in all on a
 * 2-core machine). The other shipped contracts (governance, risk modules, the lens, the flash liquidator) keep the
 * legacy pipeline: through the IR they would save only keepers' calls, for another 90 s of every build. A coverage
 * build keeps the legacy pipeline for everything (it measures lines, not gas, and its instrumentation needs the
 * stack room).
 */
const IR_SIZE_BOUND = [
  "contracts/core/CollateralVault.sol",
  "contracts/core/VaultModule.sol", // the vault's rare code, which the vault compiles into its own constructor
  "contracts/core/CircuitBreaker.sol",
  "contracts/automation/SecurityOps.sol",
];
const IR_RUNS_10000 = [
  "contracts/liquidation/LiquidationEngine.sol",
  "contracts/oracles/OracleAdapter.sol",
  "contracts/core/LiquidationSettlement.sol",
  "contracts/core/LossLedger.sol",
  "contracts/core/KinkedRateModel.sol",
];
const LEGACY_SIZE_BOUND = {
  version: "0.8.28",
  path: SOLC_0828,
  settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 20 } },
};
const irCompiler = (runs: number) => ({
  version: "0.8.28",
  path: SOLC_0828,
  settings: { evmVersion: "cancun", viaIR: true, optimizer: { enabled: true, runs } },
});
const IR_OVERRIDES =
  process.env.BULWARK_COVERAGE === "1"
    ? {}
    : Object.fromEntries([
        ...IR_SIZE_BOUND.map((file) => [file, irCompiler(200)] as const),
        ...IR_RUNS_10000.map((file) => [file, irCompiler(10_000)] as const),
        // The backstop is on no user's path (stakers, its allocator, the vault's rare loss calls): fewer runs keep it
        // under the 22,000-byte goal for every other shipped contract.
        ["contracts/backstop/Backstop.sol", LEGACY_SIZE_BOUND] as const,
      ]);

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers, productionBuildsShipOnly],
  solidity: {
    // A file is compiled with the highest listed compiler its pragmas allow: Bulwark (0.8.28, and Morpho's
    // `>=0.5.0` interfaces it imports) with 0.8.28, Morpho Blue's `0.8.19` sources with 0.8.19.
    compilers: [
      {
        version: "0.8.28",
        path: SOLC_0828,
        settings: {
          // Pinned: every deployment target we support has Cancun (transient storage for the reentrancy lock).
          evmVersion: "cancun",
          optimizer: { enabled: true, runs: 200 },
        },
      },
      {
        // Morpho Blue as it ships (its foundry.toml): via-IR, 999,999 optimizer runs, Paris, no metadata hash.
        version: "0.8.19",
        path: SOLC_0819,
        settings: {
          evmVersion: "paris",
          viaIR: true,
          optimizer: { enabled: true, runs: 999_999 },
          metadata: { bytecodeHash: "none" },
        },
      },
    ],
    overrides: IR_OVERRIDES,
    // Governance is OpenZeppelin's TimelockController as shipped; built here so tests and scripts can deploy it.
    // Morpho Blue is built from its npm source for the side-by-side gas bench (scripts/lib/morpho.ts). Aave v3's
    // interfaces are built for their TypeChain types: the tests deploy Aave v3 itself from its npm artifacts
    // (scripts/lib/aave.ts), compiled by Aave with solc 0.8.10.
    // PoseidonT3 and PoseidonT4 (poseidon-solidity) are the hashes SolvencySnapshots links to (nodes, leaves):
    // deployed on their own, so built here.
    npmFilesToBuild: [
      "poseidon-solidity/PoseidonT3.sol",
      "poseidon-solidity/PoseidonT4.sol",
      "@openzeppelin/contracts/governance/TimelockController.sol",
      "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol",
      "@morpho-org/morpho-blue/src/Morpho.sol",
      "@aave/core-v3/contracts/interfaces/IPool.sol",
      "@aave/core-v3/contracts/interfaces/IPoolConfigurator.sol",
      "@aave/core-v3/contracts/interfaces/IPoolAddressesProvider.sol",
      "@aave/core-v3/contracts/interfaces/IACLManager.sol",
    ],
  },
  paths: {
    // `test/doubles/` is also under the Solidity tests folder; being listed here makes it contracts (artifacts and
    // TypeChain types), not tests.
    sources: { solidity: [...SHIPPED_SOURCES, ...DEVELOPMENT_SOURCES] },
    // Under `npm run coverage` (BULWARK_COVERAGE=1) only the fuzz tests are Solidity test roots: instrumented, the
    // invariant suites are more than the WebAssembly solc can hold (they run in `npm test` and `npm run fuzz`).
    tests: { mocha: "test/unit", solidity: process.env.BULWARK_COVERAGE === "1" ? "test/fuzz" : "test" },
    // Ignition modules in deploy/modules; deployment records are written to deploy/deployments/<id>.
    ignition: "deploy",
  },
  test: {
    solidity: {
      fuzz: {
        runs: envInt("BULWARK_FUZZ_RUNS", 256),
        // Fixed seed: CI is reproducible; `npm run fuzz -- --seed S` explores other sequences.
        seed: process.env.BULWARK_FUZZ_SEED ?? "0xb01a4c",
      },
      invariant: {
        runs: envInt("BULWARK_INVARIANT_RUNS", 256),
        depth: envInt("BULWARK_INVARIANT_DEPTH", 50),
        failOnRevert: false,
      },
    },
  },
  typechain: {
    outDir: "typechain-types",
  },
  // Fork mode of the crash simulation forks whatever chain `--fork URL` serves; the offline fork test serves a local
  // `hardhat node` (chain id 31337), whose hardfork history the forking network must be told.
  chainDescriptors: {
    31337: { name: "Hardhat node", hardforkHistory: { prague: { blockNumber: 0 } } },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // A live chain (deploy/parameters/mainnet.json): the RPC URL and the deployer's key come from Hardhat's keystore
    // (`npx hardhat keystore set MAINNET_RPC_URL`) or, failing that, from environment variables of the same names.
    mainnet: {
      type: "http",
      chainType: "l1",
      url: configVariable("MAINNET_RPC_URL"),
      accounts: [configVariable("MAINNET_DEPLOYER_KEY")],
    },
    // Any other EVM chain, by URL: BULWARK_RPC_URL and BULWARK_DEPLOYER_KEY (keystore or environment), with
    // `--parameters deploy/parameters/<file>.json`.
    chain: {
      type: "http",
      chainType: "generic",
      url: configVariable("BULWARK_RPC_URL"),
      accounts: [configVariable("BULWARK_DEPLOYER_KEY")],
    },
  },
});
