// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {CircuitBreaker} from "../../contracts/core/CircuitBreaker.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";

/// @notice Every flow the circuit breaker limits, at the timings that test a rolling window: deposits, mints,
///         ERC-4626 exits, queued exits, borrows, repays, collateral in and out, share transfers (which carry credit),
///         a deposit and exit inside one block (a flash loan), and time steps of up to one window, so bursts land at
///         the ends and starts of buckets. Each action is a block of its own.
/// @dev Issue 19, property 9, as a system invariant (INV-30 `OUTFLOW_PER_SPAN`): over every span of one window
///      length, what the vault paid out at once (queued claims, paid after the delay, are the slow path and do not
///      count) less what came in where it could be credited (the span and the bucket before it) stays within the
///      limit. The limit is bounded from outside, from what this handler saw and not from the breaker's counters:
///      `share` × (the largest block-opening balance within 1.5 windows before the span or in it, plus every outflow
///      paid in that time, which bounds what earlier buckets still carry). The breaker's own base is never larger,
///      so an admitted span above this bound is a real breach (the fading counter this replaced let 1.75 limits out).
///      Checked at every paid outflow for the span that ends with it: a span's worst case always ends at an outflow.
contract OutflowHandler is CommonBase, StdCheats, StdUtils {
    struct Flow {
        uint64 time;
        bool out;
        uint256 amount;
    }

    error NotSelf(address caller);
    /// @dev The bound uses one share and window for both assets; the fixture gives both the same.
    error TwoOutflowPolicies();

    /// @dev Slack for rounding per flow in a span (base units; conversions round by at most one unit each).
    uint256 internal constant ROUNDING = 2;

    CollateralVault public immutable vault;
    CircuitBreaker public immutable breaker;
    VaultLens public immutable lens;
    MockERC20 public immutable usdc;
    MockERC20 public immutable weth;
    uint256 public immutable share;
    uint256 public immutable window;

    address[] internal _actors;
    mapping(address token => Flow[]) internal _flows;
    /// @dev Each block's opening balance the breaker could have seen: the balance before its first limited flow.
    mapping(address token => Flow[]) internal _openings;
    mapping(address token => uint256) internal _openedBlock;

    string public violation;
    mapping(bytes32 action => uint256) public calls;
    /// @notice Reach: exits and borrows the limit refused or queued, spans checked, and spans whose net outflow came
    ///         within 10% of the share of the largest opening balance, i.e. of the limit itself (the limit, not only
    ///         ordinary traffic, was tested).
    uint256 public refused;
    uint256 public queued;
    uint256 public spansChecked;
    uint256 public spansNearBound;

    constructor(CollateralVault vault_, CircuitBreaker breaker_, VaultLens lens_, MockERC20 weth_) {
        vault = vault_;
        breaker = breaker_;
        lens = lens_;
        usdc = MockERC20(vault_.asset());
        weth = weth_;
        ICircuitBreaker.AssetParams memory base = breaker_.assetParams(address(usdc));
        ICircuitBreaker.AssetParams memory collateral = breaker_.assetParams(address(weth_));
        if (base.outflowShare != collateral.outflowShare || base.outflowWindow != collateral.outflowWindow) {
            revert TwoOutflowPolicies();
        }
        share = base.outflowShare;
        window = base.outflowWindow;
        for (uint256 i; i < 3; ++i) {
            address actor = makeAddr(string.concat("outflowActor", vm.toString(i)));
            _actors.push(actor);
            vm.startPrank(actor);
            usdc.approve(address(vault_), type(uint256).max);
            weth_.approve(address(vault_), type(uint256).max);
            vm.stopPrank();
        }
    }

    modifier tracked(bytes32 action) {
        calls[action] += 1;
        vm.roll(block.number + 1);
        _;
    }

    // ----------------------------------------------------------------- flows in

    function deposit(uint256 actorSeed, uint256 amount) external tracked("deposit") {
        _deposit(_actor(actorSeed), bound(amount, 1, 2_000_000e6));
    }

    function depositCollateral(uint256 actorSeed, uint256 amount) external tracked("depositCollateral") {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1, 1_000e18);
        _in(address(weth), amount);
        weth.mint(actor, amount);
        vm.prank(actor);
        vault.depositCollateral(address(weth), amount, actor);
    }

    function repay(uint256 actorSeed, uint256 amount) external tracked("repay") {
        address actor = _actor(actorSeed);
        uint256 debt = vault.debtOf(actor);
        if (debt == 0) return;
        amount = bound(amount, 1, debt);
        usdc.mint(actor, amount);
        _opening(address(usdc));
        vm.prank(actor);
        uint256 repaid = vault.repay(amount, actor);
        _flows[address(usdc)].push(Flow(uint64(block.timestamp), false, repaid));
    }

    // ----------------------------------------------------------------- flows out

    /// @dev An ERC-4626 exit of up to the actor's whole claim: within `maxWithdraw` it pays, past it it reverts.
    function withdraw(uint256 actorSeed, uint256 amount, bool orQueue) external tracked("withdraw") {
        address actor = _actor(actorSeed);
        uint256 claim = vault.previewRedeem(vault.balanceOf(actor));
        uint256 cash = vault.cash();
        if (claim > cash) claim = cash;
        if (claim == 0) return;
        amount = bound(amount, 1, claim);
        _opening(address(usdc));
        uint256 before = usdc.balanceOf(actor);
        try this.exit(actor, amount, orQueue) {
            _paid(address(usdc), usdc.balanceOf(actor) - before, amount);
        } catch (bytes memory reason) {
            _refused(reason);
        }
    }

    /// @dev External so a refusal reverts only the exit (the handler's prank is the caller's).
    function exit(address actor, uint256 amount, bool orQueue) external {
        if (msg.sender != address(this)) revert NotSelf(msg.sender);
        vm.prank(actor);
        if (orQueue) vault.withdrawOrQueue(amount, actor, actor);
        else vault.withdraw(amount, actor, actor);
    }

    /// @dev Within the actor's borrowing headroom (at $1 a USDC) and the cash, so only the breaker refuses.
    function borrow(uint256 actorSeed, uint256 amount) external tracked("borrow") {
        address actor = _actor(actorSeed);
        ICollateralVault.AccountLiquidity memory liq = vault.accountLiquidity(actor);
        if (liq.borrowLimit <= liq.debtValue) return;
        uint256 most = (liq.borrowLimit - liq.debtValue) / 1e12;
        uint256 cash = vault.cash();
        if (cash < most) most = cash;
        if (most < 2) return;
        amount = bound(amount, 1, most - 1);
        _opening(address(usdc));
        vm.prank(actor);
        try vault.borrow(amount, actor) {
            _paid(address(usdc), amount, amount);
        } catch (bytes memory reason) {
            _refused(reason);
        }
    }

    function withdrawCollateral(uint256 actorSeed, uint256 amount) external tracked("withdrawCollateral") {
        address actor = _actor(actorSeed);
        uint256 held = vault.collateralOf(actor, address(weth));
        if (held == 0) return;
        amount = bound(amount, 1, held);
        _opening(address(weth));
        uint256 before = weth.balanceOf(actor);
        vm.prank(actor);
        try vault.withdrawCollateral(address(weth), amount, actor) {
            _paid(address(weth), weth.balanceOf(actor) - before, amount);
        } catch (bytes memory reason) {
            _refused(reason);
        }
    }

    // ----------------------------------------------------------------- the rest

    /// @dev A flash loan's shape: a large deposit and as large an exit in one block. The deposit must not raise the
    ///      limit (only a block-opening balance does), so the exit may take its own deposit back and no more.
    function flashLoop(uint256 actorSeed, uint256 amount) external tracked("flashLoop") {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1e6, 50_000_000e6);
        _deposit(actor, amount);
        uint256 claim = vault.previewRedeem(vault.balanceOf(actor));
        uint256 exitAmount = amount + amount / 2 < claim ? amount + amount / 2 : claim;
        uint256 before = usdc.balanceOf(actor);
        try this.exit(actor, exitAmount, false) {
            _paid(address(usdc), usdc.balanceOf(actor) - before, exitAmount);
        } catch (bytes memory reason) {
            _refused(reason);
        }
    }

    /// @notice The accounts the handler acts as.
    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @dev Shares (and the deposit credit they carry) move between actors.
    function transferShares(uint256 fromSeed, uint256 toSeed, uint256 shares) external tracked("transferShares") {
        address from = _actor(fromSeed);
        uint256 balance = vault.balanceOf(from);
        if (balance == 0) return;
        vm.prank(from);
        vault.transfer(_actor(toSeed), bound(shares, 1, balance));
    }

    function poke(bool base) external tracked("poke") {
        breaker.poke(base ? address(usdc) : address(weth));
    }

    /// @dev Up to one window passes (a block per 12 s), so consecutive bursts straddle bucket boundaries.
    function step(uint256 seconds_) external tracked("step") {
        seconds_ = bound(seconds_, 1, window);
        vm.warp(block.timestamp + seconds_);
        vm.roll(block.number + seconds_ / 12);
    }

    // ----------------------------------------------------------------- ghosts and the check

    /// @dev Counts the refusals that come from the limit (or from the stop an exit past it set off): those, and only
    ///      those, show the handler pressing on the limit.
    function _refused(bytes memory reason) internal {
        bytes4 selector = reason.length >= 4 ? bytes4(reason) : bytes4(0);
        if (
            selector == ICircuitBreaker.OutflowLimitReached.selector ||
            selector == ICircuitBreaker.ActionPaused.selector ||
            selector == ERC4626.ERC4626ExceededMaxWithdraw.selector
        ) refused += 1;
    }

    function _deposit(address actor, uint256 amount) internal {
        _in(address(usdc), amount);
        usdc.mint(actor, amount);
        vm.prank(actor);
        vault.deposit(amount, actor);
    }

    function _in(address token, uint256 amount) internal {
        _opening(token);
        _flows[token].push(Flow(uint64(block.timestamp), false, amount));
    }

    /// @dev Records the balance the breaker is handed before the block's first limited flow of `token`.
    function _opening(address token) internal {
        if (_openedBlock[token] == block.number) return;
        _openedBlock[token] = block.number;
        _openings[token].push(Flow(uint64(block.timestamp), false, _balanceOf(token)));
    }

    function _balanceOf(address token) internal view returns (uint256 balance) {
        if (token == address(usdc)) return vault.cash();
        (, , balance) = lens.collateralInfo(vault, token);
    }

    /// @dev An outflow paid at once (`paid` reached the receiver; anything less than `asked` was queued).
    function _paid(address token, uint256 paid, uint256 asked) internal {
        if (paid < asked) queued += 1;
        if (paid == 0) return;
        _flows[token].push(Flow(uint64(block.timestamp), true, paid));
        _checkSpanEndingNow(token);
    }

    /// @dev The span (now − window, now]: paid outflows in it, less inflows that could be credited to them (from one
    ///      bucket before the span on), against the bound on the limit described at the top.
    function _checkSpanEndingNow(address token) internal {
        uint256 now_ = block.timestamp;
        uint256 spanStart = now_ + 1 - window; // the handler starts far past one window
        uint256 creditFrom = spanStart - (window + 1) / 2;
        uint256 lookback = spanStart - (3 * window) / 2;
        uint256 out;
        uint256 credited;
        uint256 recent; // outflows since `lookback`
        uint256 count;
        Flow[] storage flows = _flows[token];
        for (uint256 i = flows.length; i > 0; --i) {
            Flow storage f = flows[i - 1];
            if (f.time < lookback) break;
            if (f.out) recent += f.amount;
            if (f.out && f.time >= spanStart) (out, count) = (out + f.amount, count + 1);
            if (!f.out && f.time >= creditFrom) credited += f.amount;
        }
        uint256 largest;
        Flow[] storage openings = _openings[token];
        for (uint256 i = openings.length; i > 0 && openings[i - 1].time >= lookback; --i) {
            if (openings[i - 1].amount > largest) largest = openings[i - 1].amount;
        }
        uint256 bound_ = ((largest + recent) * share) / 1e18 + ROUNDING * count;
        uint256 net = out > credited ? out - credited : 0;
        spansChecked += 1;
        if (net * 10 >= ((largest * share) / 1e18) * 9) spansNearBound += 1;
        if (net > bound_ && bytes(violation).length == 0) {
            violation = string.concat(
                InvariantsSpec.INV_30_OUTFLOW_PER_SPAN,
                " (net ",
                vm.toString(net),
                " > bound ",
                vm.toString(bound_),
                ")"
            );
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }
}
