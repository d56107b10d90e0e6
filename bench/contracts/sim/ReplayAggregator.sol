// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV2V3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV2V3Interface.sol";

/// @title ReplayAggregator
/// @notice The feed the crash simulation publishes a historical price path through. In fork mode a Chainlink feed
///         proxy is pointed at it (its owner impersonated), so every reader of the proxy — the oracle adapter
///         included — sees the replayed rounds exactly as it would see a real aggregator's. Simulation only; never
///         deployed to a live chain.
/// @dev Invariants:
///      - RA-1: round ids are plain (1, 2, 3, …, no phase bits; a proxy adds its own phase) and the latest round id
///        equals the number of rounds published.
///      - RA-2: every published round has answer > 0, startedAt == updatedAt, answeredInRound == roundId, and an
///        updatedAt no earlier than the previous round's and no later than the block it was published in.
///      - RA-3: only `owner` publishes; rounds are never changed once published.
///      - RA-4: reading a round that does not exist (round 0, or above the latest) reverts with NoDataPresent, as real
///        aggregators do; the deprecated V2 reads (`getAnswer`, `latestAnswer`, …) return 0 instead, as theirs do.
contract ReplayAggregator is AggregatorV2V3Interface {
    /// @notice Thrown when anyone but the owner publishes.
    error NotOwner(address caller);
    /// @notice Thrown by the constructor for a zero owner.
    error ZeroOwner();
    /// @notice Thrown when a published answer is zero or negative.
    error NonPositiveAnswer(int256 answer);
    /// @notice Thrown when a round's updatedAt is later than the current block's timestamp.
    error UpdatedInFuture(uint256 updatedAt, uint256 blockTimestamp);
    /// @notice Thrown when a round's updatedAt is earlier than the previous round's (or zero for the first round).
    error UpdatedBeforePrevious(uint256 updatedAt, uint256 previousUpdatedAt);
    /// @notice Thrown when reading a round that was never published (including latestRoundData before any round).
    error NoDataPresent(uint256 roundId);

    struct Round {
        int256 answer;
        uint256 updatedAt;
    }

    /// @notice Version reported to readers: that of Chainlink's current (OCR) aggregators.
    uint256 private constant VERSION = 4;

    /// @notice Decimals of every answer.
    uint8 public immutable override decimals;
    /// @notice The pair, e.g. "ETH / USD".
    string public override description;
    /// @notice The only account that may publish rounds; fixed at construction.
    address public immutable owner;

    uint80 private _latestRoundId;
    mapping(uint256 roundId => Round) private _rounds;

    /// @param decimals_ Decimals of every answer (the replaced feed's: 8 for USD pairs).
    /// @param description_ The pair, e.g. "ETH / USD".
    /// @param owner_ The publisher.
    constructor(uint8 decimals_, string memory description_, address owner_) {
        if (owner_ == address(0)) revert ZeroOwner();
        decimals = decimals_;
        description = description_;
        owner = owner_;
    }

    /// @notice Publishes the next round: round id = previous + 1, startedAt = updatedAt, answeredInRound = round id.
    /// @dev Reverts with NotOwner, NonPositiveAnswer, UpdatedInFuture or UpdatedBeforePrevious. Emits AnswerUpdated and
    ///      NewRound (Chainlink's events).
    /// @param answer The price, in `decimals` decimals; > 0.
    /// @param updatedAt Unix seconds the round was computed at: ≥ the previous round's, ≤ block.timestamp, > 0.
    /// @return roundId The new round's id.
    function publish(int256 answer, uint256 updatedAt) external returns (uint80 roundId) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (answer <= 0) revert NonPositiveAnswer(answer);
        if (updatedAt > block.timestamp) revert UpdatedInFuture(updatedAt, block.timestamp);
        uint256 previousUpdatedAt = _rounds[_latestRoundId].updatedAt;
        // A zero updatedAt is how readers recognise a missing round: refuse it even for the first round.
        if (updatedAt < previousUpdatedAt || updatedAt == 0) revert UpdatedBeforePrevious(updatedAt, previousUpdatedAt);
        roundId = _latestRoundId + 1;
        _latestRoundId = roundId;
        _rounds[roundId] = Round(answer, updatedAt);
        emit NewRound(roundId, msg.sender, updatedAt);
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    /// @notice The aggregator version readers see (4, as Chainlink's OCR aggregators).
    function version() external pure override returns (uint256) {
        return VERSION;
    }

    /// @notice Round `roundId` (a plain id, no phase bits).
    /// @dev Reverts with NoDataPresent for a round never published.
    function getRoundData(
        uint80 roundId
    )
        public
        view
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (roundId == 0 || roundId > _latestRoundId) revert NoDataPresent(roundId);
        Round storage r = _rounds[roundId];
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }

    /// @notice The latest round.
    /// @dev Reverts with NoDataPresent(0) before the first round.
    function latestRoundData()
        external
        view
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return getRoundData(_latestRoundId);
    }

    /// @notice The latest answer.
    /// @dev Deprecated V2 read: 0 before the first round.
    function latestAnswer() external view override returns (int256) {
        return _rounds[_latestRoundId].answer;
    }

    /// @notice The latest round's updatedAt.
    /// @dev Deprecated V2 read: 0 before the first round.
    function latestTimestamp() external view override returns (uint256) {
        return _rounds[_latestRoundId].updatedAt;
    }

    /// @notice The latest round id (the number of rounds published).
    /// @dev Deprecated V2 read: 0 before the first round.
    function latestRound() external view override returns (uint256) {
        return _latestRoundId;
    }

    /// @notice Round `roundId`'s answer.
    /// @dev Deprecated V2 read: 0 for a round never published.
    function getAnswer(uint256 roundId) external view override returns (int256) {
        return _rounds[roundId].answer;
    }

    /// @notice Round `roundId`'s updatedAt.
    /// @dev Deprecated V2 read: 0 for a round never published.
    function getTimestamp(uint256 roundId) external view override returns (uint256) {
        return _rounds[roundId].updatedAt;
    }
}
