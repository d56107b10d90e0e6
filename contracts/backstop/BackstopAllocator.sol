// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IBackstop} from "../interfaces/IBackstop.sol";
import {IBackstopAllocator} from "../interfaces/IBackstopAllocator.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title BackstopAllocator
/// @notice The backstop's hedging agent (issue 26, after Spark's rate-limited allocator and Maker's D3M): it moves the
///         backstop's idle cash into allow-listed ERC-4626 venues and back, under limits, so that stakers' capital
///         earns while it waits for a loss. Its agent key belongs to the keeper bot and is assumed compromised.
/// @dev Invariants (what a compromised agent can do at worst):
///      - Cash moves only between the backstop's idle balance and venues governance allowed (`IBackstop.toVenue` and
///        `fromVenue`, which only this contract may call; the backstop holds the venue shares).
///      - A deposit keeps the venue's position within its cap, within its deposit rate limit, leaves idle cash no
///        provision holds at least `minIdleShare` of the backstop's worth, and happens only while every circuit
///        breaker entry is at NONE, the backstop's exits are open and no venue is marked down; after it the venue lets
///        the whole position out (`maxWithdraw`: no cash parked where a staker's exit cannot reach). A withdrawal stays
///        within its rate limit. Rate limits are token buckets: at most capacity + capacity · t / period in any t.
///      - After `freeze` (the breaker's guardian, or governance) every agent call reverts until governance unfreezes.
///      - Anyone may recall a venue's whole position, without rate limit, while frozen, while the backstop's exits are
///        closed (`closedReason` ≠ 0: a loss pending, a breaker reason that stops borrowing or queues, or a
///        guardian's queue of lenders' withdrawals), or while the venue is marked down; and what idle cash lacks of
///        its floor while it is below it.
///      - A deposit is at least MIN_DEPOSIT_UNITS of the venue's share price, and leaves idle cash FLOOR_BUFFER above
///        the floor.
///      - Parameters change only through `owner` (the timelock), inside MIN_/MAX_ bounds.
contract BackstopAllocator is IBackstopAllocator, Ownable2Step, ReentrancyGuardTransient {
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    /// @notice Lowest minimum idle share: a tenth of the backstop's worth always stays idle for earmarks and payouts.
    uint256 public constant MIN_IDLE_SHARE = 0.1e18;
    /// @notice A deposit leaves idle cash at least this share (WAD) above the floor: the floor moves with the backstop's
    ///         worth, and a deposit to the floor's last unit would be recallable the next second.
    uint256 public constant FLOOR_BUFFER = 0.01e18;
    /// @notice A deposit is at least this many of the venue's smallest share price (and units): its rounding then stays
    ///         below the markdown tolerance (`BackstopVenues.MARKDOWN_TOLERANCE`, 0.01%).
    uint256 public constant MIN_DEPOSIT_UNITS = 10_000;
    /// @notice Bounds of a rate limit's refill period.
    uint256 public constant MIN_PERIOD = 1 hours;
    uint256 public constant MAX_PERIOD = 30 days;

    struct Bucket {
        uint128 used; // what counts against the capacity at `at`
        uint64 at;
    }

    IBackstop private immutable _backstop;
    ICollateralVault private immutable _vault;
    address public agent;
    bool public frozen;
    uint64 public minIdleShare;
    mapping(address venue => VenueConfig) private _configs;
    mapping(address venue => Bucket) private _deposits;
    mapping(address venue => Bucket) private _withdrawals;

    /// @param backstop_ The backstop (it must name this contract with `setAllocator`).
    /// @param owner_ Governance: the timelock in production.
    /// @param agent_ The keeper bot's key.
    /// @param minIdleShare_ WAD, MIN_IDLE_SHARE–1e18.
    constructor(IBackstop backstop_, address owner_, address agent_, uint256 minIdleShare_) Ownable(owner_) {
        if (address(backstop_) == address(0)) revert Zero();
        _backstop = backstop_;
        _vault = ICollateralVault(backstop_.vault());
        agent = agent_;
        emit AgentSet(agent_);
        _setMinIdleShare(minIdleShare_);
    }

    modifier onlyAgent() {
        if (msg.sender != agent) revert NotAgent(msg.sender);
        if (frozen) revert Frozen();
        _;
    }

    // ================================================================= the agent

    /// @inheritdoc IBackstopAllocator
    function allocate(address venue, uint256 assets) external onlyAgent nonReentrant {
        if (assets == 0) revert Zero();
        VenueConfig memory config = _configs[venue];
        if (!config.allowed) revert VenueNotAllowed(venue);
        if (!_calm()) revert NotCalm();
        (uint256 worth, ) = _backstop.venueValue(venue);
        if (worth + assets > config.cap) revert CapExceeded(venue, worth + assets, config.cap);
        uint256 least = MIN_DEPOSIT_UNITS * (IERC4626(venue).convertToAssets(1) + 1);
        if (assets < least) revert DepositTooSmall(assets, least);
        uint256 free = _backstop.idle() - _backstop.earmarked();
        uint256 floor = _floor();
        floor += floor.wadMulUp(FLOOR_BUFFER);
        if (free < assets || free - assets < floor) revert IdleFloor(free < assets ? 0 : free - assets, floor);
        _spend(_deposits[venue], venue, assets, config.depositCapacity, config.period);
        emit Allocated(venue, assets);
        _backstop.toVenue(venue, assets);
        // The venue must let the whole position out now (one unit of rounding aside): a venue that takes cash it
        // would not give back (exits paused, a withdrawal queue) would make stakers' exits fail and their windows lapse.
        (uint256 after_, ) = _backstop.venueValue(venue);
        uint256 out = IERC4626(venue).maxWithdraw(address(_backstop));
        if (out + 1 < after_) revert VenueIlliquid(venue, out, after_);
    }

    /// @inheritdoc IBackstopAllocator
    function deallocate(address venue, uint256 assets) external onlyAgent nonReentrant {
        if (assets == 0) revert Zero();
        VenueConfig memory config = _configs[venue];
        if (config.period == 0) revert VenueNotAllowed(venue); // never configured
        _spend(_withdrawals[venue], venue, assets, config.withdrawCapacity, config.period);
        uint256 got = _backstop.fromVenue(venue, assets);
        emit Deallocated(venue, assets, got);
    }

    // ================================================================= anyone

    /// @inheritdoc IBackstopAllocator
    function recall(address venue) external nonReentrant returns (uint256 got) {
        RecallReason reason = recallReason(venue);
        if (reason == RecallReason.NONE) revert RecallNotAllowed(venue);
        uint256 assets = type(uint256).max;
        if (reason == RecallReason.IDLE_FLOOR) {
            // Only what idle cash lacks, as far as the venue lets it out: a floor that moved a unit recalls a unit.
            assets = _floor() - (_backstop.idle() - _backstop.earmarked()); // > 0: the reason says so
            uint256 most = IERC4626(venue).maxWithdraw(address(_backstop));
            if (assets > most) assets = most;
        }
        if (assets != 0) got = _backstop.fromVenue(venue, assets);
        emit Recalled(venue, msg.sender, reason, got);
    }

    // ================================================================= guardian and governance

    /// @inheritdoc IBackstopAllocator
    function freeze() external {
        if (msg.sender != owner() && msg.sender != _guardian()) revert NotGuardian(msg.sender);
        frozen = true;
        emit FrozenSet(true, msg.sender);
    }

    /// @inheritdoc IBackstopAllocator
    function unfreeze() external onlyOwner {
        frozen = false;
        emit FrozenSet(false, msg.sender);
    }

    /// @inheritdoc IBackstopAllocator
    function setVenue(address venue, VenueConfig calldata config) external onlyOwner {
        if (venue == address(0)) revert Zero();
        if (config.period < MIN_PERIOD || config.period > MAX_PERIOD) revert ParamsOutOfBounds();
        if (config.depositCapacity > config.cap) revert ParamsOutOfBounds();
        _configs[venue] = config;
        emit VenueSet(venue, config);
    }

    /// @inheritdoc IBackstopAllocator
    function setAgent(address agent_) external onlyOwner {
        agent = agent_;
        emit AgentSet(agent_);
    }

    /// @inheritdoc IBackstopAllocator
    function setMinIdleShare(uint256 share) external onlyOwner {
        _setMinIdleShare(share);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less allocator could never be unfrozen or corrected.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= views

    /// @inheritdoc IBackstopAllocator
    function recallReason(address venue) public view returns (RecallReason) {
        if (frozen) return RecallReason.FROZEN;
        // Exits closed: a loss is pending, a breaker reason that stops borrowing or queues, or a guardian's queue (a
        // TIGHTEN alone only stops new deposits: recalling everything on it would let anyone churn the positions).
        if (_backstop.closedReason() != 0) return RecallReason.BREAKER;
        uint256 free = _backstop.idle() - _backstop.earmarked();
        if (free < _floor()) return RecallReason.IDLE_FLOOR;
        (, bool down) = _backstop.venueValue(venue);
        if (down) return RecallReason.MARKED_DOWN;
        return RecallReason.NONE;
    }

    /// @inheritdoc IBackstopAllocator
    function available(address venue) external view returns (uint256 deposit, uint256 withdrawal) {
        VenueConfig memory config = _configs[venue];
        if (config.period == 0) return (0, 0);
        deposit = config.depositCapacity - _usedNow(_deposits[venue], config.depositCapacity, config.period);
        withdrawal = config.withdrawCapacity - _usedNow(_withdrawals[venue], config.withdrawCapacity, config.period);
    }

    /// @notice `venue`'s limits.
    function venueConfig(address venue) external view returns (VenueConfig memory) {
        return _configs[venue];
    }

    /// @inheritdoc IBackstopAllocator
    function backstop() external view returns (address) {
        return address(_backstop);
    }

    // ================================================================= internal

    /// @dev Every breaker entry at NONE and the backstop's exits open (no loss pending), and no venue marked down.
    function _calm() private view returns (bool) {
        if (!_breakersCalm()) return false;
        (, bool anyDown) = _backstop.venuesValue();
        return !anyDown;
    }

    /// @dev The backstop's exits open and every breaker entry at NONE (a breaker that cannot answer is not calm).
    function _breakersCalm() private view returns (bool) {
        if (_backstop.closedReason() != 0) return false;
        ICircuitBreaker breaker = _vault.circuitBreaker();
        if (address(breaker) == address(0)) return true;
        try breaker.state() returns (ICircuitBreaker.EntryView[] memory entries) {
            for (uint256 i; i < entries.length; ++i) {
                if (entries[i].level != ICircuitBreaker.Level.NONE) return false;
            }
            return true;
        } catch {
            return false;
        }
    }

    /// @dev The least idle cash no provision holds: `minIdleShare` of the backstop's worth (rounded up).
    function _floor() private view returns (uint256) {
        return IERC4626(address(_backstop)).totalAssets().wadMulUp(minIdleShare);
    }

    function _guardian() private view returns (address) {
        ICircuitBreaker breaker = _vault.circuitBreaker();
        return address(breaker) == address(0) ? address(0) : breaker.guardian();
    }

    /// @dev Counts `amount` against `bucket` (capacity refilled linearly over `period`), or reverts `RateLimited`.
    function _spend(Bucket storage bucket, address venue, uint256 amount, uint256 capacity, uint256 period) private {
        uint256 used = _usedNow(bucket, capacity, period);
        if (amount > capacity - used) revert RateLimited(venue, amount, capacity - used);
        (bucket.used, bucket.at) = (uint128(used + amount), uint64(block.timestamp)); // ≤ capacity, a uint128
    }

    /// @dev What counts against `bucket` now: its use at `at`, less the refill since (capacity per period), at most
    ///      `capacity` (a capacity lowered by governance leaves nothing until it refills).
    function _usedNow(Bucket memory bucket, uint256 capacity, uint256 period) private view returns (uint256) {
        uint256 refill = (capacity * (block.timestamp - bucket.at)) / period;
        uint256 used = bucket.used > refill ? bucket.used - refill : 0;
        return used < capacity ? used : capacity;
    }

    function _setMinIdleShare(uint256 share) private {
        if (share < MIN_IDLE_SHARE || share > 1e18) revert ParamsOutOfBounds();
        minIdleShare = uint64(share);
        emit MinIdleShareSet(share);
    }
}
