/**
 * `npm start`: a guided tour of one Bulwark market on the in-process chain. Two lenders supply USDC, five
 * borrowers post WETH and/or WBTC and borrow against it, a month of interest accrues, then WETH falls in steps
 * and every position is re-valued after each step; a keeper liquidates, through the LiquidationEngine, every account
 * that crosses health 1.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, parseUnits } from "ethers";
import { network } from "hardhat";

import { DAY, Timeline } from "./lib/chain.js";
import { runScript } from "./lib/scriptRunner.js";
import { formatAmount, formatPercent, formatToken, formatUsd, formatWad, heading, renderTable } from "./lib/format.js";
import { FEED_HEARTBEAT, collateral, deployChainlinkMarket, type ChainlinkMarket } from "./lib/testMarket.js";
import { BREAKER_LEVEL_NAMES, BREAKER_REASON_NAMES } from "./lib/sim/types.js";
import { fundAndApprove } from "./lib/tokens.js";
import { wad } from "./lib/units.js";

interface Lender {
  name: string;
  /** Whole USDC supplied. */
  supply: string;
}

interface Borrower {
  name: string;
  /** Collateral posted, in whole tokens per symbol. */
  collateral: readonly { symbol: string; amount: string }[];
  /** Debt taken, as a percentage of the borrow limit the collateral gives. */
  limitUsedPct: bigint;
}

const LENDERS: readonly Lender[] = [
  { name: "Alice", supply: "300000" },
  { name: "Bob", supply: "200000" },
];

const BORROWERS: readonly Borrower[] = [
  { name: "Ana", collateral: [{ symbol: "WETH", amount: "50" }], limitUsedPct: 30n },
  { name: "Ben", collateral: [{ symbol: "WETH", amount: "40" }], limitUsedPct: 78n },
  { name: "Chloe", collateral: [{ symbol: "WBTC", amount: "3" }], limitUsedPct: 60n },
  {
    name: "Dan",
    collateral: [
      { symbol: "WETH", amount: "25" },
      { symbol: "WBTC", amount: "1.25" },
    ],
    limitUsedPct: 70n,
  },
  {
    name: "Eve",
    collateral: [
      { symbol: "WETH", amount: "60" },
      { symbol: "WBTC", amount: "1" },
    ],
    limitUsedPct: 78n,
  },
];

/** Cumulative WETH price drops from the starting price, in percent. */
const WETH_DROPS_PCT: readonly bigint[] = [10n, 20n, 30n, 40n];

const INTEREST_DAYS = 30;

interface Account {
  name: string;
  signer: HardhatEthersSigner;
}

/** Everything the demo reads about the market, fixed once it is deployed. */
interface Context {
  market: ChainlinkMarket;
  usdcDecimals: number;
  shareDecimals: number;
  /** Listed collateral, in listing order. */
  assets: readonly { symbol: string; address: string; decimals: number }[];
  lenders: readonly (Account & { supplied: bigint })[];
  borrowers: readonly Account[];
}

async function main(): Promise<void> {
  const { ethers, networkHelpers } = await network.create();
  const signers = await ethers.getSigners();
  const needed = 1 + LENDERS.length + BORROWERS.length;
  if (signers.length < needed) throw new Error(`the demo needs ${needed} accounts, the chain has ${signers.length}`);

  console.log("Bulwark demo: one USDC lending market on an in-process Hardhat chain (nothing leaves this process).");

  // ---------------------------------------------------------------- 1. deploy
  console.log(heading("1. Deploy the market"));
  const market = await deployChainlinkMarket(ethers);
  const timeline = await Timeline.start(networkHelpers);
  // The scripted timeline starts after the deployment blocks: publish fresh rounds on it, or every feed reads STALE.
  await market.heartbeat((action) => timeline.send(action));
  const { vault, usdc, prices, rateModel } = market;
  const vaultAddress = await vault.getAddress();
  const usdcAddress = await usdc.getAddress();
  const symbols = new Map<string, string>();
  for (const [symbol, token] of market.collaterals) symbols.set(await token.getAddress(), symbol);
  const assets: Context["assets"][number][] = [];
  for (const address of await vault.collateralAssets()) {
    const [config, decimals] = await market.lens.collateralInfo(vault, address);
    const symbol = symbols.get(address) ?? address;
    const price = await prices.get(address);
    console.log(
      `  collateral ${symbol.padEnd(4)} price ${formatUsd(price)}, borrow LTV ${formatPercent(config.borrowLtv, 0)},` +
        ` liquidation threshold ${formatPercent(config.liquidationThreshold, 0)},` +
        ` liquidation bonus ${formatPercent(config.liquidationBonus, 1)}`,
    );
    assets.push({ symbol, address, decimals: Number(decimals) });
  }
  const [, , reserveFactor] = await market.lens.parameters(vault);
  console.log(
    `  rate model: ${formatPercent(await rateModel.baseApr(), 0)} APR at 0% utilization,` +
      ` +${formatPercent(await rateModel.slope1Apr(), 0)} up to the ${formatPercent(await rateModel.kink(), 0)} kink,` +
      ` +${formatPercent(await rateModel.slope2Apr(), 0)} above it; reserve factor ${formatPercent(reserveFactor, 0)}`,
  );
  console.log(
    `  prices: OracleAdapter over one Chainlink-like feed per asset (${FEED_HEARTBEAT / 3600} h heartbeat,` +
      ` stale after heartbeat + 10 min, moves over 20% between rounds held DEGRADED until confirmed)`,
  );
  console.log(`  vault ${await vault.symbol()} (ERC-4626 over USDC) deployed at ${vaultAddress}`);

  const usdcDecimals = Number(await usdc.decimals());
  const state: Context = {
    market,
    usdcDecimals,
    shareDecimals: Number(await vault.decimals()),
    assets,
    lenders: LENDERS.map((lender, i) => ({
      name: lender.name,
      signer: signers[1 + i],
      supplied: parseUnits(lender.supply, usdcDecimals),
    })),
    borrowers: BORROWERS.map((borrower, i) => ({ name: borrower.name, signer: signers[1 + LENDERS.length + i] })),
  };

  // ---------------------------------------------------------------- 2. lenders
  console.log(heading("2. Lenders supply USDC"));
  for (const lender of state.lenders) {
    await fundAndApprove(timeline, usdc, lender.signer, lender.supplied, vaultAddress);
    await timeline.send(() => vault.connect(lender.signer).deposit(lender.supplied, lender.signer.address));
    const shares = await vault.balanceOf(lender.signer.address);
    console.log(
      `  ${lender.name} deposits ${formatAmount(lender.supplied, state.usdcDecimals)} USDC` +
        ` and receives ${formatAmount(shares, state.shareDecimals)} bwUSDC shares`,
    );
  }

  // ---------------------------------------------------------------- 3. borrowers
  console.log(heading("3. Borrowers post collateral and borrow USDC"));
  const usdcPrice = await prices.get(usdcAddress);
  for (const [i, plan] of BORROWERS.entries()) {
    const { signer } = state.borrowers[i];
    const posted: string[] = [];
    for (const { symbol, amount } of plan.collateral) {
      const token = collateral(market, symbol);
      const units = parseUnits(amount, Number(await token.decimals()));
      await fundAndApprove(timeline, token, signer, units, vaultAddress);
      await timeline.send(() => vault.connect(signer).depositCollateral(token.target, units, signer.address));
      posted.push(`${amount} ${symbol}`);
    }
    const { collateralValue, borrowLimit } = await vault.accountLiquidity(signer.address);
    // USD (WAD) → USDC units at the oracle's USDC price.
    const amount = (borrowLimit * plan.limitUsedPct * 10n ** BigInt(state.usdcDecimals)) / (100n * usdcPrice);
    const note = await borrowWithinOutflowLimit(market, timeline, signer, amount);
    console.log(
      `  ${plan.name.padEnd(5)} posts ${posted.join(" + ")} (${formatUsd(collateralValue)}),` +
        ` borrows ${formatAmount(amount, state.usdcDecimals)} USDC = ${plan.limitUsedPct}% of a ${formatUsd(borrowLimit)} borrow limit`,
    );
    if (note !== undefined) console.log(note);
  }
  await report(state);
  console.log(
    "\n  How to read this: health factor = (collateral value x liquidation threshold) / debt value." +
      "\n  Below 1.000 an account is LIQUIDATABLE. 'over limit' means debt is above the borrow limit:" +
      "\n  the account can no longer borrow or withdraw collateral, but cannot be liquidated yet.",
  );

  // ---------------------------------------------------------------- 4. interest
  console.log(heading(`4. ${INTEREST_DAYS} days pass: interest accrues on every loan`));
  const debtBefore = await vault.totalDebt();
  await timeline.advance(INTEREST_DAYS * DAY);
  // Chainlink feeds publish at least once per heartbeat; after a month without rounds every price would be STALE.
  await market.heartbeat((action) => timeline.send(action));
  const debtAfter = await vault.totalDebt();
  console.log(
    `  total debt grew by ${formatAmount(debtAfter - debtBefore, state.usdcDecimals)} USDC` +
      ` (${formatAmount(debtBefore, state.usdcDecimals)} -> ${formatAmount(debtAfter, state.usdcDecimals)});` +
      ` lenders earn it minus the reserve factor`,
  );
  await report(state);

  // ---------------------------------------------------------------- 5+. WETH falls
  const weth = collateral(market, "WETH");
  const wethAddress = await weth.getAddress();
  const startPrice = await prices.get(wethAddress);
  // A keeper watches every step with 1,000,000 USDC; it repays from its wallet and keeps the seized collateral.
  const [keeper] = signers;
  await fundAndApprove(timeline, usdc, keeper, parseUnits("1000000", usdcDecimals), vaultAddress);
  const liquidated: string[] = [];
  // The keeper also pokes the circuit breaker (anyone may): the first poke records WETH's reference price.
  let breakerLevel = await pokeBreaker(market, timeline, keeper, wethAddress, "");
  for (const [i, dropPct] of WETH_DROPS_PCT.entries()) {
    const price = (startPrice * (100n - dropPct)) / 100n;
    const previous = await prices.get(wethAddress);
    console.log(heading(`${5 + i}. WETH falls to -${dropPct}%: ${formatUsd(previous)} -> ${formatUsd(price)}`));
    await timeline.send(() => prices.set(wethAddress, price));
    breakerLevel = await pokeBreaker(market, timeline, keeper, wethAddress, breakerLevel);
    await report(state);
    for (const name of await keeperRound(state, timeline, keeper))
      if (!liquidated.includes(name)) liquidated.push(name);
  }

  // ---------------------------------------------------------------- summary
  console.log(heading("Summary"));
  const finalPrice = await prices.get(wethAddress);
  const sharePrice = await vault.convertToAssets(10n ** BigInt(state.shareDecimals));
  const badDebt = await vault.badDebt();
  console.log(
    `  With WETH at ${formatUsd(finalPrice)} (from ${formatUsd(startPrice)}), the keeper liquidated` +
      ` ${liquidated.length} of ${state.borrowers.length} borrowers${liquidated.length > 0 ? ` (${liquidated.join(", ")})` : ""}` +
      " as they crossed health 1, each only back to 1.05, at the oracle's price less a bonus that grows as health falls." +
      "\n  The WBTC-only and low-LTV positions stay healthy; the closer a WETH position started to its limit, the sooner it fell." +
      `\n  Bad debt written off: ${formatAmount(badDebt, state.usdcDecimals)} USDC. One bwUSDC share is worth` +
      ` ${formatAmount(sharePrice, state.usdcDecimals, state.usdcDecimals)} USDC after ${INTEREST_DAYS} days of interest` +
      " and the liquidation fees paid into reserves.",
  );
}

const LEVEL_MEANING: Record<string, string> = {
  NONE: "nothing stopped",
  TIGHTEN: "WETH's outflow limit is halved",
  NO_BORROW: "WETH backs no new borrow",
  QUEUE: "WETH withdrawals are queued, supply and borrows stop",
  NO_LIQUIDATION: "WETH's price is unknown: liquidations seizing it stop",
};

/** Pokes the breaker for `asset` and prints its level when it changed; returns the level. */
async function pokeBreaker(
  market: ChainlinkMarket,
  timeline: Timeline,
  keeper: HardhatEthersSigner,
  asset: string,
  before: string,
): Promise<string> {
  await timeline.send(() => market.breaker.connect(keeper).poke(asset));
  const entry = await market.breaker.entry(asset);
  const level = BREAKER_LEVEL_NAMES[Number(entry.level)] ?? String(entry.level);
  if (level === before || (before === "" && level === "NONE")) return level;
  const reasons = BREAKER_REASON_NAMES.filter((_, bit) => bit > 0 && (Number(entry.reasons) >> bit) & 1);
  console.log(
    `  Circuit breaker (poked by the keeper): WETH ${before || "NONE"} -> ${level}` +
      `${reasons.length > 0 ? ` [${reasons.join(", ")}]` : ""}: ${LEVEL_MEANING[level] ?? ""};` +
      " repay, adding collateral and liquidations stay open",
  );
  return level;
}

/** One keeper pass: liquidates every liquidatable account through the engine and prints what each liquidation did. */
async function keeperRound(ctx: Context, timeline: Timeline, keeper: HardhatEthersSigner): Promise<string[]> {
  const { vault, lens, engine } = ctx.market;
  const liquidated: string[] = [];
  const rows: string[][] = [];
  for (const { name, signer } of ctx.borrowers) {
    const account = signer.address;
    for (const asset of ctx.assets) {
      if (!(await vault.isLiquidatable(account))) break;
      if ((await vault.collateralOf(account, asset.address)) === 0n) continue;
      const health = await lens.healthFactor(vault, account);
      const badDebtBefore = await vault.badDebt();
      const quote = await engine.previewLiquidation(account, asset.address, MaxUint256);
      await timeline.send(() => engine.connect(keeper).liquidate(account, asset.address, MaxUint256, keeper.address));
      const after = await lens.healthFactor(vault, account);
      if (!liquidated.includes(name)) liquidated.push(name);
      rows.push([
        name,
        `${formatToken(quote.seize, asset.decimals)} ${asset.symbol}`,
        formatAmount(quote.repay, ctx.usdcDecimals),
        formatPercent(quote.bonus, 2),
        formatAmount(quote.fee, ctx.usdcDecimals),
        `${formatWad(health, 3)} -> ${after === MaxUint256 ? "no debt" : formatWad(after, 3)}`,
        formatAmount((await vault.badDebt()) - badDebtBefore, ctx.usdcDecimals),
      ]);
    }
  }
  if (rows.length === 0) return liquidated;
  console.log(
    "\n  A keeper liquidates through the LiquidationEngine:\n" +
      renderTable(
        [
          { header: "Borrower" },
          { header: "Seized" },
          { header: "Repaid (USDC)", align: "right" },
          { header: "Bonus", align: "right" },
          { header: "Fee to reserves", align: "right" },
          { header: "Health factor", align: "right" },
          { header: "Bad debt written off", align: "right" },
        ],
        rows,
      ),
  );
  return liquidated;
}

/** Prints every borrower and lender position and the vault's totals at current prices. */
/**
 * The circuit breaker lets at most 25% of the vault's cash out, net, per 6-hour window: a loan larger than what is
 * left in the window is taken in parts, one per window (a real market fills up over days, not in one block).
 */
async function borrowWithinOutflowLimit(
  market: ChainlinkMarket,
  timeline: Timeline,
  signer: HardhatEthersSigner,
  amount: bigint,
): Promise<string | undefined> {
  const usdc = await market.usdc.getAddress();
  const { outflowWindow } = await market.breaker.assetParams(usdc);
  let left = amount;
  let parts = 0;
  let waited = 0;
  for (;;) {
    const { outflowUsed, outflowLimit } = await market.breaker.entry(usdc);
    const room = outflowLimit > outflowUsed ? outflowLimit - outflowUsed : 0n;
    const part = left < room ? left : room;
    if (part > 0n) {
      await timeline.send(() => market.vault.connect(signer).borrow(part, signer.address));
      left -= part;
      parts += 1;
    }
    if (left === 0n) break;
    await timeline.advance(Number(outflowWindow));
    waited += Number(outflowWindow);
    await market.heartbeat((action) => timeline.send(action));
  }
  if (parts === 1) return undefined;
  return (
    `        (in ${parts} parts over ${waited / 3600} h: the circuit breaker lets at most 25% of the vault's cash` +
    ` out, net, per ${Number(outflowWindow) / 3600} h window)`
  );
}

async function report(ctx: Context): Promise<void> {
  const { vault, rateModel } = ctx.market;
  const rows: string[][] = [];
  const flagged: string[] = [];
  for (const { name, signer } of ctx.borrowers) {
    const account = signer.address;
    const liq = await vault.accountLiquidity(account);
    const holdings: string[] = [];
    for (const asset of ctx.assets) {
      const balance = await vault.collateralOf(account, asset.address);
      if (balance > 0n) holdings.push(`${formatToken(balance, asset.decimals)} ${asset.symbol}`);
    }
    const liquidatable = await vault.isLiquidatable(account);
    if (liquidatable) flagged.push(name);
    const health = await ctx.market.lens.healthFactor(vault, account);
    const status = liquidatable ? "LIQUIDATABLE" : liq.debtValue > liq.borrowLimit ? "over limit" : "ok";
    rows.push([
      name,
      holdings.join(" + ") || "-",
      formatUsd(liq.collateralValue),
      formatAmount(liq.debt, ctx.usdcDecimals),
      formatUsd(liq.borrowLimit),
      liq.borrowLimit === 0n ? "-" : formatPercent((wad("1") * liq.debtValue) / liq.borrowLimit, 1),
      liq.debt === 0n ? "no debt" : formatWad(health, 3),
      status,
    ]);
  }
  console.log(
    "\n" +
      renderTable(
        [
          { header: "Borrower" },
          { header: "Collateral" },
          { header: "Collateral value", align: "right" },
          { header: "Debt (USDC)", align: "right" },
          { header: "Borrow limit", align: "right" },
          { header: "Limit used", align: "right" },
          { header: "Health factor", align: "right" },
          { header: "Status" },
        ],
        rows,
      ),
  );
  console.log(
    flagged.length === 0
      ? "  -> no borrower is liquidatable"
      : `  -> LIQUIDATABLE: ${flagged.join(", ")} (debt value above the liquidation limit, health factor < 1)`,
  );

  const lenderRows: string[][] = [];
  for (const { name, signer, supplied } of ctx.lenders) {
    const shares = await vault.balanceOf(signer.address);
    const worth = await vault.convertToAssets(shares);
    lenderRows.push([
      name,
      formatAmount(supplied, ctx.usdcDecimals),
      formatAmount(shares, ctx.shareDecimals),
      formatAmount(worth, ctx.usdcDecimals),
      formatAmount(worth - supplied, ctx.usdcDecimals),
    ]);
  }
  console.log(
    "\n" +
      renderTable(
        [
          { header: "Lender" },
          { header: "Supplied (USDC)", align: "right" },
          { header: "Shares (bwUSDC)", align: "right" },
          { header: "Worth now (USDC)", align: "right" },
          { header: "Earned (USDC)", align: "right" },
        ],
        lenderRows,
      ),
  );

  const cash = await vault.cash();
  const debt = await vault.totalDebt();
  const sharePrice = await vault.convertToAssets(10n ** BigInt(ctx.shareDecimals));
  const usdc = (value: bigint): string => formatAmount(value, ctx.usdcDecimals);
  console.log(
    "\n" +
      renderTable(
        [
          { header: "Vault: total assets", align: "right" },
          { header: "Cash", align: "right" },
          { header: "Total debt", align: "right" },
          { header: "Reserves", align: "right" },
          { header: "Utilization", align: "right" },
          { header: "Borrow APR", align: "right" },
          { header: "Share price (USDC/bwUSDC)", align: "right" },
        ],
        [
          [
            usdc(await vault.totalAssets()),
            usdc(cash),
            usdc(debt),
            usdc(await vault.reserves()),
            formatPercent(await rateModel.utilization(cash, debt)),
            formatPercent(await rateModel.borrowApr(cash, debt)),
            formatAmount(sharePrice, ctx.usdcDecimals, ctx.usdcDecimals),
          ],
        ],
      ),
  );
}

await runScript("npm start (scripts/demo.ts)", main);
