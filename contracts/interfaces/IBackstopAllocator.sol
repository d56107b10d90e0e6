// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IBackstopAllocator
/// @notice The backstop's hedging agent (issue 26): it puts the backstop's idle cash to work in allow-listed ERC-4626
///         venues and takes it back. Its agent key belongs to the keeper bot and is assumed compromised: every move is
///         bounded by per-venue caps and deposit and withdrawal rate limits, a minimum idle share, and happens only
///         while every circuit breaker is calm; cash only ever moves between the backstop's idle balance and allowed
///         venues. The guardian can freeze it; anyone can recall a venue's position when the backstop's exits close, a
///         venue is marked down, or the allocator is frozen, and what idle cash lacks when it falls below its floor.
interface IBackstopAllocator {
    /// @notice A venue's limits: what the backstop may hold in it at most (its position's worth), and two rate limits
    ///         (token buckets refilling their capacity every `period`) on what the agent puts in and takes out.
    struct VenueConfig {
        uint128 cap;
        uint128 depositCapacity;
        uint128 withdrawCapacity;
        uint32 period;
        bool allowed;
    }

    /// @notice Why `recall` may run now (NONE: it may not).
    enum RecallReason {
        NONE,
        FROZEN,
        BREAKER, // the backstop's exits are closed (`closedReason` ≠ 0: a loss pending, a breaker reason, a guardian's queue)
        IDLE_FLOOR, // idle cash no provision holds is below the minimum share of the backstop's worth: what it lacks
        MARKED_DOWN // the venue quotes the position below its cost
    }

    /// @notice Thrown when anyone but the agent moves cash.
    error NotAgent(address caller);
    /// @notice Thrown when anyone but the guardian (the circuit breaker's) or governance freezes.
    error NotGuardian(address caller);
    /// @notice Thrown by an agent call while frozen.
    error Frozen();
    /// @notice Thrown by an agent deposit while a breaker is not calm (or the backstop's exits are closed, or a venue
    ///         is marked down).
    error NotCalm();
    /// @notice Thrown for a venue governance has not allowed.
    error VenueNotAllowed(address venue);
    /// @notice Thrown when a deposit would take the position past the venue's cap.
    error CapExceeded(address venue, uint256 worthAfter, uint256 cap);
    /// @notice Thrown when a move would pass what its rate limit has left.
    error RateLimited(address venue, uint256 requested, uint256 available);
    /// @notice Thrown for a deposit below the minimum (`least`): its rounding could mark the venue down.
    error DepositTooSmall(uint256 assets, uint256 least);
    /// @notice Thrown when a deposit would leave idle cash below the minimum share of the backstop's worth.
    error IdleFloor(uint256 idleAfter, uint256 floor);
    /// @notice Thrown by `recall` when no reason allows it.
    error RecallNotAllowed(address venue);
    /// @notice Thrown when, after a deposit, `venue` would let out only `withdrawable` of the position's `worth`.
    error VenueIlliquid(address venue, uint256 withdrawable, uint256 worth);
    /// @notice Thrown for parameters outside their hard-coded bounds.
    error ParamsOutOfBounds();
    /// @notice Thrown for a zero address or amount.
    error Zero();
    /// @notice Thrown by `renounceOwnership`.
    error RenounceDisabled();

    /// @notice The agent put `assets` into `venue`.
    event Allocated(address indexed venue, uint256 assets);
    /// @notice The agent took `assets` (asked) out of `venue`; `got` arrived.
    event Deallocated(address indexed venue, uint256 assets, uint256 got);
    /// @notice `caller` recalled `got` from `venue`, for `reason`.
    event Recalled(address indexed venue, address indexed caller, RecallReason reason, uint256 got);
    /// @notice Frozen (`frozen`) or unfrozen by `by`.
    event FrozenSet(bool frozen, address indexed by);
    /// @notice Governance set a venue's limits.
    event VenueSet(address indexed venue, VenueConfig config);
    /// @notice Governance named the agent.
    event AgentSet(address indexed agent);
    /// @notice Governance set the minimum idle share (WAD).
    event MinIdleShareSet(uint256 share);

    /// @notice Puts `assets` of the backstop's idle cash into `venue`. Agent only; not frozen; every breaker calm; the
    ///         venue must let the whole position out afterwards.
    /// @dev Reverts with `NotAgent`, `Frozen`, `NotCalm`, `VenueNotAllowed`, `CapExceeded`, `RateLimited`, `IdleFloor`,
    ///      `DepositTooSmall`, `VenueIlliquid`.
    function allocate(address venue, uint256 assets) external;

    /// @notice Takes `assets` out of `venue` back to the backstop's idle cash. Agent only; not frozen.
    /// @dev Reverts with `NotAgent`, `Frozen`, `VenueNotAllowed`, `RateLimited`.
    function deallocate(address venue, uint256 assets) external;

    /// @notice Takes all `venue` lets out back to idle cash (for IDLE_FLOOR, what idle cash lacks of its floor), when
    ///         `recallReason(venue)` gives a reason. Anyone.
    /// @dev Reverts with `RecallNotAllowed`.
    /// @return got What arrived.
    function recall(address venue) external returns (uint256 got);

    /// @notice Stops every agent call until governance unfreezes it. The guardian (the circuit breaker's) or governance.
    function freeze() external;

    /// @notice Lets the agent act again. Governance only.
    function unfreeze() external;

    /// @notice Sets `venue`'s limits (inside hard-coded bounds); `allowed` false stops new deposits into it (its
    ///         position can still be taken out). Governance only.
    function setVenue(address venue, VenueConfig calldata config) external;

    /// @notice Names the agent (the keeper bot's key). Governance only.
    function setAgent(address agent) external;

    /// @notice Sets the minimum share of the backstop's worth kept as idle cash no provision holds (WAD, within
    ///         MIN_IDLE_SHARE–1). Governance only.
    function setMinIdleShare(uint256 share) external;

    /// @notice Why `recall(venue)` may run now (NONE: it may not).
    function recallReason(address venue) external view returns (RecallReason);

    /// @notice What the agent may still put into (`deposit`) and take out of (`withdrawal`) `venue` now.
    function available(address venue) external view returns (uint256 deposit, uint256 withdrawal);

    /// @notice The backstop it allocates for.
    function backstop() external view returns (address);
}
