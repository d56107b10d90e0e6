// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IUniswapV3Pool} from "@uniswap/v3-core/contracts/interfaces/IUniswapV3Pool.sol";
import {IUniswapV3SwapCallback} from "@uniswap/v3-core/contracts/interfaces/callback/IUniswapV3SwapCallback.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IRebalancer} from "../interfaces/IRebalancer.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {Bounds} from "../libraries/Bounds.sol";
import {TwapMath} from "../libraries/TwapMath.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title Rebalancer
/// @notice The vault's recovery module: sells protocol-owned collateral for the base asset in bounded chunks through
///         a Uniswap v3 pool and pays the proceeds into reserves (the bound is on the interface).
/// @dev Invariants:
///      - No unit is ever sold below the floor, fee included: the swap's √price limit sits at floor / (1 − pool fee)
///        and the proceeds are checked against floor × sold; a failing check reverts the whole chunk.
///      - The rebalancer holds nothing between transactions: what the vault releases is sold or returned within the
///        same call, and every unit received goes to the vault's reserves.
///      - Only the pool being swapped in (held in transient storage for the one call) can make it pay.
///      - Routes change only through the owner (the timelock), inside the bounds below.
contract Rebalancer is IRebalancer, IUniswapV3SwapCallback, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using FixedPointMath for uint256;
    using VaultStorage for ICollateralVault;

    /// @notice Largest slippage allowance: 5% below the reference.
    uint64 public constant MAX_SLIPPAGE = 0.05e18;
    /// @notice Shortest interval between chunks: one minute.
    uint32 public constant MIN_INTERVAL = 1 minutes;
    /// @notice Longest interval between chunks: a day.
    uint32 public constant MAX_INTERVAL = 1 days;
    /// @notice Longest TWAP window: a day.
    uint32 public constant MAX_TWAP_WINDOW = 1 days;

    uint160 private constant MIN_SQRT_RATIO = 4295128739;
    uint160 private constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;
    uint256 private constant WAD = 1e18;
    /// @dev Uniswap v3 fees are in hundredths of a basis point.
    uint256 private constant FEE_UNITS = 1e6;

    /// @notice The vault whose protocol-owned collateral this module sells.
    ICollateralVault public immutable vault;
    /// @notice The vault's base asset: what collateral is sold for.
    IERC20 public immutable base;
    uint8 private immutable _baseDecimals;

    mapping(address asset => Route) private _routes;
    mapping(address asset => uint256) private _lastChunk;
    IUniswapV3Pool private transient _swapping;

    /// @param vault_ The vault (it must name this contract as its recovery module through `setRiskModules`).
    /// @param owner_ Governance: the timelock in production.
    constructor(ICollateralVault vault_, address owner_) Ownable(owner_) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        vault = vault_;
        base = IERC20(IERC4626(address(vault_)).asset());
        _baseDecimals = IERC20Metadata(address(base)).decimals();
    }

    // ================================================================= rebalancing

    /// @inheritdoc IRebalancer
    function rebalance(address asset) external nonReentrant returns (uint256 sold, uint256 received) {
        Route memory saleRoute = _routes[asset];
        if (address(saleRoute.pool) == address(0)) revert NoRoute(asset);
        uint256 nextAt = _lastChunk[asset] + saleRoute.interval;
        if (_lastChunk[asset] != 0 && block.timestamp < nextAt) revert TooSoon(asset, nextAt);
        uint256 held = vault.protocolCollateral(asset);
        uint256 amount = held < saleRoute.maxChunk ? held : saleRoute.maxChunk;
        if (amount == 0) revert NothingToSell(asset);

        _lastChunk[asset] = block.timestamp;
        uint256 floor;
        (sold, received, floor) = _sell(asset, saleRoute, amount);
        uint256 returned = amount - sold;
        emit Rebalanced(asset, sold, received, floor, returned);
        IERC20(asset).forceApprove(address(vault), returned);
        base.forceApprove(address(vault), received);
        vault.settleRecovery(asset, returned, received);
    }

    /// @dev Takes `amount` from the vault and swaps it with the √price limit at the floor; checks the proceeds.
    function _sell(
        address asset,
        Route memory saleRoute,
        uint256 amount
    ) internal returns (uint256 sold, uint256 received, uint256 floor) {
        uint160 limit;
        bool zeroForOne;
        uint8 decimals;
        (floor, limit, zeroForOne, decimals) = _saleLimits(asset, saleRoute);
        (uint160 current, , , , , , ) = saleRoute.pool.slot0();
        if (zeroForOne ? current <= limit : current >= limit) revert PoolOutsideBound(current, limit);

        vault.releaseProtocolCollateral(asset, amount);
        _swapping = saleRoute.pool;
        (int256 amount0, int256 amount1) = saleRoute.pool.swap(address(this), zeroForOne, int256(amount), limit, "");
        _swapping = IUniswapV3Pool(address(0));
        (sold, received) = zeroForOne ? (uint256(amount0), uint256(-amount1)) : (uint256(amount1), uint256(-amount0));

        // The √price limit already keeps every unit at or above the floor; this re-checks the average.
        uint256 minReceived = sold.mulDivUp(floor * 10 ** _baseDecimals, WAD * 10 ** decimals);
        if (received < minReceived) revert ExecutionOutsideBound(sold, received, minReceived);
    }

    /// @inheritdoc IUniswapV3SwapCallback
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        IUniswapV3Pool pool = _swapping;
        if (msg.sender != address(pool) || address(pool) == address(0)) revert UnexpectedCaller(msg.sender);
        if (amount0Delta > 0) IERC20(pool.token0()).safeTransfer(msg.sender, uint256(amount0Delta));
        if (amount1Delta > 0) IERC20(pool.token1()).safeTransfer(msg.sender, uint256(amount1Delta));
    }

    // ================================================================= views

    /// @inheritdoc IRebalancer
    function floorPrice(address asset) external view returns (uint256 floor, uint160 sqrtPriceLimitX96) {
        Route memory saleRoute = _routes[asset];
        if (address(saleRoute.pool) == address(0)) revert NoRoute(asset);
        (floor, sqrtPriceLimitX96, , ) = _saleLimits(asset, saleRoute);
    }

    /// @inheritdoc IRebalancer
    function isDue(address asset) external view returns (bool) {
        Route memory saleRoute = _routes[asset];
        if (address(saleRoute.pool) == address(0)) return false;
        if (_lastChunk[asset] != 0 && block.timestamp < _lastChunk[asset] + saleRoute.interval) return false;
        return vault.protocolCollateral(asset) != 0;
    }

    /// @inheritdoc IRebalancer
    function route(address asset) external view returns (Route memory) {
        return _routes[asset];
    }

    // ================================================================= governance

    /// @inheritdoc IRebalancer
    function setRoute(address asset, Route calldata saleRoute) external onlyOwner {
        if (asset == address(0)) revert ZeroAddress();
        if (address(saleRoute.pool) == address(0)) {
            delete _routes[asset];
            emit RouteSet(asset, saleRoute);
            return;
        }
        (address t0, address t1) = (saleRoute.pool.token0(), saleRoute.pool.token1());
        bool pairs = (t0 == asset && t1 == address(base)) || (t1 == asset && t0 == address(base));
        if (!pairs) revert PoolMismatch(asset, address(saleRoute.pool));
        Bounds.check("maxChunk", saleRoute.maxChunk, 1, type(uint128).max);
        Bounds.check("maxSlippage", saleRoute.maxSlippage, 0, MAX_SLIPPAGE);
        Bounds.check("interval", saleRoute.interval, MIN_INTERVAL, MAX_INTERVAL);
        Bounds.check("twapWindow", saleRoute.twapWindow, 0, MAX_TWAP_WINDOW);
        _routes[asset] = saleRoute;
        emit RouteSet(asset, saleRoute);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less rebalancer could never get a new route.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= internal

    /// @dev The floor (WAD base per whole `asset`), the √price limit at it, the swap direction and `asset`'s decimals.
    function _saleLimits(
        address asset,
        Route memory saleRoute
    ) internal view returns (uint256 floor, uint160 limit, bool zeroForOne, uint8 decimals) {
        decimals = IERC20Metadata(asset).decimals();
        zeroForOne = saleRoute.pool.token0() == asset;
        IPriceOracle oracle = vault.oracle();
        IPriceOracle.Price memory pc = _okPrice(oracle, asset);
        IPriceOracle.Price memory pb = _okPrice(oracle, address(base));
        uint256 reference_ = pc.low.wadDivUp(pb.high);
        if (saleRoute.twapWindow != 0) {
            uint256 twap = _twap(saleRoute.pool, saleRoute.twapWindow, zeroForOne, decimals);
            if (twap > reference_) reference_ = twap;
        }
        floor = reference_.wadMulUp(WAD - saleRoute.maxSlippage);
        // The pool prices token1 in token0, raw units, as √p · 2^96, before its fee: the seller of the marginal unit
        // gets p · (1 − fee). So the limit sits at floor / (1 − fee): selling token0 pushes p down to at least that
        // (limit rounded up); selling token1 pushes p up to at most (1 − fee) / floor (limit rounded down).
        uint256 scaledFloor = floor * 10 ** _baseDecimals * FEE_UNITS;
        uint256 scaledOne = WAD * 10 ** decimals * (FEE_UNITS - saleRoute.pool.fee());
        uint256 sqrtLimit =
            zeroForOne
                ? Math.sqrt(Math.mulDiv(scaledFloor, 1 << 192, scaledOne, Math.Rounding.Ceil), Math.Rounding.Ceil)
                : Math.sqrt(Math.mulDiv(scaledOne, 1 << 192, scaledFloor), Math.Rounding.Floor);
        if (sqrtLimit <= MIN_SQRT_RATIO) sqrtLimit = MIN_SQRT_RATIO + 1;
        if (sqrtLimit >= MAX_SQRT_RATIO) sqrtLimit = MAX_SQRT_RATIO - 1;
        limit = uint160(sqrtLimit);
    }

    /// @dev The pool's mean price of one whole collateral in base over `window` seconds, WAD.
    function _twap(
        IUniswapV3Pool pool,
        uint32 window,
        bool collateralIsToken0,
        uint8 decimals
    ) internal view returns (uint256) {
        uint32[] memory ago = new uint32[](2);
        ago[0] = window;
        int56[] memory cumulatives;
        try pool.observe(ago) returns (int56[] memory tickCumulatives, uint160[] memory) {
            cumulatives = tickCumulatives;
        } catch {
            revert TwapUnavailable(address(pool));
        }
        int24 tick = TwapMath.meanTick(cumulatives[0], cumulatives[1], window);
        return TwapMath.priceWad(TwapMath.sqrtRatioAtTick(tick), collateralIsToken0, decimals, _baseDecimals);
    }

    function _okPrice(IPriceOracle oracle, address asset) internal view returns (IPriceOracle.Price memory price) {
        price = oracle.getPrice(asset);
        if (price.status != IPriceOracle.Status.OK || price.low == 0)
            revert PriceNotOk(asset, price.status, price.reason);
    }
}
