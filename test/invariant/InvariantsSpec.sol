// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title InvariantsSpec
/// @notice The named properties the invariant suite checks. IDs follow ../shared/INVARIANTS.md; the docs,
///         the tests and the closing notes cite them. Each string is also the assertion message, so a failing run
///         names the property it broke.
library InvariantsSpec {
    string internal constant INV_01_DEBT_SUM =
        "INV-01: total debt <= sum of account debts < total debt + number of borrowers";
    string internal constant INV_01_SHARE_SUM =
        "INV-01: sum of the lender shares every holder (actors, the withdrawal queue, the vault) has == total supply";
    string internal constant INV_02_BORROWED_LE_SUPPLIED =
        "INV-02: booked cash == ghost base in - ghost base out, so net borrowed <= net supplied";
    string internal constant INV_03_BASE_BACKED = "INV-03: base asset balanceOf(vault) >= booked cash";
    string internal constant INV_03_COLLATERAL_BACKED =
        "INV-03: per collateral, balanceOf(vault) >= total deposited == sum of account balances";
    string internal constant INV_03_GHOST_COLLATERAL =
        "INV-03: per collateral, total deposited == ghost deposits - ghost withdrawals";
    string internal constant INV_03_GHOST_COLLATERAL_SWEPT =
        "INV-03: per collateral, total deposited + protocol-owned == ghost deposits - ghost withdrawals - ghost seized";
    string internal constant INV_04_TOTAL_ASSETS =
        "INV-04: totalAssets == cash + total debt - max(reserves, total provision - backstop earmark) - gains held back";
    string internal constant INV_06_SHARE_PRICE =
        "INV-06: the share price never decreases, except through a bad-debt provision or write-off";
    string internal constant INV_06_BORROW_INDEX = "INV-06: the borrow index never decreases";
    string internal constant INV_06_NO_INSTANT_GAIN =
        "INV-06: while no time passes the share price rises by at most rounding (two shares' worth and 2 wei) and a liquidation's fee: gains reach lenders slowly (issue 19, property 2)";
    string internal constant INV_07_DONATION = "INV-07: a donation changes no share price, cash or borrow limit";
    string internal constant INV_09_ROUND_TRIP = "INV-09: redeem(deposit(a)) <= a";
    string internal constant INV_10_ACCRUAL_TIME = "INV-10: lastAccrual <= block.timestamp";
    string internal constant INV_11_BORROW_LIMIT =
        "INV-11/12: no borrow or collateral withdrawal leaves its account above its borrow limit";
    string internal constant INV_12_DOUBTED_PRICE =
        "INV-12/22: no borrow or collateral withdrawal with debt relied on a DEGRADED or FAILED price";
    string internal constant INV_13_ONLY_LIQUIDATABLE =
        "INV-13: a liquidation succeeds only on an account liquidatable at validated prices";
    string internal constant INV_13_DOUBTED_PRICE =
        "INV-13: a doubted price liquidates only an account liquidatable at both of its bounds (issue 19, property 1)";
    string internal constant INV_13_LIVENESS =
        "INV-13: a liquidatable account with the chosen collateral is always liquidated when the liquidator takes all";
    string internal constant INV_14_HEALTHIER_OR_CLOSED =
        "INV-14: a liquidation leaves the account healthier, or its debt or the seized position closed";
    string internal constant INV_14_BONUS_BOUND =
        "INV-14: seized value <= repaid value x (1 + max bonus); the liquidator pays repay + fee, no more, no less";
    string internal constant INV_15_NO_DUST =
        "INV-15: after a liquidation an account owes nothing, or owes and holds each at least the dust minimum, or free reserves could not close its solvent remainder (issue 19, property 4)";
    string internal constant INV_06_PROVISION_KEPT =
        "INV-06: an account a liquidation leaves with debt keeps at least its shortfall booked as a provision (issue 19, property 2)";
    string internal constant INV_16_NO_DEBT_WITHOUT_COLLATERAL =
        "INV-16: no account keeps debt with no collateral; a write-off leaves neither";
    string internal constant INV_16_SOLVENT_NOT_WRITTEN_OFF =
        "INV-16: a solvent account (collateral value >= debt value) is not liquidated into bad debt beyond dust";
    string internal constant INV_16_BAD_DEBT_TOTAL = "INV-16: badDebt == sum of the write-offs the handler saw";
    string internal constant INV_27_ALWAYS_OPEN = "INV-27/35: repay and add-collateral are never refused";
    string internal constant INV_27_MAX_PAYS_NOW =
        "INV-27 (issue 19, P8): a withdraw within maxWithdraw, a redeem within maxRedeem, pays now: nothing is queued";
    string internal constant INV_27_ALWAYS_OPEN_TRIPPED =
        "INV-27: with every breaker tripped, any user can still repay, add collateral and (debt-free) withdraw it";
    string internal constant INV_25_LOSS_BOOKED_WHEN_STOPPED =
        "INV-25: flag books a certain loss whatever stops liquidations, the sequencer included (issue 19, property 3)";
    string internal constant INV_28_RAMP_STANDS_STILL =
        "INV-27/28: no penalty grows while liquidations are stopped: the time ramp counts only open seconds (issue 19, property 7)";
    string internal constant INV_28_LIQUIDATION_STOP =
        "INV-28: liquidations stop only at a FAILED price or inside the grace period after a resume";
    string internal constant INV_29_TRIP_NEUTRAL =
        "INV-29: tripping or resetting a breaker changes no balance, debt, index or health";
    string internal constant INV_30_CLAIMS_PAYABLE =
        "INV-30: a queued withdrawal is payable after its delay: owed <= queue balance, and a due claim pays";
    string internal constant INV_30_OUTFLOW_PER_SPAN =
        "INV-30 (issue 19, P9): in every span of one window, outflow paid at once less creditable inflow <= the limit";
    string internal constant INV_30_GUARDIAN_BOUNDED =
        "INV-30/31: no reset before the cooldown; the guardian's restriction lapses after its cooldown";
    string internal constant INV_38_RISK_RAMP =
        "INV-38: effective LTV <= threshold <= config, threshold >= config / 2, LTV target <= threshold target - gap; a threshold moves <= 1 pt/h down and 0.25 pt/h up, an LTV <= 0.5 pt/h up; a cap change moves no health in its block";
}
