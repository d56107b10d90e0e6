// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "./IPriceOracle.sol";

/// @title IVolatilityOracle
/// @notice Each tracked asset's volatility, estimated on chain from the prices the oracle adapter accepts: an
///         exponentially weighted moving average (EWMA) of squared log returns, annualised.
/// @dev One update, at most once per `minInterval`, with price p (OK status only) after the previous sample p₀ taken
///      dt seconds earlier:
///          r  = ln(p / p₀)
///          s  = r² · YEAR / dt                       (the sample's annualised variance)
///          v' = (1 − α) · v + α · s                  (rounded up: a higher estimate is the protocol's side)
///          σ  = √v'                                   (annualised volatility, WAD: 0.8e18 = 80%)
///      Before the first return the estimate is the asset's seed volatility. Samples and the estimate are capped at
///      MAX_VARIANCE, so one absurd print cannot overflow anything (the adapter's bounds stop most of them anyway).
///      Updates are permissionless: the price is the adapter's validated one, which no swap or flash loan moves
///      within a transaction (INV-21), so the caller chooses only when to sample, and no sooner than `minInterval`.
interface IVolatilityOracle {
    /// @notice How one asset is tracked (set by governance, inside the bounds).
    /// @param minInterval Shortest time between two samples, seconds.
    /// @param alpha Weight of the newest sample, WAD (0.1e18: a half-life of about 6.6 samples).
    /// @param seedVolatility Annualised volatility assumed before the first return, WAD.
    struct Config {
        uint32 minInterval;
        uint64 alpha;
        uint64 seedVolatility;
    }

    /// @notice One asset's estimator state.
    /// @param lastPrice The last sampled price, WAD USD per whole token (0 before the first sample).
    /// @param lastUpdate When it was sampled (0 before the first sample).
    /// @param samples Returns folded into the estimate so far.
    /// @param variance The annualised variance estimate, WAD.
    struct State {
        uint128 lastPrice;
        uint40 lastUpdate;
        uint32 samples;
        uint256 variance;
    }

    /// @notice Thrown when an asset is not tracked.
    error NotTracked(address asset);
    /// @notice Thrown when an update comes before `nextAt`.
    error UpdateTooEarly(address asset, uint256 nextAt);
    /// @notice Thrown when the oracle's price is not OK: a doubted price is never sampled.
    error PriceNotAccepted(address asset, IPriceOracle.Status status, IPriceOracle.Reason reason);
    /// @notice Thrown when a configuration value is outside its bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown by `renounceOwnership`: an owner-less estimator could never be configured again.
    error RenounceDisabled();

    /// @notice Emitted when governance sets how `asset` is tracked.
    event TrackingSet(address indexed asset, Config config);
    /// @notice Emitted on every sample: the price, the log return since the last one (0 on the first), the new
    ///         annualised variance and volatility (WAD).
    event VolatilityUpdated(
        address indexed asset,
        uint256 price,
        int256 logReturn,
        uint256 variance,
        uint256 volatility
    );

    /// @notice Samples `asset`'s price and folds its return into the estimate. Permissionless.
    /// @dev Reverts `NotTracked`, `UpdateTooEarly` or `PriceNotAccepted`, changing nothing.
    /// @return volatility The new annualised volatility, WAD.
    function update(address asset) external returns (uint256 volatility);

    /// @notice Updates every asset of `assets` that is due and has an OK price; skips the others. Permissionless.
    /// @return updated How many were updated.
    function updateMany(address[] calldata assets) external returns (uint256 updated);

    /// @notice Whether `update(asset)` would sample now (tracked, interval elapsed, price OK).
    function isDue(address asset) external view returns (bool);

    /// @notice Annualised volatility of `asset`, WAD; 0 for an untracked asset.
    function volatility(address asset) external view returns (uint256);

    /// @notice The estimator state of `asset`.
    function state(address asset) external view returns (State memory);

    /// @notice How `asset` is tracked (all zero when it is not).
    function config(address asset) external view returns (Config memory);

    /// @notice The price source: Bulwark's oracle adapter.
    function oracle() external view returns (IPriceOracle);

    /// @notice Starts, changes or (with an all-zero config) stops tracking `asset`. Only the owner (the timelock).
    /// @dev The first configuration seeds the estimate with `seedVolatility`; later ones keep the estimate.
    function setTracking(address asset, Config calldata config) external;
}
