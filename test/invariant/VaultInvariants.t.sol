// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {VaultFixture} from "../utils/VaultFixture.sol";
import {VaultHandler} from "./VaultHandler.sol";
import {BreakerHandler} from "./BreakerHandler.sol";
import {RiskHandler} from "./RiskHandler.sol";
import {SnapshotHandler} from "./SnapshotHandler.sol";
import {SolvencySnapshots} from "../../contracts/periphery/zk/SolvencySnapshots.sol";
import {Backstop} from "../../contracts/backstop/Backstop.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";

/// @notice The vault's system invariants, each a function named after its ID in InvariantsSpec, checked after
///         every call of random action sequences driven by VaultHandler (runs × depth set in hardhat.config.ts;
///         `npm run fuzz` raises them).
contract VaultInvariantTest is StdInvariant, Test, VaultFixture {
    VaultHandler internal handler;
    BreakerHandler internal breakerHandler;
    RiskHandler internal riskHandler;
    SnapshotHandler internal snapshotHandler;
    Backstop internal backstop;

    function setUp() public {
        _deployMarket();
        handler = new VaultHandler(vault, engine, usdc, collaterals, oracle, lens);
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

        _targetSnapshots();
        _linkBackstop();
    }

    /// @dev Stake the first-loss backstop holds at the start (issue 26): small against the handler's positions, so
    ///      runs reach both a loss the backstop covers and one past it that lenders bear.
    uint256 internal constant BACKSTOP_STAKE = 50_000e6;

    /// @dev The backstop (issue 26), staked once and linked: every provision, write-off and repayment of the suites
    ///      below runs the waterfall reserves → backstop → lenders.
    function _linkBackstop() internal {
        backstop = new Backstop(vault, "Backstop", "BS", address(this), 1 days, 1 days);
        usdc.mint(address(this), BACKSTOP_STAKE);
        usdc.approve(address(backstop), BACKSTOP_STAKE);
        backstop.deposit(BACKSTOP_STAKE, address(this));
        vault.linkBackstopAndShare(address(backstop), 0.2e18);
    }

    /// @dev The backstop's books and the vault's side of them: what it holds for provisions is what the vault counts,
    ///      never more than it holds idle, nor than the provisions; its cash is booked, never more than its balance;
    ///      and every unit it paid the vault or took back is in the vault's cash (INV-02's ghost, with it).
    function invariant_backstopBooks() public view {
        (, , uint256 earmarked, uint256 owed) = lens.backstop(vault);
        assertEq(earmarked, backstop.earmarked(), "the vault counts what the backstop holds");
        assertLe(backstop.earmarked(), backstop.idle(), "earmarked past idle");
        assertLe(backstop.idle(), usdc.balanceOf(address(backstop)), "backstop idle past its balance");
        // Nobody buys a share for less than it can be redeemed for: entries are priced at least at exits.
        assertGe(backstop.entryAssets(), backstop.totalAssets(), "entries priced below exits");
        assertLe(earmarked, lens.totalProvision(vault), "earmarked past the provisions");
        assertLe(owed, vault.badDebt(), "owed more than was written off");
    }

    /// @dev The ZK snapshot registry (issue 25): actors snapshot themselves and anyone syncs, so every invariant here
    ///      also holds with the registry reading the vault between any two actions.
    function _targetSnapshots() internal {
        snapshotHandler = new SnapshotHandler(handler, riskHandler, new SolvencySnapshots(vault));
        targetContract(address(snapshotHandler));
        bytes4[] memory snapshotSelectors = new bytes4[](2);
        snapshotSelectors[0] = SnapshotHandler.snapshot.selector;
        snapshotSelectors[1] = SnapshotHandler.sync.selector;
        targetSelector(FuzzSelector({addr: address(snapshotHandler), selectors: snapshotSelectors}));
    }

    /// @dev The snapshot registry only reads: it holds no tokens, its tree never runs ahead of its snapshots, and
    ///      every snapshot recorded exactly what the views said (SnapshotHandler's post-conditions).
    function invariant_snapshotRegistryOnlyReads() public view {
        assertEq(bytes(snapshotHandler.violation()).length, 0, snapshotHandler.violation());
        SolvencySnapshots registry = snapshotHandler.registry();
        assertEq(usdc.balanceOf(address(registry)), 0, "the registry holds base");
        for (uint256 i; i < collaterals.length; ++i) {
            assertEq(collaterals[i].balanceOf(address(registry)), 0, "the registry holds collateral");
        }
        assertLe(registry.synced(), registry.size(), "synced past the snapshots");
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

    function invariant_INV01_debtSum() public view {
        address[] memory accounts = handler.actors();
        uint256 sum;
        for (uint256 i; i < accounts.length; ++i) sum += vault.debtOf(accounts[i]);
        uint256 total = vault.totalDebt();
        assertGe(sum, total, InvariantsSpec.INV_01_DEBT_SUM);
        assertLe(sum, total + accounts.length, InvariantsSpec.INV_01_DEBT_SUM);
    }

    /// @dev Every lender share is held by someone the suite knows: the actors, or the withdrawal queue and the vault
    ///      (neither should hold any; counted so that a share parked there is still accounted for). Shares move only
    ///      through `_update`, which moves a balance and the supply together: no mint without a holder, no burn
    ///      without one.
    function invariant_INV01_shareSum() public view {
        assertEq(_sharesHeld(handler.actors()), vault.totalSupply(), InvariantsSpec.INV_01_SHARE_SUM);
    }

    /// @dev Net principal borrowed never exceeds net supplied: the vault's booked cash equals an independent ghost
    ///      model of every base-asset flow (and cash is unsigned). Checked against the ghost, not against totalAssets,
    ///      which is defined from cash and debt and would make the comparison a tautology.
    function invariant_INV02_borrowedWithinSupplied() public view {
        // The backstop's net payments to the vault (write-offs it paid less what it took back) are base in too: its
        // idle cash changes only by them after the one stake.
        assertEq(
            vault.cash() + backstop.idle(),
            handler.ghostBaseIn() - handler.ghostBaseOut() + BACKSTOP_STAKE,
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
        (, , uint256 earmarked, ) = lens.backstop(vault);
        // What the backstop holds for provisions stands in for reserves (issue 26).
        uint256 uncovered = provision - earmarked;
        uint256 held = (reserves > uncovered ? reserves : uncovered) + lens.gainsHeldBack(vault);
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
