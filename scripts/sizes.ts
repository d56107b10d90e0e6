/**
 * `npm run sizes`: the runtime size of every shipped contract against EIP-170, as a table and bench/sizes.json (the
 * first part of `npm run bench`). See scripts/lib/bench/contractSizes.ts.
 */
import { sizesBench } from "./lib/bench/contractSizes.js";
import { runScript } from "./lib/scriptRunner.js";

await runScript("npm run sizes (scripts/sizes.ts)", sizesBench);
