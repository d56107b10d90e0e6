// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IBackstop} from "../interfaces/IBackstop.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title BackstopRecovery
/// @notice What recovery can still repay the backstop (issue 26): the part of a stake's price that the stakers who bore
///         a write-off are owed back, so a newcomer pays for it rather than buying it cheap.
/// @dev Invariants:
///      - The value is at most what the vault owes the backstop, after lenders' unrecovered loss (repaid first).
///      - Each asset is valued at its highest price: the oracle's high now; the highest price the breaker's price-fall
///        reference holds (its pokes over the last two fall windows); and the backstop's own mark, the highest price
///        that held (the lowest OK price sighted over HOLD or more, sightings never more than MAX_SIGHTING_GAP apart;
///        a doubted price is never sighted) while the vault owed the backstop (every checkpoint and stake sights), over
///        the last one to two mark periods (cooldown + window: the longest a staker who bore the write-off waits to
///        leave). The base is at its low now. A low round, or a dip of days, then cannot sell the recovery cheap to
///        a newcomer; a fall that holds is priced as it is once two mark periods have passed.
///      - A price the oracle cannot give, or a breaker that cannot answer, leaves it unvalued (`valued` false: all that
///        is owed, and the backstop takes no stake).
library BackstopRecovery {
    using VaultStorage for ICollateralVault;
    using Math for uint256;

    uint256 private constant WAD = 1e18;

    /// @notice How long a price must hold before it is marked: the lowest OK price sighted over a span of at least
    ///         this long is what held. Longer than one round of the shipped collaterals stays OK (heartbeat 1 h + grace
    ///         10 min), so one round, however high or low (within the adapter's jump bound), never fills a span.
    uint256 internal constant HOLD = 2 hours;
    /// @notice The longest a span may go without a sighting: a longer gap starts it again, so a span is sighted
    ///         throughout (the keeper bot sights hourly while the vault owes the backstop) and never reaches back to a
    ///         price nobody has seen since.
    uint256 internal constant MAX_SIGHTING_GAP = 90 minutes;

    /// @dev The highest held price of a collateral (WAD USD), in two buckets of one mark period each (the current one
    ///      from `start`, and the one before), as the breaker keeps its price-fall reference: what it holds is the
    ///      highest price held over the last one to two periods. The span being sighted: `held`, the lowest OK price
    ///      sighted since `heldSince` (0: no span; the next sighting starts one); `seenAt`, its last sighting.
    struct Mark {
        uint104 previous;
        uint104 current;
        uint40 start;
        uint104 held;
        uint40 heldSince;
        uint40 seenAt;
    }

    /// @dev Sights, for each collateral the protocol owns while the vault owes the backstop, its price now when the
    ///      oracle says OK: a doubted price (two sources apart, an unconfirmed jump, a pool's TWAP standing in for a
    ///      failed feed) is never kept. A price is marked only once it has held (`sight`). At most MAX_COLLATERALS (16)
    ///      iterations.
    function mark(ICollateralVault vault, mapping(address => Mark) storage marks, uint256 period) internal {
        (, uint256 owed) = vault.backstopBook();
        if (owed == 0) return;
        IPriceOracle oracle = vault.oracle();
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < assets.length; ++i) {
            if (vault.protocolCollateral(assets[i]) == 0) continue;
            IPriceOracle.Price memory price = oracle.getPrice(assets[i]);
            if (price.status != IPriceOracle.Status.OK || price.high == 0) continue;
            Mark memory m = marks[assets[i]];
            uint256 held = sight(m, price.high > type(uint104).max ? type(uint104).max : uint104(price.high), period);
            marks[assets[i]] = m;
            if (held != 0) emit IBackstop.RecoveryPriceMarked(assets[i], held);
        }
    }

    /// @dev Rolls `m` to now and sights `seen` in it (in place). A span starts at a sighting (when there is none, or
    ///      its last sighting is more than MAX_SIGHTING_GAP ago); every sighting lowers its `held` to `seen` if lower;
    ///      the first sighting HOLD or more after its start ends it: its lowest price is what held, and is marked
    ///      (returned; 0 when none). The next sighting starts the next span, so a sighting counts in one span only.
    ///      A marked price is then at most every price sighted over at least HOLD, sightings never more than
    ///      MAX_SIGHTING_GAP apart.
    function sight(Mark memory m, uint104 seen, uint256 period) internal view returns (uint256 held) {
        rolled(m, period);
        bool fresh = m.heldSince == 0 || block.timestamp - m.seenAt > MAX_SIGHTING_GAP;
        m.seenAt = uint40(block.timestamp);
        if (fresh) (m.held, m.heldSince) = (seen, m.seenAt);
        else if (seen < m.held) m.held = seen;
        if (block.timestamp - m.heldSince < HOLD) return 0;
        held = m.held;
        if (held > m.current) m.current = m.held;
        m.heldSince = 0;
    }

    /// @dev The highest price `m` holds now (its buckets rolled to now).
    function markedHigh(Mark memory m, uint256 period) internal view returns (uint256) {
        Mark memory r = rolled(m, period);
        return r.previous > r.current ? r.previous : r.current;
    }

    /// @dev `m` rolled to now (in place): once a period has passed since `start`, the current bucket becomes the
    ///      previous one (or both empty, after two), and a new one starts.
    function rolled(Mark memory m, uint256 period) internal view returns (Mark memory) {
        uint256 elapsed = block.timestamp - m.start;
        if (elapsed >= period) {
            bool adjacent = elapsed < 2 * period;
            (m.previous, m.current) = (adjacent ? m.current : 0, 0);
            m.start = adjacent ? uint40(uint256(m.start) + period) : uint40(block.timestamp);
        }
        return m;
    }

    /// @dev The recovery's value for `vault`'s backstop over `base`, and whether every price it needs was available
    ///      (`valued`; else it is all that is owed).
    function value(
        ICollateralVault vault,
        address base,
        mapping(address => Mark) storage marks,
        uint256 period
    ) internal view returns (uint256 worthNet, bool valued) {
        (, uint256 owed) = vault.backstopBook();
        if (owed == 0) return (0, true);
        uint256 baseLow = vault.oracle().getPrice(base).low; // 0 when FAILED
        if (baseLow == 0) return (owed, false);
        uint256 worth; // WAD USD
        (worth, valued) = collateralWorth(vault, marks, period);
        if (!valued) return (owed, false);
        worthNet = worth.mulDiv(10 ** IERC20Metadata(base).decimals(), baseLow, Math.Rounding.Ceil);
        uint256 lenders = vault.unrecoveredLoss(); // repaid first
        worthNet = worthNet > lenders ? worthNet - lenders : 0;
        if (worthNet > owed) worthNet = owed;
    }

    /// @dev The vault's protocol-owned collateral at each asset's highest price, its mark within `period` included
    ///      (WAD USD, rounded up), and whether every price was available. At most MAX_COLLATERALS (16) iterations.
    function collateralWorth(
        ICollateralVault vault,
        mapping(address => Mark) storage marks,
        uint256 period
    ) internal view returns (uint256 worth, bool valued) {
        IPriceOracle oracle = vault.oracle();
        ICircuitBreaker breaker = vault.circuitBreaker();
        address[] memory assets = vault.collateralAssets();
        for (uint256 i; i < assets.length; ++i) {
            uint256 units = vault.protocolCollateral(assets[i]);
            if (units == 0) continue;
            uint256 high = highestPrice(oracle, breaker, assets[i]);
            if (high == 0) return (0, false);
            uint256 marked = markedHigh(marks[assets[i]], period);
            if (marked > high) high = marked;
            worth += units.mulDiv(high, 10 ** vault.collateralDecimals(assets[i]), Math.Rounding.Ceil);
        }
        return (worth, true);
    }

    /// @dev `collateral`'s highest price (WAD USD): the oracle's high now, or the breaker's reference high if higher;
    ///      0 when the oracle cannot give it (FAILED) or the breaker cannot answer.
    function highestPrice(
        IPriceOracle oracle,
        ICircuitBreaker breaker,
        address collateral
    ) internal view returns (uint256 high) {
        high = oracle.getPrice(collateral).high; // 0 when FAILED
        if (high == 0) return 0;
        (uint256 seen, bool answered) = referenceHigh(breaker, collateral);
        if (!answered) return 0;
        if (seen > high) high = seen;
    }

    /// @dev The highest price of `collateral` the breaker's price-fall reference holds (the highest accepted price its
    ///      pokes saw over the last two fall windows; 0 when it holds none), backed out of its fall floor, rounded up;
    ///      `answered` false when the breaker could not say.
    function referenceHigh(
        ICircuitBreaker breaker,
        address collateral
    ) internal view returns (uint256 high, bool answered) {
        if (address(breaker) == address(0)) return (0, true);
        try breaker.entry(collateral) returns (ICircuitBreaker.EntryView memory entry) {
            if (entry.fallFloor == 0) return (0, true);
            try breaker.assetParams(collateral) returns (ICircuitBreaker.AssetParams memory triggers) {
                if (triggers.maxFall >= WAD) return (0, false); // the breaker's MAX_FALL is below 1
                // floor = high · (1 − maxFall), rounded down by the breaker
                return (entry.fallFloor.mulDiv(WAD, WAD - triggers.maxFall, Math.Rounding.Ceil), true);
            } catch {} // solhint-disable-line no-empty-blocks
        } catch {} // solhint-disable-line no-empty-blocks
    }
}
