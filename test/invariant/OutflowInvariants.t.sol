// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {VaultFixture} from "../utils/VaultFixture.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";
import {OutflowHandler} from "./OutflowHandler.sol";

/// @notice Issue 19, property 9 as a system invariant: in every span of one window length, what the vault pays out at
///         once (lenders' exits, borrows, collateral withdrawals) less what came in where it could be credited stays
///         within the outflow limit, whatever the timing, split, share transfers or same-block loops (see
///         OutflowHandler for the bound and why it is independent of the breaker's own counters). A suite of its own:
///         the bound needs every limited flow in the ghost, so no other handler may move the vault here.
contract OutflowInvariantTest is StdInvariant, Test, VaultFixture {
    OutflowHandler internal handler;

    function setUp() public {
        _deployMarket();
        vm.warp(30 days); // spans look back 2.5 windows
        handler = new OutflowHandler(vault, breaker, lens, weth);
        handler.deposit(0, 2_000_000e6);
        handler.depositCollateral(1, 1_000e18);
        handler.depositCollateral(2, 500e18);
        handler.step(6 hours); // 12 hours: the deposits' credit has lapsed, so exits draw on the limit (the bound
        handler.step(6 hours); // credits an inflow for up to 1.5 windows)

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = OutflowHandler.deposit.selector;
        selectors[1] = OutflowHandler.depositCollateral.selector;
        selectors[2] = OutflowHandler.repay.selector;
        selectors[3] = OutflowHandler.withdraw.selector;
        selectors[4] = OutflowHandler.withdraw.selector;
        selectors[5] = OutflowHandler.withdraw.selector;
        selectors[6] = OutflowHandler.borrow.selector;
        selectors[7] = OutflowHandler.borrow.selector;
        selectors[8] = OutflowHandler.withdrawCollateral.selector;
        selectors[9] = OutflowHandler.withdrawCollateral.selector;
        selectors[10] = OutflowHandler.flashLoop.selector;
        selectors[11] = OutflowHandler.transferShares.selector;
        selectors[12] = OutflowHandler.poke.selector;
        selectors[13] = OutflowHandler.step.selector;
        selectors[14] = OutflowHandler.step.selector;
        selectors[15] = OutflowHandler.step.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev INV-30 `OUTFLOW_PER_SPAN`, checked by the handler at every paid outflow for the span ending with it.
    function invariant_INV30_outflowPerSpan() public view {
        string memory violation = handler.violation();
        assertEq(bytes(violation).length, 0, violation);
    }

    /// @dev INV-01 `SHARE_SUM` where shares also move between holders (`transferShares`, with the credit they carry):
    ///      every share is held by an actor (or the queue or the vault, which should hold none).
    function invariant_INV01_shareSum() public view {
        assertEq(_sharesHeld(handler.actors()), vault.totalSupply(), InvariantsSpec.INV_01_SHARE_SUM);
    }

    /// @dev The handler reaches the limit where the review broke it (a burst at the end of one bucket, another in
    ///      the next) and sees it hold: the second burst is refused, the span that holds the first comes within 10%
    ///      of the bound, and once the first is 1.5 windows old a full limit of what is left pays again.
    function test_handlerReachesTheLimitAcrossBuckets() public {
        handler.withdraw(0, 500_000e6, false); // the whole limit: 25% of $2M
        assertEq(handler.refused(), 0, "a full limit pays");
        assertEq(handler.spansNearBound(), 1, "that span is at the bound");
        handler.step(3 hours); // the next bucket
        handler.withdraw(0, 1e6, false);
        handler.borrow(1, 1e6);
        handler.withdraw(0, 1e6, true); // the queued exit: nothing paid now
        assertEq(handler.refused(), 2, "nothing more within a window of the burst");
        assertEq(handler.queued(), 1, "the explicit queued exit queues");
        handler.step(6 hours); // 1.5 windows since the burst: out of the count
        handler.poke(true); // the OUTFLOW trip the queued exit set off resets
        handler.withdraw(0, 374_000e6, false);
        assertEq(handler.refused(), 2, "a full limit of what is left pays again");
        assertEq(bytes(handler.violation()).length, 0, handler.violation());
    }
}
