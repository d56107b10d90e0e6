// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPriceOracle
/// @notice The vault's only view of prices: a status and its reason with every read, never a blind revert.
/// @dev Prices are USD per one whole unit of the asset, WAD-scaled (1e18 = $1), whatever the token's or the feed's
///      decimals, and do not change within a transaction.
///      - OK: `low == high`, the validated price.
///      - DEGRADED: a usable but doubted price; `low <= high` bound it (the lower and higher of the sources). The
///        vault values collateral at `low` and debt at `high`, and allows no new borrow or collateral withdrawal
///        that needs it; repay, add collateral and liquidations go on.
///      - FAILED: no usable source; `low == high == 0`. Nothing that needs the price proceeds, and no account that
///        holds the asset is liquidated.
interface IPriceOracle {
    enum Status {
        OK,
        DEGRADED,
        FAILED
    }

    /// @notice Why a price is not OK (NONE when it is). The first failing check of the primary source wins.
    enum Reason {
        NONE,
        NOT_CONFIGURED, // no feed for the asset
        FEED_REVERTED, // the feed reverted or returned malformed data
        INVALID_ANSWER, // answer <= 0, updatedAt == 0 or in the future
        STALE, // updatedAt older than heartbeat + grace, or an incomplete round (answeredInRound < roundId)
        OUT_OF_BOUNDS, // answer at or beyond the asset's own min/max bounds (a feed pinned at its floor)
        SOURCES_DISAGREE, // primary and secondary further apart than the asset's deviation threshold
        UNCONFIRMED_JUMP, // a move beyond the asset's bound since the previous round, not confirmed yet
        SECONDARY_FAILED, // the primary is fine but its configured cross-check is not available
        SEQUENCER_DOWN, // the L2 sequencer uptime feed reports down
        SEQUENCER_GRACE, // the sequencer is up, but for less than the grace period
        SEQUENCER_FEED_BROKEN // the uptime feed reverted or returned nonsense
    }

    /// @notice One read: conservative bounds, a status and its reason.
    struct Price {
        uint256 low;
        uint256 high;
        Status status;
        Reason reason;
    }

    /// @notice The validated price of `asset`.
    /// @param asset The ERC-20 token to price.
    /// @return price Low and high bounds (WAD USD per whole token), status and reason.
    function getPrice(address asset) external view returns (Price memory price);

    /// @notice The L2 sequencer's state on its own: NONE when up past its grace period (or on a chain without a
    ///         sequencer feed), else SEQUENCER_DOWN, SEQUENCER_GRACE or SEQUENCER_FEED_BROKEN. `getPrice` reports it
    ///         only on an otherwise OK price; the liquidation engine reads it here so no other doubt can mask it.
    /// @return reason Why the sequencer makes prices doubtful now, or NONE.
    /// @return readySince When it last stopped doing so: the end of the grace period after its last restart; 0 on a
    ///         chain without a sequencer feed; type(uint256).max while `reason` is not NONE. The liquidation engine
    ///         counts its time ramp only from then, so no penalty grows while the sequencer stops liquidations.
    function sequencerState() external view returns (Reason reason, uint256 readySince);

    /// @notice The highest price the oracle could ever accept for `asset` (its configured upper bound, WAD USD per
    ///         whole token); 0 when it has none. Lets the liquidation engine bound what collateral with an unknown
    ///         (FAILED) price could be worth, so a dust deposit of such an asset cannot shield an account.
    function priceCeiling(address asset) external view returns (uint256);
}
