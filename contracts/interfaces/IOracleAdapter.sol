// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {IPriceOracle} from "./IPriceOracle.sol";

/// @title IOracleAdapter
/// @notice Bulwark's price oracle (see IPriceOracle) as its governance and monitors see it: per asset a Chainlink
///         primary feed, an optional secondary (another feed, or a Uniswap v3 TWAP priced through a quote token's
///         feed), heartbeats, plausible bounds, a deviation threshold and a bound on unconfirmed moves. Every read
///         returns a status and its reason; `poke` records status changes for monitors.
interface IOracleAdapter is IPriceOracle {
    /// @notice An asset's sources and bounds, as governance sets them. Prices are WAD USD per whole token.
    /// @param primary The Chainlink feed (proxy) the price comes from.
    /// @param primaryHeartbeat Seconds between the primary's guaranteed updates.
    /// @param secondary Optional cross-check feed (address(0) for none).
    /// @param secondaryHeartbeat Seconds between the secondary's guaranteed updates.
    /// @param minPrice An answer at or below this is a failed feed (a feed pinned at its floor). Must sit at least
    ///        CLAMP_MARGIN above each feed's own `minAnswer` clamp where the feed exposes it (`feedClamp`), so a feed
    ///        pinned at its clamp while the market falls through it is never OK.
    /// @param maxPrice An answer at or above this is a failed feed; at least CLAMP_MARGIN below each `maxAnswer`.
    /// @param maxDeviation Largest relative gap between the sources before the price is DEGRADED.
    /// @param maxJump Largest relative move between consecutive rounds before it needs confirming; 0 disables.
    /// @param jumpWindow Consecutive rounds further apart than this are not compared. With `maxJump` on, at least
    ///        `primaryHeartbeat` + the larger of `primaryHeartbeat` and the adapter's staleness grace, so a heartbeat
    ///        round, even late, is compared too.
    struct AssetConfigInput {
        AggregatorV3Interface primary;
        uint32 primaryHeartbeat;
        AggregatorV3Interface secondary;
        uint32 secondaryHeartbeat;
        uint128 minPrice;
        uint128 maxPrice;
        uint64 maxDeviation;
        uint64 maxJump;
        uint32 jumpWindow;
    }

    /// @notice One price source as stored: the feed, its heartbeat, and its decimals (read when it is set).
    struct Source {
        AggregatorV3Interface feed;
        uint32 heartbeat;
        uint8 decimals;
    }

    /// @notice An asset's stored configuration (`assetConfig`).
    struct AssetConfig {
        Source primary;
        Source secondary;
        uint128 minPrice;
        uint128 maxPrice;
        uint64 maxDeviation;
        uint64 maxJump;
        uint32 jumpWindow;
    }

    /// @notice A Uniswap v3 TWAP secondary: the pool, its window, and how to turn its tick into a USD price.
    struct TwapSource {
        IUniswapV3Pool pool;
        uint32 window;
        bool assetIsToken0;
        uint8 assetDecimals;
        uint8 quoteDecimals;
        address quote;
    }

    // ----------------------------------------------------------------- errors

    /// @notice Thrown when a feed is not a contract, or its decimals() reverts or exceeds MAX_FEED_DECIMALS.
    error InvalidFeed(address feed);
    /// @notice The feed's latest round is incomplete (`answeredInRound < roundId`) when it is configured: a feed that
    ///         never fills answeredInRound would read STALE forever, so it is refused (INV-22).
    error FeedRoundIncomplete(address feed, uint256 roundId, uint256 answeredInRound);
    /// @notice Thrown when a heartbeat is zero or above MAX_HEARTBEAT.
    error HeartbeatOutOfBounds(uint256 heartbeat);
    /// @notice Thrown when a grace period is above its maximum.
    error GraceOutOfBounds(uint256 grace, uint256 max);
    /// @notice Thrown when the price bounds are not 0 < minPrice < maxPrice.
    error PriceBoundsInvalid(uint256 minPrice, uint256 maxPrice);
    /// @notice Thrown when the bounds cannot see `feed`'s own clamp: `minPrice` is not at least CLAMP_MARGIN above
    ///         its `minAnswer` (`floor`, WAD), or `maxPrice` not at least CLAMP_MARGIN below its `maxAnswer`
    ///         (`ceiling`, WAD; 0 when it exposes none). A pinned answer would then read as a live price.
    error BoundsBlindToClamp(address feed, uint256 floor, uint256 ceiling, uint256 minPrice, uint256 maxPrice);
    /// @notice Thrown when the deviation threshold is outside [MIN_DEVIATION, MAX_DEVIATION].
    error DeviationOutOfBounds(uint256 maxDeviation);
    /// @notice Thrown when the jump bound is neither 0 (off) nor inside [MIN_JUMP, MAX_JUMP], its window is too long, or
    ///         (with the bound on) shorter than the primary's heartbeat + the larger of its heartbeat and the grace.
    error JumpOutOfBounds(uint256 maxJump, uint256 jumpWindow);
    /// @notice Thrown when the caller left too little gas to give a source its full FEED_GAS_LIMIT: a starved call
    ///         must not make a healthy feed look FAILED (anti-griefing).
    error InsufficientGasForFeed();
    /// @notice Thrown when an address argument that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown by `renounceOwnership`: governance can be handed over (in two steps), never abandoned, so
    ///         parameters can always be corrected and the guardian always replaced.
    error RenounceDisabled();
    /// @notice Thrown when a TWAP source cannot serve `asset`: the asset or the quote has no primary feed, the asset
    ///         already has a secondary feed, the pool is not a contract holding exactly the asset and the quote, or a
    ///         token has more than 18 decimals.
    error TwapSourceInvalid(address asset, address pool);
    /// @notice Thrown when the TWAP window is outside [MIN_TWAP_WINDOW, MAX_TWAP_WINDOW].
    error TwapWindowOutOfBounds(uint256 window);

    // ----------------------------------------------------------------- events

    /// @notice Emitted when governance configures an asset's sources and bounds.
    event AssetConfigured(address indexed asset, AssetConfigInput config);
    /// @notice Emitted when governance removes an asset (its reads become FAILED / NOT_CONFIGURED).
    event AssetRemoved(address indexed asset);
    /// @notice Emitted when governance sets a Uniswap v3 TWAP as `asset`'s secondary source.
    event TwapSourceSet(address indexed asset, address indexed pool, address indexed quote, uint32 window);
    /// @notice Emitted when an asset's TWAP source is removed (explicitly, or replaced by a secondary feed).
    event TwapSourceRemoved(address indexed asset);
    /// @notice Emitted by `poke` when an asset's status or reason changed since the last poke.
    event PriceStatusChanged(
        address indexed asset,
        Status previousStatus,
        Status status,
        Reason reason,
        uint256 low,
        uint256 high
    );

    // ----------------------------------------------------------------- governance (the timelock) and monitors

    /// @notice Sets `asset`'s sources and bounds. Reads each feed's decimals and latest round (refused with
    ///         `FeedRoundIncomplete` while it is incomplete; the read is given FEED_GAS_LIMIT, so the call needs that
    ///         much gas per feed); a new source takes effect at once, so the owner must be the timelock (INV-26).
    /// @param asset The token priced.
    /// @param config Sources and bounds; see AssetConfigInput.
    function setAssetConfig(address asset, AssetConfigInput calldata config) external;

    /// @notice Uses `pool`'s time-weighted average price over `window` seconds as `asset`'s secondary source, priced
    ///         in USD through `quote`'s primary feed. `asset` must have a primary feed and no secondary feed; the pool
    ///         must hold exactly `asset` and `quote`, and should keep enough observations for the window (a pool
    ///         that cannot answer makes the secondary fail, and the price DEGRADED).
    /// @param asset The token priced.
    /// @param pool The Uniswap v3 pool of `asset` against `quote`.
    /// @param window Averaging window in seconds, inside [MIN_TWAP_WINDOW, MAX_TWAP_WINDOW].
    /// @param quote The pool's other token, which must have a primary feed here.
    function setTwapSource(address asset, IUniswapV3Pool pool, uint32 window, address quote) external;

    /// @notice Removes `asset`'s TWAP source.
    /// @param asset The token.
    function removeTwapSource(address asset) external;

    /// @notice Removes `asset`: its reads become FAILED with reason NOT_CONFIGURED.
    /// @param asset The token to stop pricing.
    function removeAsset(address asset) external;

    /// @notice Reads `asset`'s price and, when its status or reason changed since the last poke, records it and
    ///         emits PriceStatusChanged. Permissionless: keepers and monitors call it; the circuit breaker acts on it.
    /// @param asset The token to check.
    /// @return price The read.
    function poke(address asset) external returns (Price memory price);

    /// @notice `poke` for several assets.
    /// @param assets The tokens to check.
    function pokeMany(address[] calldata assets) external;

    /// @notice `asset`'s TWAP source (pool address zero when it has none).
    /// @param asset The token.
    function twapSource(address asset) external view returns (TwapSource memory);

    /// @notice The clamp a Chainlink feed applies to its answers, read from its current aggregator (`aggregator()`,
    ///         then `minAnswer()`/`maxAnswer()`) or from the feed itself, in WAD USD; (0, 0) when it exposes none.
    ///         `setAssetConfig` refuses bounds that cannot see it; monitors compare it with the configured bounds
    ///         after Chainlink replaces an aggregator.
    /// @param feed The feed (proxy).
    function feedClamp(AggregatorV3Interface feed) external view returns (uint256 floor, uint256 ceiling);

    /// @notice The secondary source alone (Chainlink feed or TWAP), for monitors: its price and NONE, or 0 and why it
    ///         is unusable (NOT_CONFIGURED when the asset has no secondary).
    /// @param asset The token.
    function secondaryPrice(address asset) external view returns (uint256 price, Reason reason);

    /// @notice The status and reason recorded by the last poke of `asset` (OK/NONE before any).
    /// @param asset The token.
    function lastStatus(address asset) external view returns (Status status, Reason reason);

    /// @notice `asset`'s stored configuration, with the decimals read from each feed.
    /// @param asset The token.
    function assetConfig(address asset) external view returns (AssetConfig memory);
}
