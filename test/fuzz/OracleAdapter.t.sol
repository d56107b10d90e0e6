// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

import {OracleAdapter} from "../../contracts/oracles/OracleAdapter.sol";
import {IOracleAdapter} from "../../contracts/interfaces/IOracleAdapter.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {TestAggregator} from "../../deploy/mocks/TestAggregator.sol";

/// @notice Fuzz tests of the adapter's math paths through its public API: normalisation of any feed decimals to
///         WAD, the deviation band between two sources, and the jump band between consecutive rounds.
contract OracleAdapterFuzzTest is Test {
    address internal constant ASSET = address(0xA55E7);
    uint128 internal constant MIN_PRICE = 1;
    uint128 internal constant MAX_PRICE = type(uint128).max;

    OracleAdapter internal adapter;

    function setUp() public {
        vm.warp(1_700_000_000);
        adapter = new OracleAdapter(address(this), AggregatorV3Interface(address(0)), 0, 0);
    }

    function _config(TestAggregator primary, TestAggregator secondary, uint64 maxDeviation, uint64 maxJump) internal {
        adapter.setAssetConfig(
            ASSET,
            IOracleAdapter.AssetConfigInput({
                primary: primary,
                primaryHeartbeat: 1 days,
                secondary: secondary,
                secondaryHeartbeat: 1 days,
                minPrice: MIN_PRICE,
                maxPrice: MAX_PRICE,
                maxDeviation: maxDeviation,
                maxJump: maxJump,
                jumpWindow: 2 days
            })
        );
    }

    /// @dev Any feed decimals 0–18 and any positive answer that fits the bounds: price == answer × 10^(18 − d), OK.
    function testFuzz_normalise_anyDecimals(uint8 decimals, uint256 answer) public {
        decimals = uint8(bound(decimals, 0, 18));
        // Keep the normalised price inside (MIN_PRICE, MAX_PRICE).
        answer = bound(answer, 1, uint256(MAX_PRICE - 1) / 10 ** (18 - decimals));
        TestAggregator feed = new TestAggregator(decimals, "X / USD");
        feed.push(int256(answer));
        _config(feed, TestAggregator(address(0)), 0.01e18, 0);

        IPriceOracle.Price memory p = adapter.getPrice(ASSET);
        uint256 expected = answer * 10 ** (18 - decimals);
        if (expected <= MIN_PRICE) {
            assertEq(uint8(p.status), uint8(IPriceOracle.Status.FAILED));
            assertEq(uint8(p.reason), uint8(IPriceOracle.Reason.OUT_OF_BOUNDS));
        } else {
            assertEq(uint8(p.status), uint8(IPriceOracle.Status.OK));
            assertEq(p.low, expected);
            assertEq(p.high, expected);
        }
    }

    /// @dev Two feeds with different decimals: OK iff |a − b| ≤ maxDeviation × min(a, b) (WAD, rounded down);
    ///      otherwise DEGRADED with low = min and high = max.
    function testFuzz_deviationBand(uint256 a, uint256 b, uint256 maxDeviation) public {
        a = bound(a, 1e6, 1e30);
        b = bound(b, 1e6, 1e30);
        maxDeviation = bound(maxDeviation, adapter.MIN_DEVIATION(), adapter.MAX_DEVIATION());
        TestAggregator primary = new TestAggregator(18, "A / USD");
        TestAggregator secondary = new TestAggregator(8, "B / USD");
        // The secondary has 8 decimals: publish b rounded to them and compare against what the adapter sees.
        uint256 b8 = b / 1e10;
        vm.assume(b8 != 0);
        primary.push(int256(a));
        secondary.push(int256(b8));
        _config(primary, secondary, uint64(maxDeviation), 0);

        uint256 bWad = b8 * 1e10;
        (uint256 lo, uint256 hi) = a < bWad ? (a, bWad) : (bWad, a);
        bool outside = hi - lo > (lo * maxDeviation) / 1e18;
        IPriceOracle.Price memory p = adapter.getPrice(ASSET);
        if (outside) {
            assertEq(uint8(p.status), uint8(IPriceOracle.Status.DEGRADED));
            assertEq(uint8(p.reason), uint8(IPriceOracle.Reason.SOURCES_DISAGREE));
            assertEq(p.low, lo);
            assertEq(p.high, hi);
        } else {
            assertEq(uint8(p.status), uint8(IPriceOracle.Status.OK));
            assertEq(p.low, a);
            assertEq(p.high, a);
        }
    }

    /// @dev Consecutive rounds within the window (2 days: twice the 1-day heartbeat, the shortest a jump bound allows):
    ///      OK iff the move is within maxJump of the previous price.
    function testFuzz_jumpBand(uint256 previous, uint256 latest, uint256 maxJump, uint256 gap) public {
        previous = bound(previous, 1e8, 1e30);
        latest = bound(latest, 1e8, 1e30);
        maxJump = bound(maxJump, adapter.MIN_JUMP(), adapter.MAX_JUMP());
        gap = bound(gap, 0, 3 days);
        TestAggregator feed = new TestAggregator(18, "J / USD");
        feed.pushAt(int256(previous), block.timestamp, block.timestamp);
        vm.warp(block.timestamp + gap);
        feed.push(int256(latest));
        _config(feed, TestAggregator(address(0)), 0.01e18, uint64(maxJump));

        (uint256 lo, uint256 hi) = previous < latest ? (previous, latest) : (latest, previous);
        bool jump = gap <= 2 days && hi - lo > (lo * maxJump) / 1e18;
        IPriceOracle.Price memory p = adapter.getPrice(ASSET);
        if (jump) {
            assertEq(uint8(p.status), uint8(IPriceOracle.Status.DEGRADED));
            assertEq(uint8(p.reason), uint8(IPriceOracle.Reason.UNCONFIRMED_JUMP));
            assertEq(p.low, lo);
            assertEq(p.high, hi);
        } else {
            assertEq(uint8(p.status), uint8(IPriceOracle.Status.OK));
            assertEq(p.low, latest);
        }
    }
}
