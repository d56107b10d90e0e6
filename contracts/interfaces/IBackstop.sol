// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IBackstop
/// @notice Bulwark's first-loss tranche: an ERC-4626 vault over the lending vault's base asset whose stakers stand
///         between reserves and lenders. The lending vault alone draws on it: it earmarks idle cash for provisioned
///         losses reserves do not cover, pays written-off debt past reserves in the write-off's own transaction, and
///         is repaid from recovered collateral after lenders. Stakers earn a bounded share of reserve income and leave
///         through a cooldown and an unstake window, never while a loss is coming.
interface IBackstop {
    /// @notice A staker's request to leave: `shares` may be redeemed from `readyAt` until `readyAt` + the window, plus
    ///         the time exits were seen closed since the request (`closedTime()` − `closedMark`, capped).
    struct Unstake {
        uint128 shares;
        uint64 readyAt;
        uint64 closedMark; // `closedTime()` when it was made
    }

    // ----------------------------------------------------------------- errors

    /// @notice Thrown when anyone but the lending vault calls one of its hooks.
    error NotVault(address caller);
    /// @notice Thrown for a zero amount.
    error ZeroAmount();
    /// @notice Thrown for a zero address.
    error ZeroAddress();
    /// @notice Thrown when a cooldown or window is outside its hard-coded bounds.
    error UnstakeParamsOutOfBounds(uint256 cooldown, uint256 window);
    /// @notice Thrown when an unstake request asks for more shares than the caller holds.
    error UnstakeExceedsBalance(uint256 balance, uint256 requested);
    /// @notice Thrown when withdrawals are closed (`reason` as `closedReason`): a loss is pending (1: a provisioned
    ///         loss exceeds the vault's reserves, or cash is earmarked), or the breaker stops borrowing or queues for an
    ///         automatic reason (2), or its guardian queues lenders' withdrawals (3) and they have been recorded queued
    ///         for less than MAX_QUEUE_CLOSURE (see `closedReason`).
    error WithdrawalsClosed(uint8 reason);
    /// @notice Thrown by a stake while exits are closed (`closedReason` ≠ 0: a loss is pending, or the breaker or its
    ///         guardian closes them; nobody buys in while stakers cannot leave, nor pays for a loss already known), while
    ///         a venue is marked down, or while a price the recovery's value needs is unavailable (it could not be
    ///         priced).
    error StakingClosed();
    /// @notice Thrown when the breaker's `state()` ran out of the gas it was given: the caller must give more (a
    ///         starved call must not pass for a breaker that cannot answer).
    error BreakerOutOfGas();
    /// @notice Thrown when a withdrawal is asked outside its owner's unstake window or past its request.
    error NotInUnstakeWindow(address owner, uint256 readyAt, uint256 windowEnd, uint256 requested);
    /// @notice Thrown when a withdrawal asks for more than the backstop holds unearmarked and idle.
    error InsufficientIdle(uint256 available, uint256 requested);
    /// @notice Thrown when a token delivers other than the amount asked.
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice Thrown by `renounceOwnership`.
    error RenounceDisabled();
    /// @notice Thrown when anyone but the allocator moves cash to or from a venue.
    error NotAllocator(address caller);
    /// @notice Thrown for a venue whose asset is not the backstop's.
    error WrongVenue(address venue);
    /// @notice Thrown when a new venue would pass the most venues with a position at once.
    error TooManyVenues(uint256 max);

    // ----------------------------------------------------------------- events

    /// @notice The lending vault drew on the backstop: `paid` of `asked` sent to it, `earmarked` now held for its
    ///         provisions (the loss is counted in the share price at once).
    event Covered(uint256 asked, uint256 paid, uint256 earmarked);
    /// @notice The lending vault paid the backstop `amount` (recovered value or reserve income); it reaches the share
    ///         price over the release period.
    event Credited(uint256 amount);
    /// @notice A gain joined (`added`) or a loss netted (`netted`) what is held back; `held` is held back now.
    event GainsHeldBack(uint256 added, uint256 netted, uint256 held);
    /// @notice Exits were seen closed (`reason`, as `closedReason`) after `closedFor` seconds closed in all before.
    event ExitsClosed(uint8 reason, uint256 closedFor);
    /// @notice Exits were seen open again; they have been closed `closedFor` seconds in all.
    event ExitsReopened(uint256 closedFor);
    /// @notice Lenders' withdrawals were recorded queued, a count starting at `since`: a first record, or one after a
    ///         gap longer than MAX_QUEUE_GAP (a queue seen lifted is not reset).
    event LendersQueueSeen(uint256 since);
    /// @notice The recovery's price mark of `collateral` took `price` (WAD USD): the lowest OK price sighted over the
    ///         two hours or more it held (`BackstopRecovery.HOLD`), sightings at most 90 minutes apart.
    event RecoveryPriceMarked(address indexed collateral, uint256 price);
    /// @notice `owner` asked to redeem `shares` from `readyAt`.
    event UnstakeRequested(address indexed owner, uint256 shares, uint256 readyAt);
    /// @notice Governance (the timelock) set the cooldown and the unstake window.
    event UnstakeParamsSet(uint256 cooldown, uint256 window);
    /// @notice Governance named the allocator that may move idle cash to and from venues (zero: none).
    event AllocatorSet(address indexed allocator);
    /// @notice `assets` of idle cash went into `venue` for `shares`.
    event VenueDeposited(address indexed venue, uint256 assets, uint256 shares);
    /// @notice `assets` came back from `venue`, whose position's worth fell by `removed` (the difference is a gain,
    ///         held back, or a loss, at once).
    event VenueWithdrawn(address indexed venue, uint256 assets, uint256 removed);

    // ----------------------------------------------------------------- the lending vault's hooks

    /// @notice Pays the vault up to `pay` out of idle cash (earmarked cash first), then holds up to `earmark` of
    ///         what stays idle for its provisions. What it pays or earmarks leaves the share price at once; what an
    ///         earmark gives back returns to it at once too (it undoes a loss), except held-back gains the earmark had
    ///         met, which return to the release. Vault only.
    /// @dev Reverts with `NotVault`.
    /// @param pay Base units the vault asks for now (written-off debt past reserves).
    /// @param earmark Base units the vault asks to be held for provisions reserves do not cover.
    /// @return earmarked What is held now (≤ `earmark`).
    function cover(uint256 pay, uint256 earmark) external returns (uint256 earmarked);

    /// @notice Takes `amount` of the base asset from the vault (which approved it): recovered value owed to the
    ///         backstop, or its share of reserve income. It reaches the share price over the release period. Vault
    ///         only.
    /// @dev Reverts with `NotVault`, `ZeroAmount`, `TransferAmountMismatch`.
    function credit(uint256 amount) external;

    // ----------------------------------------------------------------- stakers

    /// @notice Starts `msg.sender`'s cooldown for `shares` (replacing any earlier request): they may be redeemed from
    ///         now + cooldown, for one window. A transfer out lowers the request to what is left.
    /// @dev Reverts with `ZeroAmount`, `UnstakeExceedsBalance`.
    function requestUnstake(uint256 shares) external;

    /// @notice Gives back what the backstop holds for provisions beyond what the vault counts (after a call from the
    ///         vault failed, the vault counts none); it counts at once, as any earmark given back. Anyone may call it.
    function sync() external;

    /// @notice Records whether exits are closed now (`closedReason` ≠ 0), so the time they stay closed extends every
    ///         unstake window it spans, and since when lenders' withdrawals have been queued (`queuedSince`); marks the
    ///         recovery's prices (`recoveryMark`). While cash is earmarked it first asks the vault to re-target the earmark
    ///         (`settleBackstopIncomeShare`: reserves may have grown to cover the provisions) and follows the vault's
    ///         book (`sync`). Anyone may call it (the keeper bot does, whenever the answer changes); every withdrawal
    ///         records a reopening.
    /// @return reason `closedReason()` now.
    function checkpoint() external returns (uint8 reason);

    /// @notice Names the allocator (`BackstopAllocator`), the only address that may move idle cash to and from venues
    ///         (zero: none; positions stay, and stakers' exits still take cash out of them). Governance only.
    function setAllocator(address allocator) external;

    /// @notice Puts `assets` of idle cash no provision holds into `venue` (an ERC-4626 vault over the same asset; the
    ///         allocator checked it is allowed and within its limits). Allocator only.
    /// @dev Reverts with `NotAllocator`, `ZeroAmount`, `InsufficientIdle`, `WrongVenue`, `TooManyVenues`.
    /// @return shares The venue's shares received.
    function toVenue(address venue, uint256 assets) external returns (uint256 shares);

    /// @notice Takes `assets` out of `venue` back to idle (`type(uint256).max`: all it lets out now). What comes back
    ///         beyond the position's counted worth is a gain, held back; short of it, a loss, at once. Allocator only.
    /// @dev Reverts with `NotAllocator`.
    /// @return got What arrived.
    function fromVenue(address venue, uint256 assets) external returns (uint256 got);

    /// @notice Sets the cooldown and the unstake window, inside MIN_/MAX_ bounds. Governance (the timelock) only.
    /// @dev Reverts with `UnstakeParamsOutOfBounds`.
    function setUnstakeParams(uint256 cooldown, uint256 window) external;

    // ----------------------------------------------------------------- views

    /// @notice The lending vault this backstop serves.
    function vault() external view returns (address);

    /// @notice Idle base asset on the books (donations excluded), earmarked included.
    function idle() external view returns (uint256);

    /// @notice Idle cash held for the vault's provisions.
    function earmarked() external view returns (uint256);

    /// @notice Gains not yet in the share price.
    function heldBack() external view returns (uint256);

    /// @notice `owner`'s unstake request.
    function unstakeOf(address owner) external view returns (Unstake memory);

    /// @notice 0 while withdrawals are open; 1 while a loss is pending (`lossPending`); 2 while a breaker entry holds
    ///         an automatic reason that stops borrowing or queues (a doubted or failed price, a price fall, an outflow,
    ///         bad debt), or the breaker cannot answer; 3 while, with none of those, the global or base entry queues
    ///         lenders' withdrawals (the guardian's trip), until the queue has been recorded for MAX_QUEUE_CLOSURE with
    ///         no gap longer than MAX_QUEUE_GAP (then 0: a renewed trip cannot keep stakers in while lenders leave
    ///         through the queue). Stakes are refused whenever it is not 0. Reverts `BreakerOutOfGas` when the breaker's
    ///         answer ran out of gas.
    function closedReason() external view returns (uint8);

    /// @notice Whether a loss is pending: cash is earmarked, or the vault's provisions exceed its reserves. Stakes are
    ///         refused (`StakingClosed`) and withdrawals closed meanwhile (`closedReason` 1).
    function lossPending() external view returns (bool);

    /// @notice When the closure of exits now recorded was first seen (`checkpoint`); 0 when they were last seen open.
    ///         The keeper bot calls `checkpoint` whenever this disagrees with `closedReason`.
    function closedSince() external view returns (uint256);

    /// @notice Seconds exits have been seen closed since the backstop was deployed (the current closure included).
    function closedTime() external view returns (uint256);

    /// @notice Since when lenders' withdrawals have been recorded queued (`checkpoint`; 0: never recorded), and when
    ///         they were last seen so (a record is live while `seenAt` is within MAX_QUEUE_GAP; a longer gap starts
    ///         the count again).
    function queuedSince() external view returns (uint256 since, uint256 seenAt);

    /// @notice The recovery's price mark of `collateral` now: the highest price that held (the lowest OK price sighted
    ///         over two hours or more, sightings at most 90 minutes apart; a doubted one is never sighted) while the
    ///         vault owed the backstop (sighted at every `checkpoint` and stake), over the last one to two periods of
    ///         cooldown + window.
    function recoveryMark(address collateral) external view returns (uint256);

    /// @notice What the shares hold plus what recovery can still bring them: idle cash (earmarked and held-back
    ///         included) plus `recoverable()`. Stakes are priced at it.
    function entryAssets() external view returns (uint256);

    /// @notice What recovery can still repay the backstop, at most: the vault's protocol-owned collateral at each
    ///         asset's highest price (the oracle's high now; the highest the breaker's price-fall reference holds from
    ///         its last two fall windows; its `recoveryMark` within cooldown + window), base at its lowest now, less
    ///         lenders' unrecovered loss (repaid first), capped at what the vault owes it; all it owes when a price is
    ///         unavailable or the breaker cannot answer (stakes are refused then).
    function recoverable() external view returns (uint256);

    /// @notice The allocator (zero: none).
    function allocator() external view returns (address);

    /// @notice The venues holding a position (at most BackstopVenues.MAX_VENUES).
    function venues() external view returns (address[] memory);

    /// @notice What the position in `venue` is counted worth now (its quote, at most its last mark grown at the
    ///         exchange-rate ceiling), and whether the venue is marked down (quoted below the position's cost).
    function venueValue(address venue) external view returns (uint256 worth, bool down);

    /// @notice Σ of every position's worth, and whether any venue is marked down.
    function venuesValue() external view returns (uint256 worth, bool anyDown);

    /// @notice The cooldown and the unstake window, seconds.
    function unstakeParams() external view returns (uint256 cooldown, uint256 window);
}
