// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @notice A Chainlink-like feed for tests: behaves like a real proxy (phase-encoded round ids, a history of rounds
///         readable with getRoundData, answeredInRound) and can misbehave on demand (revert, return malformed data,
///         burn all gas) to exercise the oracle adapter's defences. Test helper only.
contract TestAggregator is AggregatorV3Interface {
    /// @notice Thrown by getRoundData for a round that does not exist, as real aggregators do.
    error NoDataPresent();
    /// @notice Thrown by every read in Mode.Revert.
    error FeedDown();
    /// @notice Thrown by `minAnswer`/`maxAnswer` until `setClamp`: a feed that exposes no clamp.
    error NoClamp();

    enum Mode {
        Normal,
        Revert,
        Malformed,
        BurnGas
    }

    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    uint8 public immutable override decimals;
    string public override description;

    Mode public mode;
    uint16 public phaseId = 1;
    uint64 public latestAggregatorRound;
    mapping(uint80 roundId => Round) private _rounds;
    /// @notice Whether answers are clamped to [minAnswer, maxAnswer], as a Chainlink OCR aggregator does.
    bool public clamped;
    int192 private _minAnswer;
    int192 private _maxAnswer;

    constructor(uint8 decimals_, string memory description_) {
        decimals = decimals_;
        description = description_;
    }

    function version() external pure override returns (uint256) {
        return 4;
    }

    /// @notice Publishes a new round with `answer`, updated now.
    function push(int256 answer) external {
        pushAt(answer, block.timestamp, block.timestamp);
    }

    /// @notice Publishes a new round with explicit timestamps (to model stale or future rounds). Clamped, once
    ///         `setClamp` was called: an answer below `minAnswer` is published as `minAnswer` (a pinned feed).
    function pushAt(int256 answer, uint256 startedAt, uint256 updatedAt) public {
        if (clamped && answer < _minAnswer) answer = _minAnswer;
        if (clamped && answer > _maxAnswer) answer = _maxAnswer;
        latestAggregatorRound += 1;
        _rounds[_roundId(latestAggregatorRound)] = Round(answer, startedAt, updatedAt);
    }

    /// @notice Starts a new phase (a new underlying aggregator behind the proxy): round numbering restarts at 1.
    function newPhase() external {
        phaseId += 1;
        latestAggregatorRound = 0;
    }

    /// @notice From now on answers are clamped to [min, max] and the feed exposes `minAnswer`/`maxAnswer`.
    function setClamp(int192 min, int192 max) external {
        (clamped, _minAnswer, _maxAnswer) = (true, min, max);
    }

    /// @notice The lowest answer this feed can publish (as an OCR aggregator's `minAnswer`).
    function minAnswer() external view returns (int192) {
        if (!clamped) revert NoClamp();
        return _minAnswer;
    }

    /// @notice The highest answer this feed can publish (as an OCR aggregator's `maxAnswer`).
    function maxAnswer() external view returns (int192) {
        if (!clamped) revert NoClamp();
        return _maxAnswer;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(_roundId(latestAggregatorRound));
    }

    function getRoundData(uint80 roundId) public view override returns (uint80, int256, uint256, uint256, uint80) {
        _misbehave();
        Round memory r = _rounds[roundId];
        if (r.updatedAt == 0 && r.startedAt == 0 && r.answer == 0) revert NoDataPresent();
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function _roundId(uint64 aggregatorRound) private view returns (uint80) {
        return (uint80(phaseId) << 64) | aggregatorRound;
    }

    function _misbehave() private view {
        Mode m = mode;
        if (m == Mode.Revert) revert FeedDown();
        if (m == Mode.Malformed) {
            assembly {
                mstore(0, 1)
                return(0, 32) // one word where five are expected
            }
        }
        if (m == Mode.BurnGas) {
            // Spin until out of gas, like a griefing or broken feed.
            uint256 x;
            while (true) x = uint256(keccak256(abi.encode(x)));
        }
    }
}
