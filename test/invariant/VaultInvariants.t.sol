// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {VaultFixture} from "../utils/VaultFixture.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {BreakerHandler} from "./BreakerHandler.sol";
import {RiskHandler} from "./RiskHandler.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";

/// @notice The vault's system invariants, each a function named after its ID in InvariantsSpec, checked after
///         every call of random action sequences driven by VaultHandler (runs × depth set in hardhat.config.ts;
///         `npm run fuzz` raises them).
contract VaultInvariantTest is StdInvariant, Test, VaultFixture {
    VaultHandler internal handler;
    BreakerHandler internal breakerHandler;
    RiskHandler internal riskHandler;

    function setUp() public {
        _deployMarket();
        handler = new VaultHandler(vault, engine, usdc, collaterals, oracle);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](23);
        selectors[0] = VaultHandler.deposit.selector;
        selectors[1] = VaultHandler.mint.selector;
        selectors[2] = VaultHandler.withdraw.selector;
        selectors[3] = VaultHandler.redeem.selector;
        selectors[4] = VaultHandler.roundTrip.selector;
        selectors[5] = VaultHandler.depositCollateral.selector;
        selectors[6] = VaultHandler.depositCollateral.selector; // twice: positions need collateral to borrow
        selectors[7] = VaultHandler.withdrawCollateral.selector;
        selectors[8] = VaultHandler.borrow.selector;
        selectors[9] = VaultHandler.repay.selector;
        selectors[10] = VaultHandler.movePrice.selector;
        selectors[11] = VaultHandler.warp.selector;
        selectors[12] = VaultHandler.depositCollateral.selector; // (donations are in BreakerHandler)
        selectors[13] = VaultHandler.setPriceStatus.selector;
        selectors[14] = VaultHandler.liquidate.selector;
        selectors[15] = VaultHandler.liquidate.selector; // twice: crashes leave many accounts to liquidate
        selectors[16] = VaultHandler.crash.selector;
        selectors[17] = VaultHandler.flag.selector;
        selectors[18] = VaultHandler.unflag.selector;
        selectors[19] = VaultHandler.writeOff.selector;
        selectors[20] = VaultHandler.borrow.selector; // twice: open positions to liquidate
        selectors[21] = VaultHandler.setSequencer.selector;
        selectors[22] = VaultHandler.setSupplyCap.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));

        // Breaker actions: pokes, claims and donations here; `BreakerInvariantTest` adds the guardian and "trip
        // everything", which stop borrows for hours and would starve this suite of positions to liquidate.
        breakerHandler = new BreakerHandler(vault, breaker, queue, handler);
        breaker.setGuardian(address(breakerHandler));
        targetContract(address(breakerHandler));
        bytes4[] memory breakerSelectors = _breakerSelectors();
        targetSelector(FuzzSelector({addr: address(breakerHandler), selectors: breakerSelectors}));

        // The risk manager: random valid caps, deep cuts and restores, against the vault's own ramp bounds.
        riskHandler = new RiskHandler(vault, handler);
        vault.setRiskModules(address(riskHandler), address(0));
        targetContract(address(riskHandler));
        bytes4[] memory riskSelectors = new bytes4[](2);
        riskSelectors[0] = RiskHandler.setCaps.selector;
        riskSelectors[1] = RiskHandler.clearCaps.selector;
        targetSelector(FuzzSelector({addr: address(riskHandler), selectors: riskSelectors}));
    }

    /// @dev INV-38: the risk manager's post-conditions (no health moves in the block of a cap change), and every
    ///      collateral's effective parameters against the ramp bounds since the handler's last snapshot.
    function invariant_INV38_riskRamp() public view {
        string memory violation = riskHandler.violation();
        assertEq(bytes(violation).length, 0, violation);
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < assets.length; ++i) {
            assertEq(riskHandler.rampViolation(assets[i]), 0, InvariantsSpec.INV_38_RISK_RAMP);
        }
    }

    function _breakerSelectors() internal pure virtual returns (bytes4[] memory selectors) {
        selectors = new bytes4[](5);
        selectors[0] = BreakerHandler.poke.selector;
        selectors[1] = BreakerHandler.poke.selector;
        selectors[2] = BreakerHandler.claim.selector;
        selectors[3] = BreakerHandler.claim.selector;
        selectors[4] = BreakerHandler.donate.selector;
    }

    /// @dev The breaker handler's post-conditions (INV-27 with everything tripped, INV-28 the guardian cannot stop
    ///      liquidations, INV-29 trips and resets move no books, INV-30 cooldowns hold and due claims pay).
    function invariant_breakerPostConditions() public view {
        string memory violation = breakerHandler.violation();
        assertEq(bytes(violation).length, 0, violation);
    }

    /// @dev Every queued withdrawal is backed by tokens the queue holds, per asset.
    function invariant_INV30_queueBacked() public view {
        assertLe(queue.owed(address(usdc)), usdc.balanceOf(address(queue)), InvariantsSpec.INV_30_CLAIMS_PAYABLE);
        MockERC20[] memory tokens = handler.collaterals();
        for (uint256 t; t < tokens.length; ++t) {
            assertLe(
                queue.owed(address(tokens[t])),
                tokens[t].balanceOf(address(queue)),
                InvariantsSpec.INV_30_CLAIMS_PAYABLE
            );
        }
    }

    /// @dev Liquidations are stopped on an entry only while it holds an ORACLE_FAILED trip.
    function invariant_INV28_liquidationsStopOnlyAtFailedPrice() public view {
        MockERC20[] memory tokens = handler.collaterals();
        for (uint256 t; t <= tokens.length; ++t) {
            address asset = t == tokens.length ? address(usdc) : address(tokens[t]);
            uint16 reasons = breaker.entry(asset).reasons;
            bool stopped = breaker.entry(asset).actionMask & breaker.LIQUIDATE() != 0;
            bool failedTrip = reasons & (1 << 2) != 0; // Reason.ORACLE_FAILED
            assertEq(stopped, failedTrip, InvariantsSpec.INV_28_LIQUIDATION_STOP);
        }
        assertEq(breaker.entry(address(0)).actionMask & breaker.LIQUIDATE(), 0, InvariantsSpec.INV_28_LIQUIDATION_STOP);
    }

    /// @dev Post-conditions checked inside the handler (INV-06, INV-07, INV-09, INV-11/12, INV-12/22 doubted prices,
    ///      INV-13 liquidations only of liquidatable accounts and always of those, INV-14 healthier or closed and
    ///      within the bonus, INV-16 write-offs leave nothing, INV-27/35 repay and add-collateral always open)
    ///      recorded no violation.
    function invariant_handlerPostConditions() public view {
        string memory violation = handler.violation();
        assertEq(bytes(violation).length, 0, violation);
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

    function invariant_INV01_debtSum() public view {
        address[] memory accounts = handler.actors();
        uint256 sum;
        for (uint256 i; i < accounts.length; ++i) sum += vault.debtOf(accounts[i]);
        uint256 total = vault.totalDebt();
        assertGe(sum, total, InvariantsSpec.INV_01_DEBT_SUM);
        assertLe(sum, total + accounts.length, InvariantsSpec.INV_01_DEBT_SUM);
    }

    /// @dev Net principal borrowed never exceeds net supplied: the vault's booked cash equals an independent ghost
    ///      model of every base-asset flow (and cash is unsigned). Checked against the ghost, not against totalAssets,
    ///      which is defined from cash and debt and would make the comparison a tautology.
    function invariant_INV02_borrowedWithinSupplied() public view {
        assertEq(
            vault.cash(),
            handler.ghostBaseIn() - handler.ghostBaseOut(),
            InvariantsSpec.INV_02_BORROWED_LE_SUPPLIED
        );
    }

    function invariant_INV03_baseBacked() public view {
        assertGe(usdc.balanceOf(address(vault)), vault.cash(), InvariantsSpec.INV_03_BASE_BACKED);
    }

    function invariant_INV03_collateralBacked() public view {
        MockERC20[] memory tokens = handler.collaterals();
        address[] memory accounts = handler.actors();
        for (uint256 t; t < tokens.length; ++t) {
            address token = address(tokens[t]);
            (, , uint256 totalDeposited) = lens.collateralInfo(vault, token);
            uint256 sum;
            for (uint256 a; a < accounts.length; ++a) sum += vault.collateralOf(accounts[a], token);
            assertEq(sum, totalDeposited, InvariantsSpec.INV_03_COLLATERAL_BACKED);
            assertGe(tokens[t].balanceOf(address(vault)), totalDeposited, InvariantsSpec.INV_03_COLLATERAL_BACKED);
            uint256 owned = lens.protocolCollateral(vault, token);
            assertGe(
                tokens[t].balanceOf(address(vault)),
                totalDeposited + owned,
                InvariantsSpec.INV_03_COLLATERAL_BACKED
            );
            // Collateral leaves only by withdrawal or seizure; a write-off moves the dust to the protocol.
            assertEq(
                totalDeposited + owned,
                handler.ghostCollateralIn(token) - handler.ghostCollateralOut(token),
                InvariantsSpec.INV_03_GHOST_COLLATERAL_SWEPT
            );
        }
    }

    function invariant_INV04_totalAssetsIdentity() public view {
        uint256 reserves = vault.reserves();
        uint256 provision = lens.totalProvision(vault);
        uint256 held = reserves > provision ? reserves : provision;
        uint256 gross = vault.cash() + vault.totalDebt();
        assertEq(vault.totalAssets(), gross > held ? gross - held : 0, InvariantsSpec.INV_04_TOTAL_ASSETS);
    }

    /// @dev No account keeps debt with no collateral at all: the liquidation that takes its last collateral writes
    ///      the rest off in the same transaction.
    function invariant_INV16_noDebtWithoutCollateral() public view {
        address[] memory accounts = handler.actors();
        for (uint256 i; i < accounts.length; ++i) {
            if (vault.debtOf(accounts[i]) != 0) {
                assertTrue(handler.holdsCollateral(accounts[i]), InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL);
            }
        }
    }

    /// @dev Bad debt grows only through write-offs, each seen and summed by the handler.
    function invariant_INV16_badDebtAccounted() public view {
        assertEq(vault.badDebt(), handler.ghostBadDebt(), InvariantsSpec.INV_16_BAD_DEBT_TOTAL);
    }

    function invariant_INV10_accrualNotInFuture() public view {
        assertLe(lens.lastAccrual(vault), block.timestamp, InvariantsSpec.INV_10_ACCRUAL_TIME);
    }
}
