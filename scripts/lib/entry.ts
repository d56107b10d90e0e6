/**
 * Shared start-up of the CLIs that run under plain Node ≥ 22.18 (type stripping, no build step of their own):
 * `scripts/keeper.ts` and `scripts/simulate.ts`.
 *
 * The project's TypeScript imports its siblings as `./x.js` (the form tsc checks); Node would look for a .js file
 * that does not exist, so `installTsResolver` adds a resolve hook that falls back to the `.ts` file next to a missing
 * `.js` one. Entry points load this module by its `.ts` URL (before the hook exists) and then import their CLI.
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

/** Installs the `.js` → `.ts` fallback for relative imports. */
export function installTsResolver(): void {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const relative = specifier.startsWith("./") || specifier.startsWith("../");
      if (relative && specifier.endsWith(".js") && context.parentURL?.startsWith("file:") === true) {
        const js = new URL(specifier, context.parentURL);
        if (!existsSync(fileURLToPath(js))) {
          const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
          if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context);
        }
      }
      return nextResolve(specifier, context);
    },
  });
}

/** Exits with a message naming `name` when the TypeChain bindings have not been generated yet. */
export function requireTypechain(name: string): void {
  const typechain = new URL("../../typechain-types/index.ts", import.meta.url);
  if (!existsSync(fileURLToPath(typechain))) {
    process.stderr.write(
      `${name}: the TypeChain bindings are missing (typechain-types/): run \`npm run build\` first\n`,
    );
    process.exit(1);
  }
}
