/**
 * `SimReader.read`'s call and result, by hand (bench/contracts/sim/SimReader.sol). The replay reads it once a block:
 * through an ethers Contract the call cost about 4 ms, of which the contract's own work is about 2.5; the rest was
 * ethers' argument resolution and ABI decoding. Here the calldata is encoded with the reader's ABI and sent as a plain
 * `eth_call`, and the result, a tuple of static words and arrays of static elements, is read word by word.
 * test/unit/SimPure.test.ts checks the decoder against ethers' encoder over random shapes; test/unit/SimHealth.test.ts
 * checks it against ethers' decoding of a live market's reads, and SimSnapshots.test.ts reads blocks with it.
 */
import type { Liquidity, PriceRead } from "./health.js";

/** `SimReader.BlockRead`, statuses and levels as numbers. */
export interface BlockRead {
  base: PriceRead;
  collaterals: { price: PriceRead; borrowLtv: bigint; liquidationThreshold: bigint }[];
  borrowIndex: bigint;
  samples: Liquidity[];
  poolSqrtPrices: bigint[];
  /** Checksum-free lower-case addresses. */
  breakerAssets: string[];
  breakerLevels: number[];
  badDebt: bigint;
  totalDebt: bigint;
  shareValue: bigint;
}

/** Words of BlockRead's head: base (3), six offsets and values, three totals. */
const HEAD_WORDS = 12;

/** Decodes `read`'s ABI-encoded result (`0x…`). Throws on data too short for what its offsets and lengths say. */
export function decodeBlockRead(data: string): BlockRead {
  const hex = data.startsWith("0x") ? data.slice(2) : data;
  const words = hex.length / 64;
  if (!Number.isInteger(words) || words < 1) throw new Error(`SimReader.read: malformed result (${hex.length} hex)`);
  const word = (i: number): bigint => {
    if (i >= words) throw new Error(`SimReader.read: result too short (word ${i} of ${words})`);
    return BigInt(`0x${hex.slice(i * 64, i * 64 + 64)}`);
  };
  const small = (i: number): number => {
    const value = word(i);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`SimReader.read: offset or length ${value} at ${i}`);
    return Number(value);
  };
  // One dynamic tuple: its offset, then its head; each array's offset counts from the head's start.
  const head = small(0) / 32;
  if (!Number.isInteger(head) || head + HEAD_WORDS > words) throw new Error("SimReader.read: malformed head");
  /** The array at head word `k`: its length and the word where its elements start. */
  const array = (k: number, width: number): { length: number; start: number } => {
    const offset = small(head + k);
    if (offset % 32 !== 0) throw new Error(`SimReader.read: misaligned array at head word ${k}`);
    const at = head + offset / 32;
    const length = small(at);
    if (at + 1 + length * width > words) throw new Error(`SimReader.read: array at head word ${k} runs past the end`);
    return { length, start: at + 1 };
  };
  const price = (i: number): PriceRead => ({ low: word(i), high: word(i + 1), status: small(i + 2) });
  const list = <T>(k: number, width: number, item: (i: number) => T): T[] => {
    const { length, start } = array(k, width);
    return Array.from({ length }, (_, n) => item(start + n * width));
  };
  return {
    base: price(head),
    collaterals: list(3, 5, (i) => ({ price: price(i), borrowLtv: word(i + 3), liquidationThreshold: word(i + 4) })),
    borrowIndex: word(head + 4),
    samples: list(5, 6, (i) => ({
      collateralValue: word(i),
      borrowLimit: word(i + 1),
      liquidationLimit: word(i + 2),
      debtValue: word(i + 3),
      debt: word(i + 4),
      priceStatus: small(i + 5),
    })),
    poolSqrtPrices: list(6, 1, word),
    breakerAssets: list(7, 1, (i) => `0x${hex.slice(i * 64 + 24, i * 64 + 64)}`),
    breakerLevels: list(8, 1, small),
    badDebt: word(head + 9),
    totalDebt: word(head + 10),
    shareValue: word(head + 11),
  };
}
