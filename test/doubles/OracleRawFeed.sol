// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A feed that returns whatever words it is given, to reach the adapter's checks a well-behaved aggregator
///         never trips: round ids wider than uint80, round id 0, or a previous round served for any round id.
///         Test helper only.
contract OracleRawFeed {
    /// @notice The five words latestRoundData / getRoundData return (uint256 each, so they may exceed uint80).
    struct RoundWords {
        uint256 roundId;
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint256 answeredInRound;
    }

    uint8 public immutable decimals;

    /// @notice What latestRoundData returns.
    RoundWords public latest;
    /// @notice What getRoundData returns, whatever round id it is asked for.
    RoundWords public previous;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Sets what latestRoundData returns.
    function setLatest(RoundWords calldata words) external {
        latest = words;
    }

    /// @notice Sets what getRoundData returns for any round id.
    function setPrevious(RoundWords calldata words) external {
        previous = words;
    }

    function latestRoundData() external view returns (uint256, int256, uint256, uint256, uint256) {
        return _words(latest);
    }

    function getRoundData(uint80) external view returns (uint256, int256, uint256, uint256, uint256) {
        return _words(previous);
    }

    function _words(RoundWords memory w) private pure returns (uint256, int256, uint256, uint256, uint256) {
        return (w.roundId, w.answer, w.startedAt, w.updatedAt, w.answeredInRound);
    }
}
