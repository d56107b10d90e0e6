/**
 * The vault's slot constants, read from VaultStorage's source (contracts/libraries/VaultStorage.sol), so that a test
 * reading the vault's storage by slot reads the slots the contracts read. VaultStorage.test.ts checks every constant
 * against the compiler's storage layout of CollateralVault.
 */
import { readFileSync } from "node:fs";

/** Every `<NAME>_SLOT` constant of VaultStorage: name (without `_SLOT`) → slot. */
export function vaultSlots(): Map<string, number> {
  const text = readFileSync("contracts/libraries/VaultStorage.sol", "utf8");
  const out = new Map<string, number>();
  for (const match of text.matchAll(/uint256 internal constant (\w+)_SLOT = (\d+);/g))
    out.set(match[1], Number(match[2]));
  return out;
}

/** One of VaultStorage's slot constants, by name (without `_SLOT`); throws for a name it does not define. */
export function vaultSlot(name: string): bigint {
  const slot = vaultSlots().get(name);
  if (slot === undefined) throw new Error(`VaultStorage defines no ${name}_SLOT`);
  return BigInt(slot);
}
