/**
 * The Monte Carlo's price model (issue 22, docs/risk.md): synthetic hourly paths of WETH and WBTC drawn from the
 * shipped crash files. Pure (no chain): the same model, seed and path index always give the same path, whatever else
 * ran before it or in which shard.
 *
 * Fit. The data are the hourly closes of every shipped scenario that has both assets hourly (black-thursday-2020,
 * may-2021, luna-2022, aug-2024): each scenario is a segment of joint log-returns (one vector per hour, both assets
 * from the same hour, so their co-movement is the data's own). An hour is a jump when either asset's return is more
 * than `jumpSigmas` robust standard deviations (1.4826 × the median absolute deviation of that asset's returns) from
 * zero. The body is every other hour, each segment in order with its jump hours left out.
 *
 * Draw. Each hour of a path takes the next vector of a stationary block bootstrap of the body (Politis–Romano: a new
 * block starts at a uniformly drawn hour with probability 1 / blockHours, else the block goes on to the next hour of
 * its segment, wrapping around at its end, so every body hour is drawn as often as any other), which keeps the body's volatility clustering, autocorrelation and
 * cross-asset correlation over blocks; on top, a Poisson number of jumps (rate: the data's jumps per hour ×
 * `jumpScale`), each a jump vector of the data drawn uniformly, so crashes land anywhere in a path, and can come
 * together. Prices start at each asset's default price and compound the hourly returns.
 *
 * Limits (also in docs/risk.md): the data are crash windows, so the paths describe a bad week, not a typical one
 * (their drift is the crashes' own); four windows and ~420 hours are few, so the tail beyond the worst observed hour
 * only comes from jumps landing together; no asset goes to zero (LUNA's path is not in the data: the market holds
 * WETH and WBTC) and the base asset holds $1.
 */
import { createHash } from "node:crypto";
import path from "node:path";

import { readPricePath } from "../pricePath.js";
import { mergePaths, type Step } from "../sim/path.js";
import { priceWadOf } from "../sim/simMarket.js";
import { SCENARIO_DIR, SCENARIOS, assetSpec, type Scenario } from "../sim/scenarios.js";

/** The assets the Monte Carlo moves (the market's two default collaterals; the base asset holds $1). */
export const MODEL_ASSETS = ["WETH", "WBTC"] as const;
/** Seconds per step of a synthetic path. */
export const STEP_SECONDS = 3600;
/** Path time of every synthetic path's first point (any fixed value: only differences matter on chain). */
export const PATH_START = 1_700_000_000;

export interface ModelOptions {
  /** Mean block length of the bootstrap, hours. */
  blockHours: number;
  /** An hour is a jump beyond this many robust standard deviations of either asset. */
  jumpSigmas: number;
  /** Multiplies the data's jump rate (1: as often as in the data; 2: a stress with twice as many). */
  jumpScale: number;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = { blockHours: 6, jumpSigmas: 4, jumpScale: 1 };

/** One hour's log-returns, in MODEL_ASSETS order. */
export type Returns = readonly number[];

/** The joint hourly returns of one scenario. */
export interface Segment {
  scenario: string;
  returns: Returns[];
}

/** What the model was fitted to and the statistics a synthetic sample is checked against. */
export interface FittedModel {
  options: ModelOptions;
  assets: readonly string[];
  /** Scenario names the data came from. */
  sources: string[];
  hours: number;
  /** Body segments (jump hours left out), non-empty ones only. */
  body: Segment[];
  /** The jump hours' return vectors. */
  jumps: Returns[];
  /** Jumps per hour in the data. */
  jumpRate: number;
  /** Robust standard deviation of each asset's hourly log-return. */
  robustSigma: number[];
  /** Statistics of all the data's hours (body and jumps). */
  data: SampleStats;
}

/** Summary statistics of hourly log-returns. */
export interface SampleStats {
  hours: number;
  /** Standard deviation of each asset's hourly log-return. */
  sigma: number[];
  /** Pearson correlation of the two assets' hourly log-returns. */
  correlation: number;
  /** Worst hourly log-return of each asset. */
  worstHour: number[];
}

/** The scenarios with an hourly path of every model asset, read from scripts/scenarios/. */
export function crashSegments(scenarios: readonly Scenario[] = SCENARIOS): Segment[] {
  const segments: Segment[] = [];
  for (const scenario of scenarios) {
    const files = MODEL_ASSETS.map((symbol) => scenario.prices[symbol]);
    if (files.some((file) => file === undefined || !file.includes("_1h_"))) continue;
    const paths = new Map(
      MODEL_ASSETS.map((symbol, i) => [symbol, readPricePath(path.join(SCENARIO_DIR, files[i] ?? ""))] as const),
    );
    segments.push({ scenario: scenario.name, returns: jointReturns(mergePaths(paths, new Map())) });
  }
  return segments;
}

/** Log-returns between consecutive steps exactly an hour apart, in MODEL_ASSETS order. */
export function jointReturns(steps: readonly Step[]): Returns[] {
  const out: Returns[] = [];
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].timestamp - steps[i - 1].timestamp !== STEP_SECONDS) continue;
    out.push(MODEL_ASSETS.map((symbol) => logReturn(steps[i - 1].priceWad[symbol], steps[i].priceWad[symbol])));
  }
  return out;
}

const logReturn = (from: bigint, to: bigint): number => Math.log(Number(to) / Number(from));

/** Fits the model to `segments` (default: the shipped crash files). */
export function fitModel(
  options: Partial<ModelOptions> = {},
  segments: readonly Segment[] = crashSegments(),
): FittedModel {
  const opts = { ...DEFAULT_MODEL_OPTIONS, ...options };
  checkOptions(opts);
  const all = segments.flatMap((s) => s.returns);
  if (all.length < 2) throw new Error("the model needs at least two hours of joint returns");
  const robustSigma = MODEL_ASSETS.map((_, a) => {
    const center = median(all.map((r) => r[a]));
    return 1.4826 * median(all.map((r) => Math.abs(r[a] - center)));
  });
  const isJump = (r: Returns): boolean => r.some((x, a) => Math.abs(x) > opts.jumpSigmas * robustSigma[a]);
  const body = segments
    .map((s) => ({ scenario: s.scenario, returns: s.returns.filter((r) => !isJump(r)) }))
    .filter((s) => s.returns.length > 0);
  const jumps = all.filter(isJump);
  return {
    options: opts,
    assets: [...MODEL_ASSETS],
    sources: segments.map((s) => s.scenario),
    hours: all.length,
    body,
    jumps,
    jumpRate: jumps.length / all.length,
    robustSigma,
    data: sampleStats(all),
  };
}

function checkOptions(o: ModelOptions): void {
  if (!(o.blockHours >= 1 && o.blockHours <= 168)) throw new Error(`blockHours must be 1 to 168, got ${o.blockHours}`);
  if (!(o.jumpSigmas >= 2 && o.jumpSigmas <= 20)) throw new Error(`jumpSigmas must be 2 to 20, got ${o.jumpSigmas}`);
  if (!(o.jumpScale >= 0 && o.jumpScale <= 10)) throw new Error(`jumpScale must be 0 to 10, got ${o.jumpScale}`);
}

/**
 * The generator of path `index` of `seed`: sfc32 (128 bits of state) seeded with the first 16 bytes of
 * SHA-256("seed/path/index"), so paths of one seed draw from independent-looking streams, however many there are.
 */
export class PathRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string, index: number) {
    const digest = createHash("sha256").update(`${seed}/path/${index}`).digest();
    [this.a, this.b, this.c, this.d] = [0, 4, 8, 12].map((at) => digest.readUInt32LE(at));
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
}

/** The hourly log-returns of path `index` of `seed`: `hours` vectors. */
export function sampleReturns(model: FittedModel, seed: string, index: number, hours: number): Returns[] {
  const rng = new PathRng(seed, index);
  const bodyHours = model.body.reduce((n, s) => n + s.returns.length, 0);
  const startAnywhere = (): [number, number] => {
    let k = Math.floor(rng.next() * bodyHours);
    for (const [s, segment] of model.body.entries()) {
      if (k < segment.returns.length) return [s, k];
      k -= segment.returns.length;
    }
    return [0, 0];
  };
  const rate = model.jumpRate * model.options.jumpScale;
  const out: Returns[] = [];
  let [s, k] = startAnywhere();
  for (let h = 0; h < hours; h++) {
    if (h > 0) {
      // A block goes on (wrapping around its segment, so every hour is as likely as any other) or a new one starts.
      if (rng.next() < 1 / model.options.blockHours) [s, k] = startAnywhere();
      else k = (k + 1) % model.body[s].returns.length;
    }
    const r = [...model.body[s].returns[k]];
    for (let j = poisson(rng, rate); j > 0 && model.jumps.length > 0; j--) {
      const jump = model.jumps[Math.floor(rng.next() * model.jumps.length)];
      for (let a = 0; a < r.length; a++) r[a] += jump[a];
    }
    out.push(r);
  }
  return out;
}

/** A Poisson draw with mean `rate` (Knuth's product of uniforms: rates here are well below 1). */
function poisson(rng: { next(): number }, rate: number): number {
  if (rate <= 0) return 0;
  const limit = Math.exp(-rate);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

/**
 * Path `index` of `seed` as the replay's steps: `hours` + 1 points an hour apart from PATH_START, each model asset
 * from its default price compounding the sampled returns, the base asset at $1.
 */
export function samplePath(model: FittedModel, seed: string, index: number, hours: number): Step[] {
  const returns = sampleReturns(model, seed, index, hours);
  const start = MODEL_ASSETS.map((symbol) => assetSpec(symbol)?.defaultPrice ?? 0);
  const log = MODEL_ASSETS.map(() => 0);
  const steps: Step[] = [];
  for (let h = 0; h <= hours; h++) {
    if (h > 0) returns[h - 1].forEach((r, a) => (log[a] += r));
    const priceWad: Record<string, bigint> = { USDC: priceWadOf(1) };
    MODEL_ASSETS.forEach((symbol, a) => (priceWad[symbol] = priceWadOf(start[a] * Math.exp(log[a]))));
    steps.push({ timestamp: PATH_START + h * STEP_SECONDS, priceWad });
  }
  return steps;
}

/**
 * Running statistics of hourly log-returns (two assets), so that a large run's check needs no array of every hour:
 * add each hour (`add`), then read `stats()`.
 */
export class StatsAccumulator {
  private n = 0;
  private readonly sum = [0, 0];
  private readonly sumSq = [0, 0];
  private cross = 0;
  private readonly worst = [Infinity, Infinity];

  add(r: Returns): void {
    this.n++;
    for (let a = 0; a < 2; a++) {
      this.sum[a] += r[a];
      this.sumSq[a] += r[a] * r[a];
      if (r[a] < this.worst[a]) this.worst[a] = r[a];
    }
    this.cross += r[0] * r[1];
  }

  stats(): SampleStats {
    const { n } = this;
    if (n < 2) return { hours: n, sigma: [0, 0], correlation: 0, worstHour: n === 0 ? [0, 0] : [...this.worst] };
    const mean = this.sum.map((x) => x / n);
    const variance = this.sumSq.map((x, a) => Math.max(0, (x - n * mean[a] * mean[a]) / (n - 1)));
    const sigma = variance.map(Math.sqrt);
    const covariance = (this.cross - n * mean[0] * mean[1]) / (n - 1);
    const correlation = sigma[0] > 0 && sigma[1] > 0 ? covariance / (sigma[0] * sigma[1]) : 0;
    return { hours: n, sigma, correlation, worstHour: [...this.worst] };
  }
}

/** Statistics of `returns` (two assets). */
export function sampleStats(returns: Iterable<Returns>): SampleStats {
  const acc = new StatsAccumulator();
  for (const r of returns) acc.add(r);
  return acc.stats();
}

/** The largest peak-to-trough fall of an asset's compounded `returns` (0.25: a 25% fall). */
export function maxFall(returns: readonly Returns[], asset: number): number {
  let level = 0;
  let peak = 0;
  let deepest = 0;
  for (const r of returns) {
    level += r[asset];
    if (level > peak) peak = level;
    if (level - peak < deepest) deepest = level - peak;
  }
  return 1 - Math.exp(deepest);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
