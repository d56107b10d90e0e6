/**
 * Which liquidations a keeper does in one block: a pure function over plain data (no chain, no ethers), so the keeper
 * bot (`keeper.ts`) and the crash simulation run exactly the same rules. `accounts.ts` reads the snapshot this takes.
 *
 * Rules, in order (each has a test in test/unit/KeeperSelection.test.ts):
 *
 * 1. Only accounts with debt that are liquidatable (the vault says so, or the engine priced a liquidation of them)
 *    are candidates; an account in `policy.exclude` is skipped (`excluded`).
 * 2. An account whose base price is FAILED is skipped (`base-price-unavailable`): the engine trades at no unknown price.
 * 3. An account whose collateral is all dust (worth less than `policy.dustValue`, every holding priced) is written off
 *    (`engine.writeOff`) instead of liquidated: nothing is worth selling.
 * 4. Otherwise the collateral seized is the one of largest value among those that can be sold (`policy.canSell`: the
 *    liquidator has a pool for it), whose price is not FAILED and whose engine preview, when the reader asked for one,
 *    succeeded. None: skipped (`collateral-price-unavailable` when every holding's price is FAILED, else
 *    `no-sellable-collateral`).
 * 5. Urgency: health factor ascending, in buckets of `policy.healthBucket` (accounts at about the same health go
 *    largest debt value first), then debt value descending, then the oldest flag first, then by address (a fixed
 *    order). The first `policy.maxPerBlock` actions are taken; the rest wait for the next block
 *    (`over-block-cap`). One action per account per block: a liquidation changes its health, so the next one is
 *    decided on the next snapshot.
 * 6. A liquidatable account that is not flagged and gets no action this block is flagged (`engine.flag`: its bonus
 *    starts to climb with time and the loss already certain is provisioned), at most `policy.maxFlagsPerBlock`, most
 *    urgent first. Not when its base price is FAILED (`flag` would revert).
 */

/** 1e18: health factors and USD values are WAD. */
export const WAD = 10n ** 18n;
/** type(uint256).max: "as much as the close rules allow" as `maxRepay`, and the health factor of a debt-free account. */
export const MAX_UINT256 = (1n << 256n) - 1n;

/** What `engine.previewLiquidation(account, asset, maxRepay)` said, when the snapshot reader asked. */
export type PreviewResult =
  | { ok: true; repay: bigint; seize: bigint; fee: bigint; bonus: bigint; writeOff: boolean }
  | { ok: false; error: string };

/** One collateral an account holds. */
export interface CollateralPosition {
  /** Token address. */
  asset: string;
  /** Units held, in the token's base units. */
  amount: bigint;
  /** USD value (WAD) at the oracle's low bound, as the vault values it; 0 when the price is FAILED. */
  value: bigint;
  /** False when the collateral's price is FAILED: the engine never seizes it. */
  priceAvailable: boolean;
  /** The engine's preview of seizing it (undefined: not asked). */
  preview?: PreviewResult;
}

/** One account as the keeper sees it in one block. Values USD WAD, `debt` in base units. */
export interface AccountSnapshot {
  account: string;
  debt: bigint;
  debtValue: bigint;
  collateralValue: bigint;
  liquidationLimit: bigint;
  /** Health factor, WAD (liquidation limit / debt value); MAX_UINT256 without debt. */
  health: bigint;
  /** `vault.isLiquidatable`, or an engine preview of some collateral succeeded (FAILED prices elsewhere). */
  liquidatable: boolean;
  /** False when the base asset's price is FAILED. */
  basePriceAvailable: boolean;
  /** `engine.flaggedAt` (seconds); 0 when not flagged. */
  flaggedAt: bigint;
  /** Holdings with a non-zero amount (may be empty for accounts the reader did not look into: healthy ones). */
  collaterals: readonly CollateralPosition[];
}

export interface SelectionPolicy {
  /** Most liquidations and write-offs per block (≥ 0). */
  maxPerBlock: number;
  /** Whether the keeper can sell `asset` (its liquidator has a pool or route for it). */
  canSell: (asset: string) => boolean;
  /** Width of the health buckets within which a larger debt goes first (WAD); default 0.01 (1%). 0: health only. */
  healthBucket?: bigint;
  /** `maxRepay` of each liquidation; default MAX_UINT256 (as much as the engine allows). */
  maxRepay?: bigint;
  /** The engine's dust threshold (USD WAD): accounts whose collateral is worth less are written off. Unset: never. */
  dustValue?: bigint;
  /** Most flags per block; default 0 (no flagging). */
  maxFlagsPerBlock?: number;
  /** Accounts to leave alone this block (lower-case or checksummed addresses). */
  exclude?: ReadonlySet<string>;
}

export type Action =
  | {
      kind: "liquidate";
      borrower: string;
      collateral: string;
      maxRepay: bigint;
      health: bigint;
      debtValue: bigint;
      /** USD value of the chosen collateral held. */
      collateralValue: bigint;
      /** The engine's preview of this liquidation, when the snapshot had one. */
      preview?: PreviewResult;
    }
  | { kind: "writeOff"; borrower: string; health: bigint; debtValue: bigint; collateralValue: bigint };

export type SkipReason =
  "excluded" | "base-price-unavailable" | "collateral-price-unavailable" | "no-sellable-collateral" | "over-block-cap";

export interface Skipped {
  account: string;
  reason: SkipReason;
  /** Why each holding was unusable, for `no-sellable-collateral` (asset → reason). */
  detail?: Readonly<Record<string, string>>;
}

export interface Selection {
  /** What to do this block, most urgent first. */
  actions: Action[];
  /** Accounts to flag, most urgent first. */
  flags: string[];
  /** Liquidatable accounts left alone this block, and why, most urgent first. */
  skipped: Skipped[];
}

const DEFAULT_HEALTH_BUCKET = WAD / 100n;

const lower = (address: string): string => address.toLowerCase();

/**
 * Orders two accounts by urgency (negative: `a` first): health bucket ascending, debt value descending, older flag
 * first (unflagged last), address ascending.
 */
export function compareUrgency(a: AccountSnapshot, b: AccountSnapshot, healthBucket = DEFAULT_HEALTH_BUCKET): number {
  const bucket = (health: bigint): bigint => (healthBucket > 0n ? health / healthBucket : health);
  const [ha, hb] = [bucket(a.health), bucket(b.health)];
  if (ha !== hb) return ha < hb ? -1 : 1;
  if (a.debtValue !== b.debtValue) return a.debtValue > b.debtValue ? -1 : 1;
  const [fa, fb] = [a.flaggedAt === 0n ? MAX_UINT256 : a.flaggedAt, b.flaggedAt === 0n ? MAX_UINT256 : b.flaggedAt];
  if (fa !== fb) return fa < fb ? -1 : 1;
  const [la, lb] = [lower(a.account), lower(b.account)];
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/** Why `position` cannot be seized by this keeper, or undefined when it can. */
function unusable(position: CollateralPosition, canSell: (asset: string) => boolean): string | undefined {
  if (position.amount === 0n) return "none held";
  if (!position.priceAvailable) return "price unavailable";
  if (!canSell(position.asset)) return "no pool";
  if (position.preview !== undefined && !position.preview.ok) return position.preview.error;
  return undefined;
}

/**
 * The collateral to seize from `account`: the largest value among those this keeper can sell, with a price, whose
 * preview (if any) succeeded. Ties go to the lower address.
 */
export function chooseCollateral(
  account: AccountSnapshot,
  canSell: (asset: string) => boolean,
): CollateralPosition | undefined {
  let best: CollateralPosition | undefined;
  for (const position of account.collaterals) {
    if (unusable(position, canSell) !== undefined) continue;
    if (
      best === undefined ||
      position.value > best.value ||
      (position.value === best.value && lower(position.asset) < lower(best.asset))
    ) {
      best = position;
    }
  }
  return best;
}

/** Whether `account` is a write-off: liquidatable, every holding priced, all of it worth less than `dustValue`. */
function isDust(account: AccountSnapshot, dustValue: bigint | undefined): boolean {
  if (dustValue === undefined) return false;
  if (account.collaterals.some((position) => !position.priceAvailable)) return false;
  const total = account.collaterals.reduce((sum, position) => sum + position.value, 0n);
  return total < dustValue;
}

/** Decides this block's liquidations, write-offs and flags (see the rules at the top of this file). */
export function selectLiquidations(accounts: readonly AccountSnapshot[], policy: SelectionPolicy): Selection {
  const bucket = policy.healthBucket ?? DEFAULT_HEALTH_BUCKET;
  const maxRepay = policy.maxRepay ?? MAX_UINT256;
  const exclude = new Set([...(policy.exclude ?? [])].map(lower));
  const candidates = accounts
    .filter((account) => account.debt > 0n && account.liquidatable)
    .sort((a, b) => compareUrgency(a, b, bucket));

  const actions: Action[] = [];
  const skipped: Skipped[] = [];
  const unattended: AccountSnapshot[] = [];
  for (const account of candidates) {
    const borrower = account.account;
    if (exclude.has(lower(borrower))) {
      skipped.push({ account: borrower, reason: "excluded" });
      continue;
    }
    if (!account.basePriceAvailable) {
      skipped.push({ account: borrower, reason: "base-price-unavailable" });
      continue;
    }
    let action: Action | undefined;
    if (isDust(account, policy.dustValue)) {
      const { health, debtValue, collateralValue } = account;
      action = { kind: "writeOff", borrower, health, debtValue, collateralValue };
    } else {
      const chosen = chooseCollateral(account, policy.canSell);
      if (chosen === undefined) {
        const held = account.collaterals.filter((position) => position.amount > 0n);
        const allFailed = held.length > 0 && held.every((position) => !position.priceAvailable);
        const detail: Record<string, string> = {};
        for (const position of held) detail[position.asset] = unusable(position, policy.canSell) ?? "";
        skipped.push(
          allFailed
            ? { account: borrower, reason: "collateral-price-unavailable" }
            : { account: borrower, reason: "no-sellable-collateral", detail },
        );
        unattended.push(account);
        continue;
      }
      action = {
        kind: "liquidate",
        borrower,
        collateral: chosen.asset,
        maxRepay,
        health: account.health,
        debtValue: account.debtValue,
        collateralValue: chosen.value,
        ...(chosen.preview === undefined ? {} : { preview: chosen.preview }),
      };
    }
    if (actions.length >= policy.maxPerBlock) {
      skipped.push({ account: borrower, reason: "over-block-cap" });
      unattended.push(account);
      continue;
    }
    actions.push(action);
  }

  const flags = unattended
    .filter((account) => account.flaggedAt === 0n)
    .slice(0, Math.max(0, policy.maxFlagsPerBlock ?? 0))
    .map((account) => account.account);
  return { actions, flags, skipped };
}
