// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {VaultFixture} from "../utils/VaultFixture.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {RiskHandler} from "./RiskHandler.sol";
import {SnapshotHandler} from "./SnapshotHandler.sol";
import {SolvencySnapshots} from "../../contracts/periphery/zk/SolvencySnapshots.sol";
import {Backstop} from "../../contracts/backstop/Backstop.sol";

/// @notice The states the invariant suites must reach, reached on purpose through VaultHandler's own actions (issue 19:
///         doubted prices, stopped liquidations, full caps, dust remainders), each with the handler's counter that the
///         random runs raise too. Kept apart from VaultInvariants.t.sol so the suites that inherit it (the replays of
///         `npm run fuzz`, BreakerInvariantTest) do not compile and run these again.
contract HandlerReachTest is Test, VaultFixture {
    VaultHandler internal handler;

    function setUp() public {
        _deployMarket();
        handler = new VaultHandler(vault, engine, usdc, collaterals, oracle, lens);
    }

    /// @dev The handler reaches the states of properties 3 and 7 (issue 19): an account flagged while the sequencer
    ///      stops liquidations, then liquidated after a day-long outage at health 0.956 (where the time ramp, not
    ///      health, sets the bonus) with the ramp counted from the restart, not from the flag; and an insolvent one
    ///      whose loss is booked during an outage. The random runs reach them through `setSequencer`, `warp` and the
    ///      breaker handler's pokes (counted in `flagsWhileStopped` and `liquidationsAcrossStops`).
    function test_handlerReachesStoppedLiquidations() public {
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH ($3,000, threshold 85%)
        handler.borrow(1, 23_999_000_001); // health 1.0626
        handler.movePrice(3, 9_000); // WETH $2,700: health 0.956
        handler.setSequencer(true);
        handler.flag(1);
        assertEq(handler.flagsWhileStopped(), 1, "flagged while the sequencer was down");
        handler.warp(1 days);
        handler.setSequencer(false);
        handler.warp(60);
        handler.liquidate(1, 1, 1, 0, true);
        assertEq(handler.liquidationsAcrossStops(), 1, "liquidated after the outage, the ramp counted from its end");

        handler.depositCollateral(2, 0, 10e18); // actor 2: 10 WETH ($27,000)
        handler.borrow(2, 21_599_000_000);
        handler.setSequencer(true);
        handler.movePrice(3, 7_000); // WETH $1,890: $18,900 against $21,599 owed
        handler.flag(2);
        assertEq(handler.flagsWhileStopped(), 2, "flagged while the sequencer was down");
        assertGt(lens.provisionOf(vault, handler.actors()[2]), 0, "its loss booked while liquidations were stopped");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The handler reaches property 4's state (issue 19): a full close of 10 WETH at the maximum bonus leaves
    ///      about $49 owed against $120 of WBTC, and the same transaction closes it (counted in `remaindersClosed`;
    ///      `remaindersLeft` counts the documented exception, a remainder free reserves cannot pay).
    function test_handlerReachesDustRemainders() public {
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH
        handler.depositCollateral(1, 1, 200_000); // and 0.002 WBTC ($120)
        handler.borrow(1, 19_097e6);
        handler.movePrice(3, 7_000); // WETH $2,100
        handler.movePrice(3, 9_524); // WETH $2,000.04: health 0.895, below the full-close health
        handler.liquidate(1, 1, 3, 0, true);
        assertEq(vault.debtOf(handler.actors()[1]), 0, "no remainder left");
        assertEq(handler.remaindersClosed(), 1, "the dust remainder was closed in the same transaction");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The handler reaches property 2's state (issue 19): a liquidation that takes all of one collateral and
    ///      leaves the account insolvent, whose shortfall must stay booked (checked in `_checkProvisionKept`, counted in
    ///      `insolventAfterLiquidation`). 10 WETH and 0.1 WBTC ($6,000) owing 28,000; WETH falls to $2,100.
    function test_handlerReachesInsolventPartialLiquidations() public {
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH
        handler.depositCollateral(1, 1, 10_000_000); // and 0.1 WBTC ($6,000)
        handler.borrow(1, 28_000e6);
        handler.movePrice(3, 7_000); // WETH $2,100: $27,000 of collateral for 28,000 owed
        handler.liquidate(1, 1, 3, 0, true); // all the WETH goes; about 7,000 owed against $6,000 of WBTC
        address account = handler.actors()[1];
        assertEq(vault.collateralOf(account, address(weth)), 0, "all of its WETH was seized");
        assertGt(vault.debtOf(account), 0, "debt left");
        assertEq(handler.insolventAfterLiquidation(), 1, "left insolvent, its shortfall checked as booked");
        assertGt(lens.provisionOf(vault, account), 0, "the shortfall is booked");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The handler reaches the backstop's states (issue 26), as the invariant suites link one: a provision past
    ///      reserves it earmarks cash for (the share price does not move), then a write-off it pays in the same
    ///      transaction, past its stake, so lenders bear the rest. 10 WETH and 0.1 WBTC owing 28,000; WETH falls to
    ///      $2,100, then to $30, and the liquidation of its last collateral writes the rest off.
    function test_handlerReachesTheBackstop() public {
        Backstop backstop = new Backstop(vault, "Backstop", "BS", address(this), 1 days, 1 days);
        usdc.mint(address(this), 2_000e6);
        usdc.approve(address(backstop), 2_000e6);
        backstop.deposit(2_000e6, address(this));
        vault.linkBackstopAndShare(address(backstop), 0.2e18);
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH
        handler.depositCollateral(1, 1, 10_000_000); // and 0.1 WBTC ($6,000)
        handler.borrow(1, 28_000e6);
        handler.movePrice(3, 7_000); // WETH $2,100: $27,000 of collateral for 28,000 owed
        uint256 assetsBefore = vault.totalAssets();
        handler.flag(1);
        assertGt(backstop.earmarked(), 0, "the backstop holds cash for the provision past reserves");
        assertEq(vault.totalAssets(), assetsBefore, "and lenders' value did not move");
        for (uint256 i; i < 10; ++i) handler.movePrice(3, 7_000); // WETH at its floor, $30
        handler.movePrice(4, 7_000);
        handler.movePrice(4, 7_000); // WBTC $29,400
        handler.liquidate(1, 1, 4, 0, true); // the WBTC goes
        handler.liquidate(1, 1, 3, 0, true); // and the WETH, its last collateral: the rest is written off with it
        address account = handler.actors()[1];
        assertEq(vault.debtOf(account), 0, "written off");
        (, , , uint256 owed) = lens.backstop(vault);
        assertEq(owed, 2_000e6, "the backstop paid its whole stake in the write-off");
        assertGt(lens.unrecoveredLoss(vault), 0, "lenders bore the rest");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The handler reaches property 6's states (issue 19): a cap moved to what is deposited, an indebted
    ///      account's top-up past it accepted, a debt-free account's refused. The random runs reach them through
    ///      `setSupplyCap` and `depositCollateral` (counted in `topUpsPastCap` and `capRefusals`).
    function test_handlerReachesFullCaps() public {
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18);
        handler.borrow(1, 10_000e6);
        handler.depositCollateral(2, 0, 10e18);
        handler.setSupplyCap(0, 5_000); // WETH capped at 10, 20 deposited
        handler.depositCollateral(1, 0, 1e18);
        assertEq(handler.topUpsPastCap(), 1, "the indebted account topped up past the cap");
        handler.depositCollateral(2, 0, 1e18);
        assertEq(handler.capRefusals(), 1, "the account without debt was held to the cap");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The handler reaches INV-13's doubted-price states (issue 19, property 1): with WETH DEGRADED between
    ///      $2,700 and $3,300, an account unhealthy only at the low bound is refused; once both bounds are below its
    ///      liquidation point, it is liquidated under the doubt. The random runs reach the same states through
    ///      `setPriceStatus`, `movePrice` and `crash` (counted in `doubtedRefusals` and `doubtedLiquidations`).
    function test_handlerReachesDoubtedPriceLiquidations() public {
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH ($3,000, threshold 85%)
        handler.borrow(1, 23_999_000_001); // just under the 80% LTV: health 1.0626
        assertGt(vault.debtOf(handler.actors()[1]), 0, "the position opened");
        handler.setPriceStatus(3, 2); // WETH DEGRADED: $2,700 .. $3,300
        handler.liquidate(1, 1, 1, 0, true);
        assertEq(handler.doubtedRefusals(), 1, "refused: liquidatable only at the doubt's low bound");
        handler.movePrice(3, 8_000); // WETH $2,400 DEGRADED: $2,160 .. $2,640, unhealthy at both bounds
        handler.liquidate(1, 1, 1, 0, true);
        assertEq(handler.doubtedLiquidations(), 1, "liquidated under the doubt, at the bound that favours it");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The handler reaches INV-06's no-instant-gain check where it matters (issue 19, property 2): a loss booked
    ///      and then released in the same second, when the price recovers, must not lift the share price at once (the
    ///      release is held back, so a deposit before it and a redemption after it would gain nothing), and the deposit
    ///      after it rounds in the vault's favour: the rise the check allows. The random runs reach such steps through
    ///      every action between two `warp`s (counted in `priceRisesWithoutTime`).
    function test_handlerReachesReleasedProvisionWithoutTime() public {
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH ($30,000, threshold 85%)
        handler.borrow(1, 23_999_000_001);
        handler.movePrice(3, 7_000); // WETH $2,100: $21,000 of collateral against $24,000 owed
        handler.flag(1);
        address account = handler.actors()[1];
        assertGt(lens.provisionOf(vault, account), 0, "the certain loss is booked");
        uint256 assetsBooked = vault.totalAssets();
        handler.movePrice(3, 13_000);
        handler.movePrice(3, 13_000); // WETH $3,549: healthy again
        uint256 rises = handler.priceRisesWithoutTime();
        handler.unflag(1);
        assertEq(lens.provisionOf(vault, account), 0, "the provision is released");
        assertEq(vault.totalAssets(), assetsBooked, "and held back: the share price has not moved");
        assertEq(handler.priceRisesWithoutTime(), rises, "no rise at the release");
        handler.deposit(2, 333_333_333_333);
        assertEq(handler.priceRisesWithoutTime(), rises + 1, "the deposit's rounding: a rise the check allowed");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }

    /// @dev The snapshot handler (issue 25) reaches each of its outcomes through its own actions: a snapshot taken
    ///      (checked against the views and the circuit's hash by the handler), snapshots refused for a second identity,
    ///      for another's, for no debt, within the interval and for a doubted price, and a sync. The random runs of
    ///      VaultInvariantTest raise the same counters.
    function test_snapshotHandlerReachesEveryOutcome() public {
        RiskHandler riskHandler = new RiskHandler(vault, handler);
        vault.setRiskModules(address(riskHandler), address(0));
        SnapshotHandler snapshots = new SnapshotHandler(handler, riskHandler, new SolvencySnapshots(vault));
        handler.deposit(0, 1_000_000e6);
        handler.depositCollateral(1, 0, 10e18); // actor 1: 10 WETH ($30,000)
        handler.borrow(1, 10_000e6);
        handler.depositCollateral(2, 0, 10e18); // actor 2: the same
        handler.borrow(2, 10_000e6);
        snapshots.snapshot(1, 7);
        assertEq(snapshots.taken(), 1, "a snapshot taken");
        snapshots.snapshot(1, 16); // idSeed % 16 == 0: a second identity for actor 1, refused
        snapshots.snapshot(2, 9); // actor 2's own identity
        snapshots.snapshot(1, 32); // actor 2's identity for actor 1: taken, refused
        assertEq(snapshots.refusedIdentity(), 2, "refused: a second identity, another's");
        snapshots.snapshot(3, 8); // actor 3 has no debt
        assertEq(snapshots.refusedNoDebt(), 1, "refused without debt");
        snapshots.snapshot(1, 9); // actor 1 again within 15 minutes
        assertEq(snapshots.refusedTooSoon(), 1, "refused within the interval");
        handler.warp(15 minutes);
        handler.setPriceStatus(3, 2); // WETH DEGRADED
        snapshots.snapshot(1, 9);
        assertEq(snapshots.refusedPrice(), 1, "refused at a doubted price");
        snapshots.sync(0);
        assertEq(snapshots.syncs(), 1, "synced");
        assertEq(snapshots.registry().synced(), 2, "actor 1's and actor 2's leaves");
        assertEq(bytes(snapshots.violation()).length, 0, snapshots.violation());
    }
}
