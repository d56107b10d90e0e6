// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Longest a queued withdrawal can wait, whatever a circuit breaker says: a delay, never a lock-up.
uint256 constant MAX_QUEUE_DELAY = 3 days;

/// @title IWithdrawalQueue
/// @notice Holds withdrawals the circuit breaker queued. Each is a claim on tokens already in this contract, payable
///         to its beneficiary once its delay has passed. No one can cancel, redirect or take a claim: there is no
///         owner, and only the beneficiary may send its claim elsewhere (INV-30).
interface IWithdrawalQueue {
    struct Claim {
        address beneficiary;
        uint64 readyAt;
        bool paid;
        address asset;
        uint256 amount;
    }

    /// @notice Emitted when the vault queues a withdrawal.
    event ClaimQueued(
        uint256 indexed id,
        address indexed beneficiary,
        address indexed asset,
        uint256 amount,
        uint256 readyAt
    );
    /// @notice Emitted when a claim is paid.
    event ClaimPaid(uint256 indexed id, address indexed beneficiary, address to, address asset, uint256 amount);

    /// @notice Thrown when `enqueue` is called by anyone but the vault.
    error NotVault(address caller);
    /// @notice Thrown when the tokens a claim needs are not here (the vault must send them first).
    error Unfunded(address asset, uint256 owed, uint256 balance);
    /// @notice Thrown when a claim does not exist or was paid.
    error NoClaim(uint256 id);
    /// @notice Thrown when a claim is not payable yet.
    error NotReady(uint256 id, uint256 readyAt);
    /// @notice Thrown when someone other than the beneficiary redirects a claim.
    error NotBeneficiary(uint256 id, address caller);
    /// @notice Thrown when an address or amount that must be set is zero.
    error ZeroInput();

    /// @notice The vault records a claim on `amount` of `asset`, which it has just sent here.
    /// @param beneficiary Who the claim pays.
    /// @param asset The token.
    /// @param amount Units owed.
    /// @param readyAt When it becomes payable.
    /// @return id The claim's id.
    function enqueue(address beneficiary, address asset, uint256 amount, uint256 readyAt) external returns (uint256 id);

    /// @notice Pays claim `id` to its beneficiary once ready. Anyone may call it.
    /// @param id The claim.
    function claim(uint256 id) external;

    /// @notice The beneficiary takes claim `id` to `to` once ready (for a beneficiary that cannot receive).
    /// @param id The claim.
    /// @param to The recipient.
    function claimTo(uint256 id, address to) external;

    /// @notice Claim `id`.
    /// @param id The claim.
    function claimOf(uint256 id) external view returns (Claim memory);

    /// @notice Units of `asset` owed by unpaid claims (always ≤ this contract's balance of it).
    /// @param asset The token.
    function owed(address asset) external view returns (uint256);

    /// @notice Number of claims ever queued (ids run from 0).
    function claimCount() external view returns (uint256);

    /// @notice The vault that queues here.
    function vault() external view returns (address);
}
