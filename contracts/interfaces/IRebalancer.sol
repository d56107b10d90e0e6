// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";

import {IPriceOracle} from "./IPriceOracle.sol";

/// @title IRebalancer
/// @notice Automated recovery: sells the collateral the protocol owns (swept from written-off accounts) for the base
///         asset through a Uniswap v3 pool, one bounded chunk at a time, and pays the proceeds into the vault's
///         reserves, which absorb the next loss before lenders do.
/// @dev The price bound of a chunk, in base per whole collateral (WAD):
///          reference = collateral.low / base.high            (the oracle adapter, both prices OK)
///          reference = max(reference, TWAP over twapWindow)   (when the route has a TWAP window)
///          floor     = reference · (1 − maxSlippage)          (rounded up)
///      The swap runs with the pool's √price limit at floor / (1 − pool fee), so no unit is sold below it, fee included: a pool pushed below the
///      floor sells nothing (`PoolOutsideBound`), and a pool that slides to it mid-chunk stops there and the rest
///      of the chunk goes back to the vault. The proceeds are checked once more against floor × sold. Anyone may
///      call `rebalance`; each asset waits `interval` between chunks, so a sandwich can win at most one chunk's
///      slippage allowance per interval.
interface IRebalancer {
    /// @notice Where and how one collateral is sold.
    /// @param pool Uniswap v3 pool pairing the collateral with the base asset (zero: not sold).
    /// @param maxChunk Most units sold per call.
    /// @param maxSlippage Largest discount to the reference price accepted, WAD.
    /// @param interval Seconds between two chunks of the asset.
    /// @param twapWindow Seconds of the pool's TWAP also used as a reference (0: oracle only).
    struct Route {
        IUniswapV3Pool pool;
        uint128 maxChunk;
        uint64 maxSlippage;
        uint32 interval;
        uint32 twapWindow;
    }

    /// @notice Thrown when an asset has no route.
    error NoRoute(address asset);
    /// @notice Thrown when the pool does not pair the asset with the base asset.
    error PoolMismatch(address asset, address pool);
    /// @notice Thrown when a chunk comes before `nextAt`.
    error TooSoon(address asset, uint256 nextAt);
    /// @notice Thrown when the protocol owns none of the asset.
    error NothingToSell(address asset);
    /// @notice Thrown when a price needed for the bound is not OK.
    error PriceNotOk(address asset, IPriceOracle.Status status, IPriceOracle.Reason reason);
    /// @notice Thrown when the pool's price is already at or beyond the floor: selling now would be below the bound.
    error PoolOutsideBound(uint160 sqrtPriceX96, uint160 sqrtPriceLimitX96);
    /// @notice Thrown when a swap returned less than the floor allows (never expected: the √price limit stops it).
    error ExecutionOutsideBound(uint256 sold, uint256 received, uint256 minReceived);
    /// @notice Thrown when the pool's TWAP cannot be read for the window.
    error TwapUnavailable(address pool);
    /// @notice Thrown when a swap callback does not come from the pool being swapped in.
    error UnexpectedCaller(address caller);
    /// @notice Thrown when a route parameter is outside its bounds.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when an address that must be set is zero.
    error ZeroAddress();
    /// @notice Thrown by `renounceOwnership`: an owner-less rebalancer could never get a new route.
    error RenounceDisabled();

    /// @notice Emitted when governance sets (or, with a zero pool, removes) an asset's route.
    event RouteSet(address indexed asset, Route route);
    /// @notice Emitted for every chunk sold: units sold, base received, the floor price (WAD base per whole
    ///         collateral) and the units returned to the vault unsold.
    event Rebalanced(address indexed asset, uint256 sold, uint256 received, uint256 floorPrice, uint256 returned);

    /// @notice Sells one chunk of the protocol-owned `asset` for the base asset within the bound, paying the proceeds
    ///         into reserves. Permissionless.
    /// @dev Reverts with `NoRoute`, `TooSoon`, `NothingToSell`, `PriceNotOk`, `TwapUnavailable`, `PoolOutsideBound`,
    ///      `ExecutionOutsideBound`, changing nothing.
    /// @return sold Units of `asset` sold.
    /// @return received Base units paid into reserves.
    function rebalance(address asset) external returns (uint256 sold, uint256 received);

    /// @notice The floor price of the next chunk of `asset` (WAD base per whole collateral) and the pool's √price
    ///         limit it implies. Reverts as `rebalance` does when a price is unavailable.
    function floorPrice(address asset) external view returns (uint256 floor, uint160 sqrtPriceLimitX96);

    /// @notice Whether `rebalance(asset)` has something to sell now (route, interval elapsed, protocol-owned units).
    function isDue(address asset) external view returns (bool);

    /// @notice `asset`'s route.
    function route(address asset) external view returns (Route memory);

    /// @notice Sets `asset`'s route, inside the bounds; a zero pool removes it. Owner (the timelock) only.
    function setRoute(address asset, Route calldata route) external;
}
