// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV2V3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV2V3Interface.sol";

/// @title MirrorAggregatorProxy
/// @notice A test double of Chainlink's mainnet feed proxy (`EACAggregatorProxy`, i.e. `AggregatorProxy` + `Owned`),
///         for the offline fork-mode test: an owned proxy whose owner can swap the aggregator behind it in two steps
///         (propose, then confirm), each swap starting a new phase. Reads add the phase to the aggregator's round ids
///         exactly as the mainnet proxy does. Test helper only.
/// @dev What is mirrored: the phase encoding (proxy round id = phaseId << 64 | uint64(aggregator round id), for the
///      round id and answeredInRound alike), `getRoundData` decoding the phase and asking that phase's aggregator,
///      the deprecated V2 reads (0 for a round id above 2^80 - 1 or a phase with no aggregator), `proposed*` reads,
///      the owner-only two-step aggregator change (confirming deletes the proposal; confirming the zero address with
///      nothing proposed is accepted, as on mainnet) and the two-step ownership transfer of `Owned`.
///      What differs: custom errors instead of revert strings; AggregatorProposed/AggregatorConfirmed events (the
///      mainnet proxy emits none); no access controller (the mainnet USD feeds read here have none); `getRoundData`
///      of a phase without an aggregator reverts with NoPhaseAggregator (mainnet reverts without data).
///      Invariants:
///      - MP-1: phaseId starts at 1 (the constructor's aggregator) and rises by exactly 1 per confirmed aggregator;
///        phaseAggregators(phaseId) == aggregator() always.
///      - MP-2: only the owner proposes, confirms and starts an ownership transfer; only the pending owner accepts.
///      - MP-3: a confirmed aggregator is the one proposed, and the proposal is cleared by the confirmation.
contract MirrorAggregatorProxy is AggregatorV2V3Interface {
    /// @notice Thrown when a caller other than the owner calls an owner-only function.
    error OnlyOwner(address caller);
    /// @notice Thrown when a caller other than the pending owner accepts ownership.
    error NotPendingOwner(address caller);
    /// @notice Thrown by confirmAggregator when `aggregator` is not the proposed one.
    error InvalidProposedAggregator(address aggregator, address proposed);
    /// @notice Thrown by the proposed* reads when nothing is proposed.
    error NoProposedAggregator();
    /// @notice Thrown by getRoundData for a phase that never had an aggregator.
    error NoPhaseAggregator(uint16 phaseId);

    /// @notice Emitted when the owner starts an ownership transfer (as `Owned`).
    event OwnershipTransferRequested(address indexed from, address indexed to);
    /// @notice Emitted when the pending owner accepts ownership (as `Owned`).
    event OwnershipTransferred(address indexed from, address indexed to);
    /// @notice Emitted when the owner proposes an aggregator (test double only).
    event AggregatorProposed(address indexed current, address indexed proposed);
    /// @notice Emitted when the owner confirms an aggregator, starting phase `phaseId` (test double only).
    event AggregatorConfirmed(address indexed previous, address indexed latest, uint16 phaseId);

    struct Phase {
        uint16 id;
        AggregatorV2V3Interface aggregator;
    }

    uint256 private constant PHASE_OFFSET = 64;
    uint256 private constant PHASE_SIZE = 16;
    uint256 private constant MAX_ID = 2 ** (PHASE_OFFSET + PHASE_SIZE) - 1;

    /// @notice The account allowed to change the aggregator and the owner.
    address public owner;
    /// @notice The aggregator proposed and not yet confirmed (zero: none).
    AggregatorV2V3Interface public proposedAggregator;
    /// @notice The aggregator of each phase (zero for a phase that never was).
    mapping(uint16 phaseId => AggregatorV2V3Interface) public phaseAggregators;

    Phase private _currentPhase;
    address private _pendingOwner;

    /// @param aggregator_ The first aggregator (phase 1).
    /// @param owner_ The owner (on mainnet, the deployer; a parameter here so that a test can make another account
    ///        the owner in one transaction).
    constructor(address aggregator_, address owner_) {
        owner = owner_;
        _setAggregator(aggregator_);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert OnlyOwner(msg.sender);
        _;
    }

    modifier hasProposal() {
        if (address(proposedAggregator) == address(0)) revert NoProposedAggregator();
        _;
    }

    // ------------------------------------------------------------------------------------------------ ownership

    /// @notice Starts transferring ownership to `to`; `to` must accept. Owner only.
    /// @param to The proposed owner.
    function transferOwnership(address to) external onlyOwner {
        _pendingOwner = to;
        emit OwnershipTransferRequested(owner, to);
    }

    /// @notice Completes an ownership transfer; only the pending owner may call.
    function acceptOwnership() external {
        if (msg.sender != _pendingOwner) revert NotPendingOwner(msg.sender);
        address previous = owner;
        owner = msg.sender;
        _pendingOwner = address(0);
        emit OwnershipTransferred(previous, msg.sender);
    }

    // ------------------------------------------------------------------------------------------------ aggregator

    /// @notice Proposes `next` as the next aggregator (replacing any earlier proposal). Owner only.
    /// @param next The aggregator to confirm next.
    function proposeAggregator(address next) external onlyOwner {
        proposedAggregator = AggregatorV2V3Interface(next);
        emit AggregatorProposed(address(_currentPhase.aggregator), next);
    }

    /// @notice Confirms the proposed aggregator: it becomes current in a new phase. Owner only.
    /// @dev Reverts with InvalidProposedAggregator when `next` is not the proposed one.
    /// @param next Must equal proposedAggregator().
    function confirmAggregator(address next) external onlyOwner {
        if (next != address(proposedAggregator)) {
            revert InvalidProposedAggregator(next, address(proposedAggregator));
        }
        address previous = address(_currentPhase.aggregator);
        delete proposedAggregator;
        _setAggregator(next);
        emit AggregatorConfirmed(previous, next, _currentPhase.id);
    }

    /// @notice The current phase's aggregator.
    function aggregator() external view returns (address) {
        return address(_currentPhase.aggregator);
    }

    /// @notice The current phase (1 for the constructor's aggregator, +1 per confirmation).
    function phaseId() external view returns (uint16) {
        return _currentPhase.id;
    }

    // ------------------------------------------------------------------------------------------------ V3 reads

    /// @notice The current aggregator's decimals.
    function decimals() external view override returns (uint8) {
        return _currentPhase.aggregator.decimals();
    }

    /// @notice The current aggregator's description.
    function description() external view override returns (string memory) {
        return _currentPhase.aggregator.description();
    }

    /// @notice The current aggregator's version.
    function version() external view override returns (uint256) {
        return _currentPhase.aggregator.version();
    }

    /// @notice Round `roundId` as the proxy presents it: phase in bits 64..79, the aggregator's round below.
    /// @dev Asks that phase's aggregator for its round uint64(roundId); reverts as it does for an unknown round.
    /// @param roundId A proxy round id.
    function getRoundData(
        uint80 roundId
    )
        external
        view
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        (uint16 phase, uint64 aggregatorRoundId) = _parseIds(roundId);
        AggregatorV2V3Interface source = phaseAggregators[phase];
        if (address(source) == address(0)) revert NoPhaseAggregator(phase);
        (id, answer, startedAt, updatedAt, answeredInRound) = source.getRoundData(aggregatorRoundId);
        return (_addPhase(phase, uint64(id)), answer, startedAt, updatedAt, _addPhase(phase, uint64(answeredInRound)));
    }

    /// @notice The current aggregator's latest round, with the current phase added to its round ids.
    function latestRoundData()
        external
        view
        override
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Phase memory current = _currentPhase;
        (id, answer, startedAt, updatedAt, answeredInRound) = current.aggregator.latestRoundData();
        return (
            _addPhase(current.id, uint64(id)),
            answer,
            startedAt,
            updatedAt,
            _addPhase(current.id, uint64(answeredInRound))
        );
    }

    /// @notice The proposed aggregator's round `roundId` (its own ids, no phase). Reverts when nothing is proposed.
    /// @param roundId An aggregator round id.
    function proposedGetRoundData(
        uint80 roundId
    )
        external
        view
        hasProposal
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return proposedAggregator.getRoundData(roundId);
    }

    /// @notice The proposed aggregator's latest round (its own ids, no phase). Reverts when nothing is proposed.
    function proposedLatestRoundData()
        external
        view
        hasProposal
        returns (uint80 id, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return proposedAggregator.latestRoundData();
    }

    // ------------------------------------------------------------------------------------------------ V2 reads

    /// @notice The current aggregator's latest answer (deprecated read).
    function latestAnswer() external view override returns (int256) {
        return _currentPhase.aggregator.latestAnswer();
    }

    /// @notice The current aggregator's latest timestamp (deprecated read).
    function latestTimestamp() external view override returns (uint256) {
        return _currentPhase.aggregator.latestTimestamp();
    }

    /// @notice The current aggregator's latest round id with the current phase added (deprecated read).
    function latestRound() external view override returns (uint256) {
        Phase memory current = _currentPhase;
        return _addPhase(current.id, uint64(current.aggregator.latestRound()));
    }

    /// @notice The answer of proxy round `roundId` (deprecated read): 0 for an id out of range or an unknown phase.
    /// @param roundId A proxy round id.
    function getAnswer(uint256 roundId) external view override returns (int256) {
        if (roundId > MAX_ID) return 0;
        (uint16 phase, uint64 aggregatorRoundId) = _parseIds(roundId);
        AggregatorV2V3Interface source = phaseAggregators[phase];
        if (address(source) == address(0)) return 0;
        return source.getAnswer(aggregatorRoundId);
    }

    /// @notice The timestamp of proxy round `roundId` (deprecated read): 0 for an id out of range or an unknown phase.
    /// @param roundId A proxy round id.
    function getTimestamp(uint256 roundId) external view override returns (uint256) {
        if (roundId > MAX_ID) return 0;
        (uint16 phase, uint64 aggregatorRoundId) = _parseIds(roundId);
        AggregatorV2V3Interface source = phaseAggregators[phase];
        if (address(source) == address(0)) return 0;
        return source.getTimestamp(aggregatorRoundId);
    }

    // ------------------------------------------------------------------------------------------------ internals

    function _setAggregator(address aggregator_) private {
        uint16 id = _currentPhase.id + 1;
        _currentPhase = Phase(id, AggregatorV2V3Interface(aggregator_));
        phaseAggregators[id] = AggregatorV2V3Interface(aggregator_);
    }

    function _addPhase(uint16 phase, uint64 originalId) private pure returns (uint80) {
        return uint80((uint256(phase) << PHASE_OFFSET) | originalId);
    }

    function _parseIds(uint256 roundId) private pure returns (uint16 phase, uint64 aggregatorRoundId) {
        phase = uint16(roundId >> PHASE_OFFSET);
        aggregatorRoundId = uint64(roundId);
    }
}

/// @notice An owned contract with `owner()` and `aggregator()` but no way to change the aggregator: what
///         scripts/lib/sim/fork.ts `repointFeed` must refuse with a clear error (a feed that is not an owned Chainlink
///         aggregator proxy). Test helper only.
/// @dev Invariant: nothing changes after construction.
contract FixedFeedHolder {
    /// @notice The owner (has no power here).
    address public immutable owner;
    /// @notice The aggregator, fixed.
    address public immutable aggregator;

    /// @param aggregator_ The fixed aggregator.
    /// @param owner_ The owner.
    constructor(address aggregator_, address owner_) {
        aggregator = aggregator_;
        owner = owner_;
    }

    /// @notice The aggregator's decimals.
    function decimals() external view returns (uint8) {
        return AggregatorV2V3Interface(aggregator).decimals();
    }
}
