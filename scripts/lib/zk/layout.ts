// The packed word a snapshot and a claim share with the circuit (contracts/periphery/zk/SolvencyLayout.sol), and the
// gate's scope and message fields, computed off chain exactly as SolvencyGate computes them.

import { AbiCoder, getBytes, keccak256, type BytesLike } from "ethers";

/** The BN254 scalar field. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const WIDTHS = { health: 64, debt: 96, score: 32, time: 40 } as const;
const SHIFT = { health: 0n, debt: 64n, score: 160n, time: 192n, flag: 232n } as const;
const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** A snapshot's fields: health WAD, debt base units, score in millionths of a σ, time in seconds. */
export type Fields = { health: bigint; debt: bigint; score: bigint; time: bigint; flagged: boolean };

/** A consumer's claim, as ISolvencyGate.Claim. */
export type Claim = {
  minHealth: bigint;
  maxDebt: bigint;
  minScore: bigint;
  minTimestamp: bigint;
  requireUnflagged: boolean;
};

function pack(values: [bigint, bigint, bigint, bigint, boolean], names: string[]): bigint {
  const widths = [WIDTHS.health, WIDTHS.debt, WIDTHS.score, WIDTHS.time];
  const shifts = [SHIFT.health, SHIFT.debt, SHIFT.score, SHIFT.time];
  let word = 0n;
  for (let i = 0; i < 4; i++) {
    const value = values[i] as bigint;
    if (value < 0n || value > mask(widths[i])) {
      throw new RangeError(`${names[i]} ${value} does not fit ${widths[i]} bits (0 to ${mask(widths[i])})`);
    }
    word |= value << shifts[i];
  }
  return word | ((values[4] ? 1n : 0n) << SHIFT.flag);
}

/** The packed word of a snapshot's fields (SolvencySnapshots.fieldsOf). */
export function packFields(f: Fields): bigint {
  return pack([f.health, f.debt, f.score, f.time, f.flagged], ["health", "debt", "score", "time"]);
}

/** The packed predicate of a claim (SolvencyGate.packClaim); a value past its width throws. */
export function packClaim(c: Claim): bigint {
  return pack(
    [c.minHealth, c.maxDebt, c.minScore, c.minTimestamp, c.requireUnflagged],
    ["minHealth", "maxDebt", "minScore", "minTimestamp"],
  );
}

/** A packed snapshot word split into its fields. */
export function unpackFields(word: bigint): Fields {
  return {
    health: (word >> SHIFT.health) & mask(WIDTHS.health),
    debt: (word >> SHIFT.debt) & mask(WIDTHS.debt),
    score: (word >> SHIFT.score) & mask(WIDTHS.score),
    time: (word >> SHIFT.time) & mask(WIDTHS.time),
    flagged: ((word >> SHIFT.flag) & 1n) === 1n,
  };
}

/** Whether a snapshot satisfies a claim: what the circuit checks. */
export function satisfies(f: Fields, c: Claim): boolean {
  return (
    f.health >= c.minHealth &&
    f.debt <= c.maxDebt &&
    f.score >= c.minScore &&
    f.time >= c.minTimestamp &&
    !(c.requireUnflagged && f.flagged)
  );
}

/** SolvencyGate.scopeOf: keccak256(abi.encode(chainId, gate, consumer, context)) >> 8. */
export function scopeOf(chainId: bigint, gate: string, consumer: string, context: BytesLike): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["uint256", "address", "address", "bytes32"],
    [chainId, gate, consumer, context],
  );
  return BigInt(keccak256(encoded)) >> 8n;
}

/** SolvencyGate.messageField: keccak256(message) >> 8. */
export function messageField(message: BytesLike): bigint {
  return BigInt(keccak256(getBytes(message))) >> 8n;
}
