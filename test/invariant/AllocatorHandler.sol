// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {Backstop} from "../../contracts/backstop/Backstop.sol";
import {BackstopAllocator} from "../../contracts/backstop/BackstopAllocator.sol";
import {CircuitBreaker} from "../../contracts/core/CircuitBreaker.sol";
import {StressedVenue} from "../doubles/StressedVenue.sol";

/// @notice Drives the backstop's allocator as a compromised agent would (issue 26): the handler holds the agent key
///         and calls with any venue (two allowed, one never allowed) and any amount, while stakers come and go, venues
///         lose value, pause, lend out their cash or quote more than they hold, time passes, and the guardian and
///         governance freeze and unfreeze. It records what the invariants check: every successful agent move, whether
///         a deposit broke a cap or the idle floor, and any agent call that succeeded while frozen.
contract AllocatorHandler is CommonBase, StdCheats, StdUtils {
    Backstop public immutable backstop;
    BackstopAllocator public immutable allocator;
    MockERC20 public immutable usdc;
    CircuitBreaker public immutable breaker;
    StressedVenue[3] public venues; // [0], [1] allowed; [2] never
    address[3] public stakers;

    uint256 public constant CAP = 40_000e6;
    uint256 public constant DEPOSIT_CAPACITY = 20_000e6;
    uint256 public constant WITHDRAW_CAPACITY = 25_000e6;
    uint256 public constant PERIOD = 1 days;

    struct Move {
        uint256 venue;
        uint256 at;
        uint256 amount;
    }

    Move[] internal _deposits;
    Move[] internal _withdrawals;
    uint256 public minted;
    uint256 public capBreaches;
    uint256 public floorBreaches;
    uint256 public frozenSuccesses;
    // Reach counters.
    uint256 public allocations;
    uint256 public deallocations;
    uint256 public recalls;
    uint256 public refusedAllocations;
    uint256 public frozenRefusals;
    uint256 public exitsFromVenues;
    uint256 public markdowns;

    constructor(Backstop backstop_, BackstopAllocator allocator_, MockERC20 usdc_, CircuitBreaker breaker_) {
        (backstop, allocator, usdc, breaker) = (backstop_, allocator_, usdc_, breaker_);
        for (uint256 i; i < 3; ++i) {
            venues[i] = new StressedVenue(usdc_);
            address staker = makeAddr(string.concat("staker", vm.toString(i)));
            stakers[i] = staker;
            vm.prank(staker);
            usdc_.approve(address(backstop_), type(uint256).max);
        }
    }

    function depositMoves() external view returns (Move[] memory) {
        return _deposits;
    }

    function withdrawalMoves() external view returns (Move[] memory) {
        return _withdrawals;
    }

    // ----------------------------------------------------------------- the compromised agent

    function allocate(uint256 venueSeed, uint256 amount) external {
        uint256 v = venueSeed % 3;
        amount = bound(amount, 1, 60_000e6);
        bool wasFrozen = allocator.frozen();
        try allocator.allocate(address(venues[v]), amount) {
            if (wasFrozen) frozenSuccesses++;
            allocations++;
            _deposits.push(Move(v, block.timestamp, amount));
            (uint256 worth, ) = backstop.venueValue(address(venues[v]));
            if (worth > CAP + 1) capBreaches++;
            uint256 floor = (backstop.totalAssets() * allocator.minIdleShare()) / 1e18;
            if (backstop.idle() - backstop.earmarked() + 1 < floor) floorBreaches++;
        } catch {
            if (wasFrozen) frozenRefusals++;
            else refusedAllocations++;
        }
    }

    function deallocate(uint256 venueSeed, uint256 amount) external {
        uint256 v = venueSeed % 3;
        amount = bound(amount, 1, 60_000e6);
        bool wasFrozen = allocator.frozen();
        try allocator.deallocate(address(venues[v]), amount) {
            if (wasFrozen) frozenSuccesses++;
            deallocations++;
            _withdrawals.push(Move(v, block.timestamp, amount));
        } catch {
            if (wasFrozen) frozenRefusals++;
        }
    }

    /// @notice Anyone's recall.
    function recall(uint256 venueSeed) external {
        try allocator.recall(address(venues[venueSeed % 3])) {
            recalls++;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    // ----------------------------------------------------------------- stakers

    function stake(uint256 who, uint256 amount) external {
        address staker = stakers[who % 3];
        amount = bound(amount, 1e6, 50_000e6);
        usdc.mint(staker, amount);
        minted += amount;
        vm.prank(staker);
        try backstop.deposit(amount, staker) {} catch {} // solhint-disable-line no-empty-blocks
    }

    function requestUnstake(uint256 who) external {
        address staker = stakers[who % 3];
        uint256 shares = backstop.balanceOf(staker);
        if (shares == 0) return;
        vm.prank(staker);
        backstop.requestUnstake(shares);
    }

    function exit(uint256 who, uint256 share) external {
        address staker = stakers[who % 3];
        uint256 most = backstop.maxRedeem(staker);
        if (most == 0) return;
        uint256 shares = bound(share, 1, most);
        (uint256 inVenues, ) = backstop.venuesValue();
        vm.prank(staker);
        try backstop.redeem(shares, staker, staker) {
            (uint256 left, ) = backstop.venuesValue();
            if (left < inVenues) exitsFromVenues++;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    // ----------------------------------------------------------------- the world

    function lose(uint256 venueSeed, uint256 shareWad) external {
        venues[venueSeed % 3].lose(bound(shareWad, 0.01e18, 0.6e18));
        markdowns++;
    }

    function pause(uint256 venueSeed, bool paused) external {
        venues[venueSeed % 3].setPaused(paused);
    }

    function lend(uint256 venueSeed, uint256 share) external {
        StressedVenue venue = venues[venueSeed % 3];
        uint256 cash = usdc.balanceOf(address(venue));
        venue.lend((cash * bound(share, 0, 1e18)) / 1e18);
    }

    function freeze() external {
        vm.prank(breaker.guardian());
        allocator.freeze();
    }

    function unfreeze() external {
        vm.prank(allocator.owner());
        allocator.unfreeze();
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 days));
    }
}
