/**
 * The borrower population of a simulation: a seeded, reproducible distribution of collateral mixes, position sizes
 * and borrow levels. Pure (no chain): the same seed and inputs always give the same population.
 *
 * - Mix: 70% of accounts post one collateral, 30% two. The asset is drawn with weights: WETH 45, WBTC 30, each other
 *   listed collateral 25 shared equally (renormalised over what is listed).
 * - Size: collateral worth a log-normal USD amount, median $20,000, σ 1.2, clamped to [$1,000, $2,000,000].
 * - Borrow: a share of the account's borrow limit (Σ value × borrow LTV): 40% of accounts use 20-50% of it, 40% use
 *   50-80%, 20% use 80-97%.
 */

/** A deterministic 32-bit generator (mulberry32): `next()` is uniform in [0, 1). */
export class Rng {
  private state: number;

  constructor(seed: string) {
    // FNV-1a over the seed's characters: any string is a seed.
    let h = 0x811c9dc5;
    for (const ch of seed) {
      h ^= ch.codePointAt(0) ?? 0;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    this.state = h;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** An index drawn with the given non-negative weights. */
  pick(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** One collateral the population generator may use. */
export interface PopulationAsset {
  symbol: string;
  /** Starting price, USD. */
  price: number;
  borrowLtv: number;
}

/** One account to open: USD value posted per collateral symbol and USD borrowed. */
export interface PlannedPosition {
  collateralUsd: Record<string, number>;
  borrowUsd: number;
  /** Share of the borrow limit used (for the report). */
  limitUsed: number;
}

const WEIGHTS: Readonly<Record<string, number>> = { WETH: 45, WBTC: 30 };
const OTHER_WEIGHT = 25;
const MEDIAN_USD = 20_000;
const SIGMA = 1.2;
const MIN_USD = 1_000;
const MAX_USD = 2_000_000;

/** Draws `count` positions over `assets` with `seed`. */
export function planPopulation(count: number, seed: string, assets: readonly PopulationAsset[]): PlannedPosition[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`the population needs at least one account, got ${count}`);
  if (assets.length === 0) throw new Error("the population needs at least one collateral");
  const rng = new Rng(seed);
  const others = assets.filter((a) => WEIGHTS[a.symbol] === undefined).length;
  const weights = assets.map((a) => WEIGHTS[a.symbol] ?? OTHER_WEIGHT / others);
  const positions: PlannedPosition[] = [];
  for (let i = 0; i < count; i++) {
    const value = Math.min(MAX_USD, Math.max(MIN_USD, MEDIAN_USD * Math.exp(SIGMA * rng.normal())));
    const first = rng.pick(weights);
    const collateralUsd: Record<string, number> = {};
    if (assets.length > 1 && rng.next() < 0.3) {
      const rest = weights.map((w, j) => (j === first ? 0 : w));
      const second = rng.pick(rest);
      const split = rng.uniform(0.2, 0.8);
      collateralUsd[assets[first].symbol] = value * split;
      collateralUsd[assets[second].symbol] = value * (1 - split);
    } else {
      collateralUsd[assets[first].symbol] = value;
    }
    const band = rng.pick([40, 40, 20]);
    const limitUsed = band === 0 ? rng.uniform(0.2, 0.5) : band === 1 ? rng.uniform(0.5, 0.8) : rng.uniform(0.8, 0.97);
    let limit = 0;
    for (const asset of assets) limit += (collateralUsd[asset.symbol] ?? 0) * asset.borrowLtv;
    positions.push({ collateralUsd, borrowUsd: limit * limitUsed, limitUsed });
  }
  return positions;
}
