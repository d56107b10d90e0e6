// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICircuitBreaker
/// @notice Automatic, granular pauses and rate limits for one vault. Each asset (and a global entry, `address(0)`)
///         has a state: the reasons currently tripped, and the actions they stop. Triggers trip at once, from a
///         permissionless `poke` or inside the actions they guard; each trip has a cooldown, after which the next
///         `poke` resets it if its condition has cleared. Responses are graded:
///         - TIGHTEN (a price fall of half the bound): the asset's outflow limit is halved (as under every trip but
///           OUTFLOW itself);
///         - NO_BORROW (a price fall beyond the bound, a DEGRADED price, realised bad debt): the asset backs no new
///           borrow (for the base asset or the global entry: no borrow at all);
///         - QUEUE (outflow beyond the limit): every withdrawal of the asset becomes a claim payable after a delay,
///           and supply and borrows stop;
///         - NO_LIQUIDATION (a FAILED price, the only level that stops liquidations): liquidations seizing the asset
///           stop; when they resume they wait a grace period.
///         Never paused, by any level or role: repay, depositCollateral, and (through the queue at worst) a debt-free
///         account's collateral withdrawal (INV-27, INV-35).
/// @dev Action bits (the `actionMask` of every event and view): SUPPLY 1, WITHDRAW 2 (queued, never refused), BORROW
///      4, DEPOSIT_COLLATERAL 8 (never set), WITHDRAW_COLLATERAL 16 (queued, never refused), LIQUIDATE 32.
interface ICircuitBreaker {
    enum Level {
        NONE,
        TIGHTEN,
        NO_BORROW,
        QUEUE,
        NO_LIQUIDATION
    }

    /// @notice Why an entry is tripped; an entry may have several reasons at once (its level is the highest).
    enum Reason {
        NONE,
        ORACLE_DEGRADED, // the oracle adapter reports DEGRADED → NO_BORROW
        ORACLE_FAILED, // the oracle adapter reports FAILED → NO_LIQUIDATION
        PRICE_FALL_SOFT, // fell ≥ half the bound within the window → TIGHTEN
        PRICE_FALL, // fell ≥ the bound within the window → NO_BORROW
        OUTFLOW, // a withdrawal did not fit in the rolling outflow limit → QUEUE
        BAD_DEBT, // bad debt realised within BAD_DEBT_WINDOW above a share of supply (global) → NO_BORROW
        GUARDIAN // the guardian tripped the actions in its mask → those actions
    }

    /// @notice Policy shared by every asset (all bounded, see the implementation's MIN_/MAX_ constants).
    struct Params {
        uint32 cooldown; // seconds a trip holds at least
        uint32 guardianCooldown; // seconds a guardian trip holds (and cannot be undone earlier)
        uint32 claimDelay; // seconds before a queued withdrawal can be claimed
        uint32 liquidationGrace; // seconds liquidations wait after they resume
        uint64 resumeShare; // WAD: an outflow trip resets once use is at most this share of the limit
        uint64 badDebtShare; // WAD: realised bad debt within BAD_DEBT_WINDOW, as a share of supply, that trips
    }

    /// @notice Per-asset triggers.
    struct AssetParams {
        uint64 outflowShare; // WAD share of the base (the bucket's largest block-opening balance) out, net, in any window-length span
        uint32 outflowWindow; // seconds
        uint64 maxFall; // WAD fall from the window's high that trips PRICE_FALL (half of it: PRICE_FALL_SOFT)
        uint32 fallWindow; // seconds
    }

    /// @notice One entry of the whole state, as monitors read it.
    struct EntryView {
        address asset; // address(0): the global entry
        uint8 actionMask; // actions stopped (or, for withdrawals, queued) now
        Level level;
        uint16 reasons; // bit i set: Reason(i) is tripped
        uint256 cooldownUntil; // no reset before
        uint256 guardianUntil; // the guardian's actions hold until
        uint256 liquidationsFrom; // liquidations wait until (grace after a resume)
        uint256 outflowUsed; // net outflow counted now
        uint256 outflowLimit; // limit now
        uint256 fallFloor; // price below which PRICE_FALL holds (0: no reference yet)
    }

    // ----------------------------------------------------------------- events

    /// @notice The one schema for every trip and reset: `reason` was set (`tripped`) or cleared on `asset`'s
    ///         entry, leaving it at `level`, stopping `actionMask`, not resettable before `cooldownUntil`.
    event BreakerUpdated(
        address indexed asset,
        Reason indexed reason,
        bool tripped,
        uint8 actionMask,
        Level level,
        uint256 cooldownUntil
    );
    /// @notice Emitted when governance names the guardian.
    event GuardianSet(address indexed guardian);
    /// @notice Emitted when governance changes the shared policy.
    event ParamsSet(Params params);
    /// @notice Emitted when governance changes an asset's triggers.
    event AssetParamsSet(address indexed asset, AssetParams params);

    // ----------------------------------------------------------------- errors

    /// @notice Thrown when a hook is called by anyone but the vault.
    error NotVault(address caller);
    /// @notice Thrown when `guardianTrip` is called by anyone but the guardian.
    error NotGuardian(address caller);
    /// @notice Thrown when an action is stopped on `asset`'s entry (address(0): global) for `reason`.
    error ActionPaused(address asset, uint8 action, Reason reason);
    /// @notice Thrown when a borrow, or a lender's `withdraw`/`redeem` (which pay now or not at all), would take net
    ///         outflow of `asset` past its limit.
    error OutflowLimitReached(address asset, uint256 used, uint256 limit, uint256 amount);
    /// @notice Thrown when liquidations of `asset` resumed less than the grace period ago.
    error LiquidationGrace(address asset, uint256 until);
    /// @notice Thrown when the guardian's mask is empty or names an action it may not stop.
    error InvalidActionMask(uint8 mask);
    /// @notice Thrown when `asset` is neither the vault's base asset nor a listed collateral.
    error UnknownAsset(address asset);
    /// @notice Thrown when a parameter is outside its hard-coded bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown by `renounceOwnership`: governance can be handed over (in two steps), never abandoned, so
    ///         parameters can always be corrected and the guardian always replaced.
    error RenounceDisabled();

    // ----------------------------------------------------------------- permissionless

    /// @notice Evaluates every trigger of `asset` (address(0): the global entry): trips what holds, resets what has
    ///         cooled down and cleared. Anyone may call it; the upkeep and keepers do.
    /// @param asset The base asset, a listed collateral, or address(0).
    /// @return actionMask The actions stopped afterwards.
    /// @return level The level afterwards.
    function poke(address asset) external returns (uint8 actionMask, Level level);

    // ----------------------------------------------------------------- vault hooks (only the vault)

    /// @notice A supply of `amount` of the base asset; reverts with ActionPaused when supply is stopped. The lender's
    ///         deposit credit (what its later withdrawals in this bucket may take without counting against the shared
    ///         limit) is kept by the vault beside the shares it credits, in the credit word format below.
    /// @dev A credit word: bits 96–127 the outflow bucket it belongs to (stale once the bucket rolls), bits 0–95 the
    ///      account's net outflow of the asset in that bucket as an int96 (negative: credit from its own inflows),
    ///      saturating on the protocol's side. 0 is no credit. The vault stores it and never reads inside it.
    /// @param amount Base units in.
    /// @param cashBefore The vault's cash before it.
    /// @param credit The receiver's credit word now.
    /// @return creditAfter The receiver's credit word after it (the vault stores it with the shares).
    function onSupply(uint256 amount, uint256 cashBefore, uint128 credit) external returns (uint128 creditAfter);

    /// @notice A collateral deposit of `amount` of `asset`, crediting its account's later withdrawals of it. Never
    ///         reverts for the vault (which also calls it inside a try/catch: INV-27).
    /// @param asset The collateral that came in.
    /// @param amount Units in.
    /// @param balanceBefore The vault's booked collateral of `asset` before (its total deposited).
    /// @param credit The account's credit word for `asset` now (`onSupply`'s format).
    /// @return creditAfter Its credit word after the deposit (the vault stores it with the holding).
    function onInflow(
        address asset,
        uint256 amount,
        uint256 balanceBefore,
        uint128 credit
    ) external returns (uint128 creditAfter);

    /// @notice A repayment of `amount` of the base asset, crediting its account's borrowing in this bucket (its credit
    ///         covers only borrows). Never reverts for the vault (which calls it without letting a failure or an
    ///         answer it cannot use stop the repayment: INV-27).
    /// @param amount Base units in.
    /// @param cashBefore The vault's cash before it.
    /// @param credit The account's borrower credit word now (`onSupply`'s format; the vault keeps it in the
    ///        account's position word, apart from any deposit credit).
    /// @return creditAfter Its borrower credit word after the repayment.
    function onRepay(uint256 amount, uint256 cashBefore, uint128 credit) external returns (uint128 creditAfter);

    /// @notice A borrow of `amount`: reverts with ActionPaused when borrowing is stopped (globally or on the base
    ///         asset) and with OutflowLimitReached when the part its account's own repayments in this bucket do not
    ///         cover does not fit in the base asset's outflow limit.
    /// @param amount Base units out.
    /// @param cashBefore The vault's cash before it.
    /// @param credit The borrower's credit word now (`onRepay`'s).
    /// @return creditAfter Its borrower credit word after the borrow (the vault stores it with the debt).
    function beforeBorrow(uint256 amount, uint256 cashBefore, uint128 credit) external returns (uint128 creditAfter);

    /// @notice A withdrawal (lender or collateral) of `amount`: counts the part its account's own deposits in this
    ///         bucket (half a window) do not cover, or says to queue it (and trips OUTFLOW when it does not fit in
    ///         the limit). Where the vault may not queue (`mayQueue` false: a lender's ERC-4626 `withdraw` or `redeem`,
    ///         which pays now or reverts), it reverts instead: ActionPaused while the asset's withdrawals queue,
    ///         OutflowLimitReached when it does not fit (tripping nothing). Otherwise never reverts for the vault.
    /// @param asset The asset going out.
    /// @param amount Units out.
    /// @param balanceBefore The vault's booked balance of it before.
    /// @param mayQueue Whether the vault would queue it (else the call must pay now or revert).
    /// @param credit The account's credit word for `asset` now (`onSupply`'s format).
    /// @return readyAt 0 to pay now; else when the queued claim becomes payable.
    /// @return creditAfter Its credit word afterwards: a paid withdrawal is debited as it counts; a queued one counts
    ///         nothing but uses up the credit it covers, so no later exit in the bucket spends that credit again.
    function onOutflow(
        address asset,
        uint256 amount,
        uint256 balanceBefore,
        bool mayQueue,
        uint128 credit
    ) external returns (uint256 readyAt, uint128 creditAfter);

    /// @notice Shares moved between two accounts: the sender's deposit credit moves with them, up to their value.
    /// @param shares Shares moved (valued by the breaker only when the sender has credit).
    /// @param fromCredit The sender's credit word now.
    /// @param toCredit The recipient's credit word now.
    /// @return fromAfter The sender's credit word after it.
    /// @return toAfter The recipient's credit word after it.
    function onShareTransfer(
        uint256 shares,
        uint128 fromCredit,
        uint128 toCredit
    ) external returns (uint128 fromAfter, uint128 toAfter);

    /// @notice Bad debt of `amount` was just written off; trips BAD_DEBT when the window's total crosses its bound.
    /// @param amount Base units written off.
    /// @param supply The vault's total assets after the write-off.
    function onBadDebt(uint256 amount, uint256 supply) external;

    // ----------------------------------------------------------------- guardian and governance

    /// @notice The guardian stops the actions in `actionMask` on `asset` (address(0): everywhere) at once, for
    ///         `guardianCooldown`. It can only restrict: SUPPLY, BORROW, and queueing WITHDRAW and
    ///         WITHDRAW_COLLATERAL; never repay, collateral deposits or liquidations, and never a reset.
    /// @param asset The entry.
    /// @param actionMask Non-empty subset of SUPPLY | WITHDRAW | BORROW | WITHDRAW_COLLATERAL.
    function guardianTrip(address asset, uint8 actionMask) external;

    /// @notice Governance (the timelock) names the guardian; address(0) removes it.
    /// @param guardian The new guardian.
    function setGuardian(address guardian) external;

    /// @notice Governance (the timelock) changes the shared policy, inside the bounds.
    /// @param params The new policy.
    function setParams(Params calldata params) external;

    /// @notice Governance (the timelock) changes `asset`'s triggers, inside the bounds (address(0): the default for
    ///         assets without their own).
    /// @param asset The asset.
    /// @param params Its triggers.
    function setAssetParams(address asset, AssetParams calldata params) external;

    // ----------------------------------------------------------------- views

    /// @notice Whether `collateral` may back a new borrow at `price` (its oracle `low`): not stopped, and not fallen
    ///         beyond its bound since the last reference a poke recorded. Lets the vault check the price-fall
    ///         trigger inside the borrow itself, before anyone pokes.
    /// @param collateral The collateral.
    /// @param price Its price now (WAD USD).
    function borrowAllowed(address collateral, uint256 price) external view returns (bool);

    /// @notice Reverts with ActionPaused or LiquidationGrace when liquidations seizing `collateral` (or any, for the
    ///         base asset's or the global entry) are stopped or inside their grace period.
    /// @param collateral The collateral to seize.
    /// @return openSince Since when they have been open: the latest end of a grace period after a resume among the
    ///         three entries, 0 if none ever stopped. The liquidation engine counts its time ramp only from then.
    function checkLiquidation(address collateral) external view returns (uint256 openSince);

    /// @notice The most of `asset` that an account with `credit` can take out now and be paid in the same transaction
    ///         (`onOutflow` pays it rather than queueing it): 0 while withdrawals of `asset` queue, else the account's
    ///         own credit plus what is left of the outflow limit. The vault's `maxWithdraw` and `maxRedeem` read it.
    /// @param asset The asset going out.
    /// @param balanceBefore The vault's booked balance of `asset` now (cash, or collateral deposited).
    /// @param credit The account's credit word for `asset` (`onSupply`'s format), as the vault stores it beside the
    ///        balance it credits (VaultStorage's SHARES_SLOT and BALANCES_SLOT words, bits 128–255).
    function outflowRoom(address asset, uint256 balanceBefore, uint128 credit) external view returns (uint256);

    /// @notice How many entries (assets and the global one) hold a tripped reason or a guardian mask; a guardian mask
    ///         that has expired counts until a `poke` of its entry clears it. 0: no reason and no guardian stops any
    ///         action anywhere (liquidations may still wait out a grace period, and borrows still meet the price-fall
    ///         floor), and the vault's hooks read no entry.
    function activeEntries() external view returns (uint256);

    /// @notice The actions stopped on `asset` now, its own entry combined with the global one.
    /// @param asset The asset.
    function actionMask(address asset) external view returns (uint8);

    /// @notice One entry.
    /// @param asset The asset (address(0): global).
    function entry(address asset) external view returns (EntryView memory);

    /// @notice The whole state: the global entry, the base asset, then every listed collateral.
    function state() external view returns (EntryView[] memory entries);

    /// @notice The vault this breaker guards.
    function vault() external view returns (address);

    /// @notice The guardian (address(0): none).
    function guardian() external view returns (address);

    /// @notice The shared policy.
    function params() external view returns (Params memory);

    /// @notice `asset`'s triggers (its own, or the default).
    /// @param asset The asset.
    function assetParams(address asset) external view returns (AssetParams memory);
}
