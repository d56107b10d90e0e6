// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IVolatilityOracle} from "../interfaces/IVolatilityOracle.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {Bounds} from "../libraries/Bounds.sol";

/// @title VolatilityOracle
/// @notice Estimates each tracked asset's annualised volatility on chain from the oracle adapter's accepted prices
///         (the formula is on the interface). The risk manager reads it to tighten borrow LTVs and thresholds.
/// @dev Invariants:
///      - Only an OK price is ever sampled, and no two samples of an asset are closer than its `minInterval`.
///      - The estimate never exceeds MAX_VARIANCE, and the same samples always give the same estimate (no input but
///        the adapter's price and the block time).
///      - An update changes only its own asset's state; a failed one changes nothing.
///      - Configuration changes only through the owner (the timelock) and inside the bounds below.
contract VolatilityOracle is IVolatilityOracle, Ownable2Step {
    using FixedPointMath for uint256;

    /// @notice Seconds in a year (365 days): the annualisation factor.
    uint256 public constant YEAR = 365 days;
    /// @notice Shortest sampling interval: one minute, so a sample spans at least a few blocks of price updates.
    uint32 public constant MIN_INTERVAL = 1 minutes;
    /// @notice Longest sampling interval: one day; a slower estimate would miss a crash entirely.
    uint32 public constant MAX_INTERVAL = 1 days;
    /// @notice Smallest weight of a new sample: 1%, a half-life of about 69 samples.
    uint64 public constant MIN_ALPHA = 0.01e18;
    /// @notice Largest weight of a new sample: 50%; above it one sample is the estimate.
    uint64 public constant MAX_ALPHA = 0.5e18;
    /// @notice Highest seed volatility: 1000% a year.
    uint64 public constant MAX_SEED_VOLATILITY = 10e18;
    /// @notice Cap on the annualised variance and on every sample: σ = 1000%, far beyond any threshold's reach.
    uint256 public constant MAX_VARIANCE = 100e18;

    uint256 private constant WAD = 1e18;

    /// @inheritdoc IVolatilityOracle
    IPriceOracle public immutable oracle;

    mapping(address asset => Config) private _configs;
    mapping(address asset => State) private _states;

    /// @param oracle_ Bulwark's oracle adapter (the vault's price source).
    /// @param owner_ Governance: the timelock in production.
    constructor(IPriceOracle oracle_, address owner_) Ownable(owner_) {
        if (address(oracle_) == address(0)) revert ZeroAddress();
        oracle = oracle_;
    }

    // ================================================================= updates

    /// @inheritdoc IVolatilityOracle
    function update(address asset) external returns (uint256) {
        Config memory tracking = _configs[asset];
        if (tracking.minInterval == 0) revert NotTracked(asset);
        State memory history = _states[asset];
        uint256 nextAt;
        unchecked {
            nextAt = uint256(history.lastUpdate) + tracking.minInterval; // a uint40 plus a uint32: no overflow
        }
        if (history.lastUpdate != 0 && block.timestamp < nextAt) revert UpdateTooEarly(asset, nextAt);
        IPriceOracle.Price memory read = oracle.getPrice(asset);
        if (read.status != IPriceOracle.Status.OK || read.low == 0)
            revert PriceNotAccepted(asset, read.status, read.reason);
        return _sample(asset, tracking, history, read.low);
    }

    /// @inheritdoc IVolatilityOracle
    function updateMany(address[] calldata assets) external returns (uint256 updated) {
        for (uint256 i; i < assets.length; ++i) {
            address asset = assets[i];
            (bool due, uint256 price) = _due(asset);
            if (!due) continue;
            _sample(asset, _configs[asset], _states[asset], price);
            ++updated;
        }
    }

    // ================================================================= views

    /// @inheritdoc IVolatilityOracle
    function isDue(address asset) external view returns (bool due) {
        (due, ) = _due(asset);
    }

    /// @inheritdoc IVolatilityOracle
    function volatility(address asset) external view returns (uint256) {
        return _states[asset].variance.sqrtWadDown();
    }

    /// @inheritdoc IVolatilityOracle
    function state(address asset) external view returns (State memory) {
        return _states[asset];
    }

    /// @inheritdoc IVolatilityOracle
    function config(address asset) external view returns (Config memory) {
        return _configs[asset];
    }

    // ================================================================= governance

    /// @inheritdoc IVolatilityOracle
    function setTracking(address asset, Config calldata tracking) external onlyOwner {
        if (asset == address(0)) revert ZeroAddress();
        if (tracking.minInterval == 0 && tracking.alpha == 0 && tracking.seedVolatility == 0) {
            delete _configs[asset];
            delete _states[asset];
            emit TrackingSet(asset, tracking);
            return;
        }
        Bounds.check("minInterval", tracking.minInterval, MIN_INTERVAL, MAX_INTERVAL);
        Bounds.check("alpha", tracking.alpha, MIN_ALPHA, MAX_ALPHA);
        Bounds.check("seedVolatility", tracking.seedVolatility, 0, MAX_SEED_VOLATILITY);
        bool fresh = _configs[asset].minInterval == 0;
        _configs[asset] = tracking;
        if (fresh) _states[asset].variance = uint256(tracking.seedVolatility).wadMulUp(tracking.seedVolatility);
        emit TrackingSet(asset, tracking);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less estimator could never be configured again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= internal

    /// @dev Folds the return from the last sample to `price` into the estimate (the interface's formula).
    function _sample(
        address asset,
        Config memory tracking,
        State memory history,
        uint256 price
    ) internal returns (uint256 vol) {
        int256 logReturn;
        uint256 variance = history.variance;
        if (history.lastPrice != 0) {
            // A fall of more than 1e18× rounds the ratio to 0; it counts as a fall of exactly 1e18× (ln = −41.4).
            uint256 ratio = price.wadDivDown(history.lastPrice);
            logReturn = FixedPointMath.lnWad(ratio == 0 ? 1 : ratio);
            uint256 r2 = uint256(logReturn * logReturn) / WAD;
            uint256 sample = r2.mulDivUp(YEAR, block.timestamp - history.lastUpdate);
            if (sample > MAX_VARIANCE) sample = MAX_VARIANCE;
            variance = variance.wadMulUp(WAD - tracking.alpha) + sample.wadMulUp(tracking.alpha);
            if (variance > MAX_VARIANCE) variance = MAX_VARIANCE;
            history.samples += 1;
        }
        history.lastPrice = SafeCast.toUint128(price);
        history.lastUpdate = uint40(block.timestamp);
        history.variance = variance;
        _states[asset] = history;
        vol = variance.sqrtWadDown();
        emit VolatilityUpdated(asset, price, logReturn, variance, vol);
    }

    /// @dev Whether `asset` may be sampled now, and at what price.
    function _due(address asset) internal view returns (bool, uint256) {
        Config memory tracking = _configs[asset];
        if (tracking.minInterval == 0) return (false, 0);
        State memory history = _states[asset];
        if (history.lastUpdate != 0 && block.timestamp < uint256(history.lastUpdate) + tracking.minInterval)
            return (false, 0);
        IPriceOracle.Price memory read = oracle.getPrice(asset);
        // A price beyond uint128 cannot be stored: skipped here, reverted by `update` (no real asset is near it).
        if (read.status != IPriceOracle.Status.OK || read.low == 0 || read.low > type(uint128).max) return (false, 0);
        return (true, read.low);
    }
}
