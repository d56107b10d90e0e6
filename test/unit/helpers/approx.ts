import { expect } from "chai";

/**
 * Asserts |actual − expected| ≤ tolerance for plain numbers. chai's `closeTo` cannot be used for fractions here:
 * once Hardhat's chai matchers are loaded it converts its arguments to bigint and throws on a non-integer.
 */
export function near(actual: number | null | undefined, expected: number, tolerance: number): void {
  const what = `${actual} ≈ ${expected} ± ${tolerance}`;
  expect(typeof actual, what).to.equal("number");
  expect(Math.abs((actual as number) - expected) <= tolerance, what).to.equal(true);
}
