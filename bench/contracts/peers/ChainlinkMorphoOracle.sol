// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IOracle} from "@morpho-org/morpho-blue/src/interfaces/IOracle.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ChainlinkMorphoOracle
/// @notice A Chainlink-backed oracle for a Morpho Blue market, built for the side-by-side gas bench
///         (`npm run bench`, scripts/lib/morpho.ts): the collateral's USD price over the loan asset's USD price, each
///         from its own Chainlink feed, scaled as Morpho's `IOracle` requires.
/// @dev Peer adapter, not part of Bulwark. It validates no more than Morpho's own ChainlinkOracle
///      (morpho-org/morpho-blue-oracles) does: no staleness, round or sequencer check, no bounds, no second source;
///      only a non-positive answer is rejected (Morpho's rejects negative ones). Bulwark's OracleAdapter does all of
///      those, so the bench compares each protocol with the oracle it would ship with.
///      Invariants:
///      - price() = collateralAnswer × 10^SCALE_EXPONENT / loanAnswer, rounded down, where
///        SCALE_EXPONENT = 36 + loanDecimals + loanFeedDecimals − collateralDecimals − collateralFeedDecimals
///        (applied as a multiplier when non-negative, a divisor of the loan answer when negative);
///      - price() never returns a price from a zero or negative answer: it reverts NonPositiveAnswer;
///      - feeds and decimals are immutable.
contract ChainlinkMorphoOracle is IOracle {
    /// @notice Largest |SCALE_EXPONENT|: 10^77 is the largest power of ten a uint256 holds.
    uint256 public constant MAX_SCALE_EXPONENT = 77;

    /// @notice Thrown when a feed address is zero.
    error ZeroFeed();
    /// @notice Thrown when the decimals make 10^|SCALE_EXPONENT| overflow a uint256.
    /// @param exponent The scale exponent the decimals give.
    error ScaleOutOfRange(int256 exponent);
    /// @notice Thrown by price() when a feed's latest answer is zero or negative.
    /// @param feed The feed that returned it.
    /// @param answer Its answer.
    error NonPositiveAnswer(address feed, int256 answer);

    /// @notice Feed of the collateral asset's price (in USD, say).
    AggregatorV3Interface public immutable collateralFeed;
    /// @notice Feed of the loan asset's price, in the same quote as collateralFeed.
    AggregatorV3Interface public immutable loanFeed;
    /// @notice The exponent of ten that turns the answers' ratio into Morpho's 1e36-scaled price (see the invariants).
    int256 public immutable SCALE_EXPONENT;
    /// @dev 10^SCALE_EXPONENT when non-negative, else 1.
    uint256 private immutable _scaleUp;
    /// @dev 10^−SCALE_EXPONENT when negative, else 1.
    uint256 private immutable _scaleDown;

    /// @param collateralFeed_ Feed of the collateral asset.
    /// @param collateralDecimals Decimals of the collateral token.
    /// @param loanFeed_ Feed of the loan asset, in the same quote currency.
    /// @param loanDecimals Decimals of the loan token.
    constructor(
        AggregatorV3Interface collateralFeed_,
        uint8 collateralDecimals,
        AggregatorV3Interface loanFeed_,
        uint8 loanDecimals
    ) {
        if (address(collateralFeed_) == address(0) || address(loanFeed_) == address(0)) revert ZeroFeed();
        collateralFeed = collateralFeed_;
        loanFeed = loanFeed_;
        int256 exponent =
            36 +
                int256(uint256(loanDecimals)) +
                int256(uint256(loanFeed_.decimals())) -
                int256(uint256(collateralDecimals)) -
                int256(uint256(collateralFeed_.decimals()));
        uint256 magnitude = exponent >= 0 ? uint256(exponent) : uint256(-exponent);
        if (magnitude > MAX_SCALE_EXPONENT) revert ScaleOutOfRange(exponent);
        SCALE_EXPONENT = exponent;
        _scaleUp = exponent >= 0 ? 10 ** magnitude : 1;
        _scaleDown = exponent >= 0 ? 1 : 10 ** magnitude;
    }

    /// @inheritdoc IOracle
    /// @dev Reverts NonPositiveAnswer when either feed's latest answer is ≤ 0. Full-precision mulDiv, rounded down.
    function price() external view returns (uint256) {
        uint256 collateralAnswer = _answer(collateralFeed);
        uint256 loanAnswer = _answer(loanFeed);
        return Math.mulDiv(collateralAnswer, _scaleUp, loanAnswer * _scaleDown);
    }

    /// @dev The feed's latest answer; reverts NonPositiveAnswer unless it is > 0.
    function _answer(AggregatorV3Interface feed) private view returns (uint256) {
        (, int256 answer, , , ) = feed.latestRoundData();
        if (answer <= 0) revert NonPositiveAnswer(address(feed), answer);
        return uint256(answer);
    }
}
