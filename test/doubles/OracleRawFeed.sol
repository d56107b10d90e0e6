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

    /// @notice Bytes latestRoundData and getRoundData return (0: the five words, abi-encoded): cut short or padded
    ///         with zeros to it.
    uint256 public returnSize;
    /// @notice Revert, with the five words (at `returnSize`) as revert data, instead of returning them.
    bool public revertWithWords;

    /// @notice Sets the shape of every answer (see `returnSize` and `revertWithWords`).
    function setShape(uint256 size, bool revertIt) external {
        (returnSize, revertWithWords) = (size, revertIt);
    }

    function latestRoundData() external view returns (uint256, int256, uint256, uint256, uint256) {
        _shaped(latest);
        return _words(latest);
    }

    function getRoundData(uint80) external view returns (uint256, int256, uint256, uint256, uint256) {
        _shaped(previous);
        return _words(previous);
    }

    /// @dev With a shape set, ends the call here: the five words in `returnSize` bytes, returned or reverted. Past the
    ///      five words is whatever memory holds there (zeros in practice); no reader may look at it.
    function _shaped(RoundWords memory w) private view {
        uint256 size = returnSize;
        bool revertIt = revertWithWords;
        if (size == 0 && !revertIt) return;
        if (size == 0) size = 160;
        (uint256 a, int256 b, uint256 c, uint256 d, uint256 e) = _words(w);
        bytes memory five = abi.encode(a, b, c, d, e);
        assembly ("memory-safe") {
            if revertIt {
                revert(add(five, 0x20), size)
            }
            return(add(five, 0x20), size)
        }
    }

    function _words(RoundWords memory w) private pure returns (uint256, int256, uint256, uint256, uint256) {
        return (w.roundId, w.answer, w.startedAt, w.updatedAt, w.answeredInRound);
    }
}
