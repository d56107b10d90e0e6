// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {TwapMath} from "../libraries/TwapMath.sol";

/// @title OracleAdapter
/// @notice Chainlink prices that defend themselves. Per asset: a primary feed, an optional secondary source (another
///         Chainlink feed, or a Uniswap v3 pool's time-weighted average price against a quote token priced by its own
///         primary feed), a
///         heartbeat per feed, the asset's own plausible bounds, a deviation threshold between the sources and a
///         bound on unconfirmed moves; per deployment: an optional L2 sequencer uptime feed. Every read returns a
///         status and its reason instead of reverting.
/// @dev Invariants:
///      - a read never reverts because of a feed (reverting, malformed, absurd or gas-burning feeds are FAILED
///        sources; each call gets FEED_GAS_LIMIT); it reverts only when the caller left too little gas to give a
///        source that budget (InsufficientGasForFeed);
///      - an OK price is > 0, inside the asset's bounds, fresh, from a complete round (answeredInRound ≥ roundId,
///        INV-22), and agrees with the secondary (when configured) and with the previous round (unless confirmed);
///        DEGRADED bounds satisfy 0 < low <= high;
///      - a FAILED read carries no price (low == high == 0) (INV-22, INV-24);
///      - sources and bounds change only through the owner (the timelock, INV-26) and inside the MAX_* bounds;
///        the bounds sit CLAMP_MARGIN inside each feed's own minAnswer/maxAnswer clamp where it exposes one, so a
///        feed pinned at its clamp is OUT_OF_BOUNDS, never OK (issue 19, property 5).
///      The unconfirmed-move check compares the latest round with the round before it on the same feed: a jump is
///      confirmed when the secondary agrees with it, or when the next round stays within the bound of it.
contract OracleAdapter is IOracleAdapter, Ownable2Step {
    using FixedPointMath for uint256;

    /// @notice Longest heartbeat a feed may be configured with (Chainlink's longest are 24 h).
    uint256 public constant MAX_HEARTBEAT = 2 days;
    /// @notice Longest staleness grace on top of the heartbeat.
    uint256 public constant MAX_STALENESS_GRACE = 1 hours;
    /// @notice Longest sequencer grace period after an L2 sequencer restart.
    uint256 public constant MAX_SEQUENCER_GRACE = 1 days;
    /// @notice Widest deviation threshold between the two sources (50%).
    uint256 public constant MAX_DEVIATION = 0.5e18;
    /// @notice Narrowest deviation threshold (0.1%): below it ordinary feed lag would trip it.
    uint256 public constant MIN_DEVIATION = 0.001e18;
    /// @notice Widest bound on an unconfirmed move between consecutive rounds (90%).
    uint256 public constant MAX_JUMP = 0.9e18;
    /// @notice Narrowest bound on an unconfirmed move (1%): below it every deviation-triggered update would trip it.
    uint256 public constant MIN_JUMP = 0.01e18;
    /// @notice Longest window in which two consecutive rounds count as a jump: twice the longest heartbeat (a jump window
    ///         must cover its primary's heartbeat twice, or heartbeat + grace if longer, so a heartbeat round, even
    ///         late, is checked too).
    uint256 public constant MAX_JUMP_WINDOW = 2 * MAX_HEARTBEAT;
    /// @notice How far inside a feed's own clamp (`minAnswer`/`maxAnswer`) the bounds must sit (5%): an answer at or
    ///         near the clamp may be the clamp, not the market, so it is never OK.
    uint256 public constant CLAMP_MARGIN = 0.05e18;
    /// @notice Longest a stale primary's last answer stays a bound of the doubt a TWAP secondary alone leaves, past
    ///         its heartbeat and grace (at most its heartbeat): long enough that a pool held away from the market must
    ///         be held for it, short enough that a real crash the feed missed is liquidated within it.
    uint256 public constant STALE_BOUND_SPAN = 1 hours;
    /// @notice Highest feed decimals supported.
    uint8 public constant MAX_FEED_DECIMALS = 18;
    /// @notice Gas every feed or pool call gets. At least ten times what a Chainlink proxy read costs; a source that
    ///         needs more, or burns it all, is a failed source.
    uint256 public constant FEED_GAS_LIMIT = 300_000;
    /// @dev Gas that must be left before a source call so that the callee really receives FEED_GAS_LIMIT: EIP-150
    ///      forwards at most 63/64 of what remains after the call's own cost (cold account access, memory).
    uint256 private constant GAS_NEEDED_FOR_CALL = (FEED_GAS_LIMIT * 64) / 63 + 10_000;
    /// @notice Shortest TWAP window: a shorter average is cheap to move for a few blocks.
    uint32 public constant MIN_TWAP_WINDOW = 5 minutes;
    /// @notice Longest TWAP window: a longer average lags a real move too much to cross-check it.
    uint32 public constant MAX_TWAP_WINDOW = 1 days;

    /// @dev A feed read: the normalised price, or the reason it is unusable; a STALE read keeps its price for a while
    ///      (see `_read`) as a bound of a doubt, never as a price to act on.
    struct Read {
        uint256 price;
        Reason reason;
        uint80 roundId;
        uint256 updatedAt;
    }

    struct LastStatus {
        Status status;
        Reason reason;
    }

    /// @dev Which secondary source an asset has, kept in the slot every read loads anyway, so that a read loads only
    ///      the secondary it has (none: no secondary slot and no pool slot are read).
    enum SecondaryKind {
        NONE,
        FEED,
        TWAP
    }

    /// @dev An asset's configuration as stored: `assetConfig`'s fields in the order a read needs them (the primary,
    ///      the bounds, the deviation and jump bounds with the secondary's kind: three slots), then the secondary feed.
    struct StoredConfig {
        Source primary;
        uint128 minPrice;
        uint128 maxPrice;
        uint64 maxDeviation;
        uint64 maxJump;
        uint32 jumpWindow;
        SecondaryKind secondaryKind;
        Source secondary;
    }

    /// @notice The L2 sequencer uptime feed, or address(0) on an L1.
    AggregatorV3Interface public immutable sequencerFeed;
    /// @notice Seconds after a sequencer restart during which prices are DEGRADED.
    uint256 public immutable sequencerGrace;
    /// @notice Seconds a feed may be late beyond its heartbeat before it is STALE.
    uint256 public immutable stalenessGrace;

    mapping(address asset => StoredConfig) private _configs;
    mapping(address asset => LastStatus) private _lastStatus;
    mapping(address asset => TwapSource) private _twaps;

    /// @param owner_ Governance: the timelock in production.
    /// @param sequencerFeed_ L2 sequencer uptime feed, or address(0).
    /// @param sequencerGrace_ Grace period after a sequencer restart (≤ MAX_SEQUENCER_GRACE).
    /// @param stalenessGrace_ Lateness tolerated beyond a heartbeat (≤ MAX_STALENESS_GRACE).
    constructor(
        address owner_,
        AggregatorV3Interface sequencerFeed_,
        uint256 sequencerGrace_,
        uint256 stalenessGrace_
    ) Ownable(owner_) {
        if (sequencerGrace_ > MAX_SEQUENCER_GRACE) revert GraceOutOfBounds(sequencerGrace_, MAX_SEQUENCER_GRACE);
        if (stalenessGrace_ > MAX_STALENESS_GRACE) revert GraceOutOfBounds(stalenessGrace_, MAX_STALENESS_GRACE);
        if (address(sequencerFeed_) != address(0) && address(sequencerFeed_).code.length == 0) {
            revert InvalidFeed(address(sequencerFeed_));
        }
        sequencerFeed = sequencerFeed_;
        sequencerGrace = sequencerGrace_;
        stalenessGrace = stalenessGrace_;
    }

    // ================================================================= governance

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less contract could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @inheritdoc IOracleAdapter
    function setAssetConfig(address asset, AssetConfigInput calldata config) external onlyOwner {
        if (asset == address(0)) revert ZeroAddress();
        if (config.minPrice == 0 || config.minPrice >= config.maxPrice) {
            revert PriceBoundsInvalid(config.minPrice, config.maxPrice);
        }
        if (config.maxDeviation < MIN_DEVIATION || config.maxDeviation > MAX_DEVIATION) {
            revert DeviationOutOfBounds(config.maxDeviation);
        }

        StoredConfig storage stored = _configs[asset];
        stored.primary = _source(config.primary, config.primaryHeartbeat, config.minPrice, config.maxPrice);
        // A jump bound needs a window to compare rounds in, at least the primary's (valid) heartbeat + the larger of
        // its heartbeat and the grace: a shorter one would leave heartbeat rounds (a heartbeat and a little after the
        // last, later when gas spikes) unchecked.
        uint256 heartbeat = config.primaryHeartbeat;
        if (
            (config.maxJump != 0 &&
                (config.maxJump < MIN_JUMP ||
                    config.maxJump > MAX_JUMP ||
                    config.jumpWindow < heartbeat + (heartbeat > stalenessGrace ? heartbeat : stalenessGrace))) ||
            config.jumpWindow > MAX_JUMP_WINDOW
        ) revert JumpOutOfBounds(config.maxJump, config.jumpWindow);
        bool hasFeed = address(config.secondary) != address(0);
        stored.secondary =
            hasFeed
                ? _source(config.secondary, config.secondaryHeartbeat, config.minPrice, config.maxPrice)
                : Source(AggregatorV3Interface(address(0)), 0, 0);
        stored.minPrice = config.minPrice;
        stored.maxPrice = config.maxPrice;
        stored.maxDeviation = config.maxDeviation;
        stored.maxJump = config.maxJump;
        stored.jumpWindow = config.jumpWindow;
        bool hasPool = address(_twaps[asset].pool) != address(0);
        stored.secondaryKind =
            hasFeed
                ? SecondaryKind.FEED
                : hasPool
                    ? SecondaryKind.TWAP
                    : SecondaryKind.NONE;
        emit AssetConfigured(asset, config);
        // One secondary per asset: a secondary feed replaces a TWAP source.
        if (hasFeed && hasPool) {
            delete _twaps[asset];
            emit TwapSourceRemoved(asset);
        }
    }

    /// @inheritdoc IOracleAdapter
    function setTwapSource(address asset, IUniswapV3Pool pool, uint32 window, address quote) external onlyOwner {
        if (window < MIN_TWAP_WINDOW || window > MAX_TWAP_WINDOW) revert TwapWindowOutOfBounds(window);
        StoredConfig storage stored = _configs[asset];
        if (
            address(stored.primary.feed) == address(0) ||
            address(stored.secondary.feed) != address(0) ||
            quote == asset ||
            address(_configs[quote].primary.feed) == address(0) ||
            address(pool).code.length == 0
        ) revert TwapSourceInvalid(asset, address(pool));
        address token0 = pool.token0();
        address token1 = pool.token1();
        bool assetIsToken0 = token0 == asset && token1 == quote;
        if (!assetIsToken0 && !(token0 == quote && token1 == asset)) revert TwapSourceInvalid(asset, address(pool));
        uint8 assetDecimals = IERC20Metadata(asset).decimals();
        uint8 quoteDecimals = IERC20Metadata(quote).decimals();
        if (assetDecimals > 18 || quoteDecimals > 18) revert TwapSourceInvalid(asset, address(pool));
        _twaps[asset] = TwapSource(pool, window, assetIsToken0, assetDecimals, quoteDecimals, quote);
        stored.secondaryKind = SecondaryKind.TWAP;
        emit TwapSourceSet(asset, address(pool), quote, window);
    }

    /// @inheritdoc IOracleAdapter
    function removeTwapSource(address asset) external onlyOwner {
        delete _twaps[asset];
        StoredConfig storage stored = _configs[asset];
        if (stored.secondaryKind == SecondaryKind.TWAP) stored.secondaryKind = SecondaryKind.NONE;
        emit TwapSourceRemoved(asset);
    }

    /// @inheritdoc IOracleAdapter
    function twapSource(address asset) external view returns (TwapSource memory) {
        return _twaps[asset];
    }

    /// @inheritdoc IOracleAdapter
    function removeAsset(address asset) external onlyOwner {
        delete _configs[asset];
        emit AssetRemoved(asset);
    }

    // ================================================================= reads

    /// @inheritdoc IPriceOracle
    function getPrice(address asset) public view returns (Price memory price) {
        StoredConfig storage config = _configs[asset];
        Source memory primary = config.primary;
        if (address(primary.feed) == address(0)) return Price(0, 0, Status.FAILED, Reason.NOT_CONFIGURED);
        uint256 minPrice = config.minPrice;
        uint256 maxPrice = config.maxPrice;
        SecondaryKind kind = config.secondaryKind;

        Read memory first = _read(primary, minPrice, maxPrice);
        Read memory second;
        bool hasSecondary = kind != SecondaryKind.NONE;
        bool pool = kind == SecondaryKind.TWAP; // one pool, which can be held away from the market
        if (kind == SecondaryKind.FEED) second = _read(config.secondary, minPrice, maxPrice);
        else if (pool) second = _readTwap(_twaps[asset], minPrice, maxPrice);

        if (first.reason != Reason.NONE) {
            // Primary unusable: the secondary as DEGRADED, or FAILED. A TWAP alone is a pool nobody confirms, so a
            // recent stale answer (STALE_BOUND_SPAN past due) bounds the doubt too (issue 19, property 1).
            if (hasSecondary && second.reason == Reason.NONE) {
                price =
                    first.price == 0 || !pool
                        ? Price(second.price, second.price, Status.DEGRADED, first.reason)
                        : _degraded(first.price, second.price, first.reason);
            } else {
                return Price(0, 0, Status.FAILED, first.reason);
            }
        } else if (hasSecondary && second.reason == Reason.NONE) {
            // Both usable: agreement also confirms any jump of the primary.
            price =
                _outsideBand(first.price, second.price, config.maxDeviation)
                    ? _degraded(first.price, second.price, Reason.SOURCES_DISAGREE)
                    : Price(first.price, first.price, Status.OK, Reason.NONE);
        } else {
            uint256 previous =
                config.maxJump == 0 ? 0 : _previousPrice(primary, first, config.jumpWindow, minPrice, maxPrice);
            if (previous != 0 && _outsideBand(first.price, previous, config.maxJump)) {
                price = _degraded(first.price, previous, Reason.UNCONFIRMED_JUMP);
            } else {
                price = Price(first.price, first.price, Status.OK, Reason.NONE);
            }
            if (hasSecondary && price.status == Status.OK)
                (price.status, price.reason) = (Status.DEGRADED, Reason.SECONDARY_FAILED);
        }

        if (price.status == Status.OK && address(sequencerFeed) != address(0)) {
            (Reason sequencer, ) = _sequencerState();
            if (sequencer != Reason.NONE) (price.status, price.reason) = (Status.DEGRADED, sequencer);
        }
    }

    /// @inheritdoc IPriceOracle
    function priceCeiling(address asset) external view returns (uint256) {
        return address(_configs[asset].primary.feed) == address(0) ? 0 : _configs[asset].maxPrice;
    }

    /// @inheritdoc IPriceOracle
    function sequencerState() external view returns (Reason reason, uint256 readySince) {
        if (address(sequencerFeed) != address(0)) return _sequencerState();
    }

    /// @inheritdoc IOracleAdapter
    function secondaryPrice(address asset) external view returns (uint256 price, Reason reason) {
        StoredConfig storage config = _configs[asset];
        Read memory read;
        if (config.secondaryKind == SecondaryKind.FEED)
            read = _read(config.secondary, config.minPrice, config.maxPrice);
        else if (config.secondaryKind == SecondaryKind.TWAP)
            read = _readTwap(_twaps[asset], config.minPrice, config.maxPrice);
        else read.reason = Reason.NOT_CONFIGURED;
        return (read.reason == Reason.NONE ? read.price : 0, read.reason);
    }

    /// @inheritdoc IOracleAdapter
    function poke(address asset) public returns (Price memory price) {
        price = getPrice(asset);
        LastStatus memory last = _lastStatus[asset];
        if (price.status != last.status || price.reason != last.reason) {
            _lastStatus[asset] = LastStatus(price.status, price.reason);
            emit PriceStatusChanged(asset, last.status, price.status, price.reason, price.low, price.high);
        }
    }

    /// @inheritdoc IOracleAdapter
    function pokeMany(address[] calldata assets) external {
        for (uint256 i; i < assets.length; ++i) poke(assets[i]);
    }

    /// @inheritdoc IOracleAdapter
    function lastStatus(address asset) external view returns (Status status, Reason reason) {
        LastStatus memory last = _lastStatus[asset];
        return (last.status, last.reason);
    }

    /// @inheritdoc IOracleAdapter
    function assetConfig(address asset) external view returns (AssetConfig memory) {
        StoredConfig storage stored = _configs[asset];
        return
            AssetConfig(
                stored.primary,
                stored.secondary,
                stored.minPrice,
                stored.maxPrice,
                stored.maxDeviation,
                stored.maxJump,
                stored.jumpWindow
            );
    }

    // ================================================================= internal

    /// @dev Reads the latest round of a feed and validates it.
    function _read(Source memory source, uint256 minPrice, uint256 maxPrice) internal view returns (Read memory read) {
        (bool ok, uint256 roundId, int256 answer, , uint256 updatedAt, uint256 answeredInRound) = _call(
            source.feed,
            abi.encodeCall(AggregatorV3Interface.latestRoundData, ())
        );
        if (!ok) return Read(0, Reason.FEED_REVERTED, 0, 0);
        read.roundId = uint80(roundId);
        read.updatedAt = updatedAt;
        if (answer <= 0 || updatedAt == 0 || updatedAt > block.timestamp) read.reason = Reason.INVALID_ANSWER;
        else {
            uint256 past = block.timestamp - updatedAt;
            uint256 fresh = uint256(source.heartbeat) + stalenessGrace;
            // INV-22: an incomplete round (started, not answered: its answer is carried over from an earlier one) is
            // STALE however recent its updatedAt, and its answer only bounds the doubt, as a late answer's does.
            if (past <= fresh && answeredInRound >= roundId) {
                read.price = _bounded(uint256(answer), source.decimals, minPrice, maxPrice);
                if (read.price == 0) read.reason = Reason.OUT_OF_BOUNDS;
            } else {
                read.reason = Reason.STALE;
                // A stale answer keeps its price for a while (STALE_BOUND_SPAN, at most one heartbeat): not a price
                // to act on, but a bound of the doubt a TWAP secondary alone leaves (getPrice). An incomplete round's
                // updatedAt does not date its answer (a stuck feed may stamp every round it starts): the round that
                // answered does, and the older of the two dates counts.
                if (answeredInRound < roundId) {
                    uint256 answeredAge = _answeredAge(source.feed, answeredInRound);
                    if (answeredAge > past) past = answeredAge;
                }
                uint256 span = source.heartbeat < STALE_BOUND_SPAN ? source.heartbeat : STALE_BOUND_SPAN;
                if (past <= fresh + span) read.price = _bounded(uint256(answer), source.decimals, minPrice, maxPrice);
            }
        }
    }

    /// @dev Seconds since round `answeredInRound` of `feed` was answered, or type(uint256).max when that round cannot
    ///      be read or carries no valid time (so an incomplete round's answer bounds nothing).
    function _answeredAge(AggregatorV3Interface feed, uint256 answeredInRound) private view returns (uint256) {
        (bool ok, , , , uint256 updatedAt, ) = _call(
            feed,
            abi.encodeCall(AggregatorV3Interface.getRoundData, (uint80(answeredInRound)))
        );
        if (!ok || updatedAt == 0 || updatedAt > block.timestamp) return type(uint256).max;
        return block.timestamp - updatedAt;
    }

    /// @dev Reads a TWAP source: the pool's mean tick over the window, converted to a price in the quote token and
    ///         then to USD through the quote's primary feed (whose failure is this source's failure).
    function _readTwap(
        TwapSource memory twap,
        uint256 minPrice,
        uint256 maxPrice
    ) internal view returns (Read memory read) {
        uint32[] memory secondsAgo = new uint32[](2);
        secondsAgo[0] = twap.window;
        _requireGasForSource();
        try twap.pool.observe{gas: FEED_GAS_LIMIT}(secondsAgo) returns (
            int56[] memory tickCumulatives,
            uint160[] memory
        ) {
            if (tickCumulatives.length != 2) return Read(0, Reason.FEED_REVERTED, 0, 0);
            int24 tick = TwapMath.meanTick(tickCumulatives[0], tickCumulatives[1], twap.window);
            uint256 inQuote = TwapMath.priceWad(
                TwapMath.sqrtRatioAtTick(tick),
                twap.assetIsToken0,
                twap.assetDecimals,
                twap.quoteDecimals
            );
            StoredConfig storage quoteConfig = _configs[twap.quote];
            Read memory quote = _read(quoteConfig.primary, quoteConfig.minPrice, quoteConfig.maxPrice);
            if (quote.reason != Reason.NONE) return Read(0, quote.reason, 0, 0);
            read.price = inQuote.wadMulDown(quote.price);
            if (read.price <= minPrice || read.price >= maxPrice) (read.price, read.reason) = (0, Reason.OUT_OF_BOUNDS);
        } catch {
            return Read(0, Reason.FEED_REVERTED, 0, 0);
        }
    }

    /// @dev The previous round's price on the same feed, or 0 when there is none to compare with (first round of a
    ///      phase, invalid, out of bounds, or older than `jumpWindow` before the latest).
    function _previousPrice(
        Source memory source,
        Read memory latest,
        uint256 jumpWindow,
        uint256 minPrice,
        uint256 maxPrice
    ) internal view returns (uint256) {
        if (uint64(latest.roundId) <= 1) return 0;
        (bool ok, , int256 answer, , uint256 updatedAt, ) = _call(
            source.feed,
            abi.encodeCall(AggregatorV3Interface.getRoundData, (latest.roundId - 1))
        );
        if (!ok || answer <= 0 || updatedAt == 0 || updatedAt > latest.updatedAt) return 0;
        if (latest.updatedAt - updatedAt > jumpWindow) return 0;
        return _bounded(uint256(answer), source.decimals, minPrice, maxPrice);
    }

    /// @dev Reason the sequencer makes prices doubtful, or NONE, and since when it has not (`sequencerState`). Answer
    ///      0 = up, 1 = down; the grace period runs from `startedAt`, the time the current status began (not
    ///      `updatedAt`, which moves on every heartbeat).
    function _sequencerState() internal view returns (Reason reason, uint256 readySince) {
        (bool ok, , int256 answer, uint256 startedAt, , ) = _call(
            sequencerFeed,
            abi.encodeCall(AggregatorV3Interface.latestRoundData, ())
        );
        readySince = type(uint256).max;
        if (!ok || (answer != 0 && answer != 1)) reason = Reason.SEQUENCER_FEED_BROKEN;
        else if (answer == 1) reason = Reason.SEQUENCER_DOWN;
        else if (startedAt == 0 || startedAt > block.timestamp) reason = Reason.SEQUENCER_FEED_BROKEN;
        else if (block.timestamp - startedAt < sequencerGrace) reason = Reason.SEQUENCER_GRACE;
        else readySince = startedAt + sequencerGrace;
    }

    /// @dev Static call to a feed that cannot revert the caller: a revert, running out of its FEED_GAS_LIMIT, or
    ///      malformed return data is `ok = false`.
    function _call(
        AggregatorV3Interface feed,
        bytes memory data
    )
        private
        view
        returns (bool ok, uint256 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint256 answeredInRound)
    {
        _requireGasForSource();
        // Only the five words of a round are copied (never more return data than that), into memory past the free
        // pointer, which nothing else uses before they are read back.
        assembly ("memory-safe") {
            let out := mload(0x40)
            ok := staticcall(FEED_GAS_LIMIT, feed, add(data, 0x20), mload(data), out, 0xa0)
            if lt(returndatasize(), 0xa0) {
                ok := 0
            }
            if ok {
                roundId := mload(out)
                answer := mload(add(out, 0x20))
                startedAt := mload(add(out, 0x40))
                updatedAt := mload(add(out, 0x60))
                answeredInRound := mload(add(out, 0x80))
            }
        }
        if (!ok) return (false, 0, 0, 0, 0, 0);
        // Round ids are uint80 on the interface; anything wider is not a Chainlink answer.
        if (roundId > type(uint80).max || answeredInRound > type(uint80).max) return (false, 0, 0, 0, 0, 0);
    }

    /// @dev Reverts unless a source call can be given its whole FEED_GAS_LIMIT. With the budget guaranteed, any
    ///      failure inside the call is the source's own, and the source is FAILED rather than the read reverted.
    function _requireGasForSource() private view {
        if (gasleft() < GAS_NEEDED_FOR_CALL) revert InsufficientGasForFeed();
    }

    /// @dev answer × 10^(18 − decimals): exact for decimals ≤ 18 (the only ones accepted); an answer too large to
    ///      scale saturates at type(uint256).max, which every bound check then rejects (no overflow revert).
    function _normalise(uint256 answer, uint8 decimals) private pure returns (uint256) {
        uint256 scale = 10 ** (18 - decimals);
        if (answer > type(uint256).max / scale) return type(uint256).max;
        return answer * scale;
    }

    /// @dev `answer` in WAD, or 0 when it is at or beyond the asset's bounds.
    function _bounded(
        uint256 answer,
        uint8 decimals,
        uint256 minPrice,
        uint256 maxPrice
    ) private pure returns (uint256) {
        uint256 price = _normalise(answer, decimals);
        return price <= minPrice || price >= maxPrice ? 0 : price;
    }

    /// @dev True when `first` and `second` differ by more than `band` (WAD) of the smaller of the two.
    function _outsideBand(uint256 first, uint256 second, uint256 band) private pure returns (bool) {
        (uint256 lo, uint256 hi) = first < second ? (first, second) : (second, first);
        return hi - lo > lo.wadMulDown(band);
    }

    function _degraded(uint256 first, uint256 second, Reason reason) private pure returns (Price memory) {
        return
            first < second
                ? Price(first, second, Status.DEGRADED, reason)
                : Price(second, first, Status.DEGRADED, reason);
    }

    /// @dev A source as stored, after checking the feed, its heartbeat, and that `minPrice`/`maxPrice` can see its
    ///      clamp (issue 19, property 5): a floor at or under `minAnswer` would read a pinned feed as OK.
    function _source(
        AggregatorV3Interface feed,
        uint32 heartbeat,
        uint256 minPrice,
        uint256 maxPrice
    ) private view returns (Source memory) {
        if (address(feed).code.length == 0) revert InvalidFeed(address(feed));
        if (heartbeat == 0 || heartbeat > MAX_HEARTBEAT) revert HeartbeatOutOfBounds(heartbeat);
        (bool ok, uint256 decimals) = _uintCall(address(feed), abi.encodeCall(AggregatorV3Interface.decimals, ()));
        if (!ok || decimals > MAX_FEED_DECIMALS) revert InvalidFeed(address(feed));
        // A feed that never fills answeredInRound would read STALE forever (INV-22): its live round must be complete.
        (bool live, uint256 roundId, , , , uint256 answeredInRound) = _call(
            feed,
            abi.encodeCall(AggregatorV3Interface.latestRoundData, ())
        );
        if (live && answeredInRound < roundId) revert FeedRoundIncomplete(address(feed), roundId, answeredInRound);
        (uint256 floor, uint256 ceiling) = _clamp(feed, uint8(decimals));
        if (
            (floor != 0 && (floor > type(uint128).max || minPrice < floor.wadMulUp(1e18 + CLAMP_MARGIN))) ||
            (ceiling != 0 && maxPrice > ceiling.wadMulDown(1e18 - CLAMP_MARGIN))
        ) revert BoundsBlindToClamp(address(feed), floor, ceiling, minPrice, maxPrice);
        return Source(feed, heartbeat, uint8(decimals));
    }

    /// @inheritdoc IOracleAdapter
    function feedClamp(AggregatorV3Interface feed) external view returns (uint256 floor, uint256 ceiling) {
        (bool ok, uint256 decimals) = _uintCall(address(feed), abi.encodeCall(AggregatorV3Interface.decimals, ()));
        if (ok && decimals <= MAX_FEED_DECIMALS) return _clamp(feed, uint8(decimals));
    }

    /// @dev `feed`'s clamp in WAD: `minAnswer`/`maxAnswer` of its current aggregator, or of the feed itself when it
    ///      has no `aggregator()` (or that aggregator exposes none); 0 for a bound it does not expose or that is ≤ 0.
    function _clamp(AggregatorV3Interface feed, uint8 decimals) private view returns (uint256 floor, uint256 ceiling) {
        (bool ok, uint256 aggregator) = _uintCall(address(feed), abi.encodeWithSignature("aggregator()"));
        address target =
            ok && aggregator >> 160 == 0 && address(uint160(aggregator)).code.length != 0
                ? address(uint160(aggregator))
                : address(feed);
        (bool hasMin, uint256 minAnswer) = _uintCall(target, abi.encodeWithSignature("minAnswer()"));
        (bool hasMax, uint256 maxAnswer) = _uintCall(target, abi.encodeWithSignature("maxAnswer()"));
        if (!hasMin && !hasMax && target != address(feed)) {
            (hasMin, minAnswer) = _uintCall(address(feed), abi.encodeWithSignature("minAnswer()"));
            (hasMax, maxAnswer) = _uintCall(address(feed), abi.encodeWithSignature("maxAnswer()"));
        }
        // int192 answers: a negative one (two's complement, top bit set) clamps nothing a price could reach.
        if (hasMin && int256(minAnswer) > 0) floor = _normalise(minAnswer, decimals);
        if (hasMax && int256(maxAnswer) > 0) ceiling = _normalise(maxAnswer, decimals);
    }

    /// @dev A static call returning one word; `ok` false when it reverts or returns less.
    function _uintCall(address target, bytes memory data) private view returns (bool ok, uint256 value) {
        bytes memory ret;
        (ok, ret) = target.staticcall(data);
        if (!ok || ret.length < 32) return (false, 0);
        value = abi.decode(ret, (uint256));
    }
}
