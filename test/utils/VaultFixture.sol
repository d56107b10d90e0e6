// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {KinkedRateModel} from "../../contracts/core/KinkedRateModel.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../../contracts/interfaces/ILiquidationEngine.sol";
import {LiquidationEngine} from "../../contracts/liquidation/LiquidationEngine.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {MockPriceOracle} from "../doubles/MockPriceOracle.sol";
import {CircuitBreaker} from "../../contracts/core/CircuitBreaker.sol";
import {WithdrawalQueue} from "../../contracts/core/WithdrawalQueue.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";

/// @notice Deploys the market the Solidity tests share: USDC (6) as base; WETH (18), WBTC (8) and GEM (0 decimals)
///         as collateral, with Aave-like parameters and a settable price double, and the liquidation engine with the
///         default policy (scripts/lib/testMarket.ts DEFAULT_ENGINE_PARAMS), and the circuit breaker and withdrawal queue
///         with the default policy (DEFAULT_BREAKER_PARAMS, DEFAULT_ASSET_TRIGGERS, DEFAULT_BASE_TRIGGERS).
contract VaultFixture {
    MockERC20 internal usdc;
    MockERC20 internal weth;
    MockERC20 internal wbtc;
    MockERC20 internal gem;
    MockPriceOracle internal oracle;
    KinkedRateModel internal rateModel;
    CollateralVault internal vault;
    LiquidationEngine internal engine;
    CircuitBreaker internal breaker;
    WithdrawalQueue internal queue;
    MockERC20[] internal collaterals;
    /// @dev Reads the vault serves no longer itself (the lens holds no state: one serves every test).
    VaultLens internal lens = new VaultLens();

    /// @dev Lender shares held by `holders`, the withdrawal queue and the vault itself: INV-01's share sum.
    function _sharesHeld(address[] memory holders) internal view returns (uint256 sum) {
        sum = vault.balanceOf(address(vault)) + vault.balanceOf(address(queue));
        for (uint256 i; i < holders.length; ++i) sum += vault.balanceOf(holders[i]);
    }

    function _deployMarket() internal {
        usdc = new MockERC20("USD Coin", "USDC", 6);
        weth = new MockERC20("Wrapped Ether", "WETH", 18);
        wbtc = new MockERC20("Wrapped Bitcoin", "WBTC", 8);
        gem = new MockERC20("Zero-decimals Gem", "GEM", 0);
        oracle = new MockPriceOracle();
        rateModel = new KinkedRateModel(0.02e18, 0.04e18, 0.6e18, 0.9e18);
        vault = new CollateralVault(
            usdc,
            "Bulwark USDC",
            "bwUSDC",
            oracle,
            rateModel,
            0.1e18,
            1e9 * 1e6,
            address(this)
        );

        oracle.setPrice(address(usdc), 1e18);
        _list(weth, 3_000e18, 0.8e18, 0.85e18, 0.05e18, 1e9 * 1e18);
        _list(wbtc, 60_000e18, 0.73e18, 0.78e18, 0.065e18, 1e6 * 1e8);
        _list(gem, 250e18, 0.5e18, 0.6e18, 0.1e18, 1e9);

        engine = new LiquidationEngine(
            vault,
            ILiquidationEngine.Params({
                targetHealth: 1.05e18,
                fullCloseHealth: 0.9e18,
                minBonusShare: 0.5e18,
                healthRamp: 0.1e18,
                protocolFeeShare: 0.1e18,
                emergencyHealth: 0.95e18,
                timeRamp: 30 minutes,
                dustValue: 100e18
            }),
            address(this)
        );
        vault.setLiquidationEngine(address(engine));

        _deployBreaker();
    }

    /// @dev The breaker and queue with the shipped policy, wired into the vault.
    function _deployBreaker() private {
        breaker = new CircuitBreaker(
            address(vault),
            ICircuitBreaker.Params({
                cooldown: 1 hours,
                guardianCooldown: 1 days,
                claimDelay: 1 days,
                liquidationGrace: 10 minutes,
                resumeShare: 0.5e18,
                badDebtShare: 0.005e18
            }),
            ICircuitBreaker.AssetParams({
                outflowShare: 0.25e18,
                outflowWindow: 6 hours,
                maxFall: 0.25e18,
                fallWindow: 1 hours
            }),
            address(this)
        );
        breaker.setAssetParams(
            address(usdc),
            ICircuitBreaker.AssetParams({
                outflowShare: 0.25e18,
                outflowWindow: 6 hours,
                maxFall: 0.05e18,
                fallWindow: 1 hours
            })
        );
        queue = new WithdrawalQueue(address(vault));
        vault.setCircuitBreaker(breaker, queue);
    }

    function _list(MockERC20 token, uint256 price, uint64 ltv, uint64 lt, uint64 bonus, uint128 cap) private {
        oracle.setPrice(address(token), price);
        vault.listCollateral(
            address(token),
            ICollateralVault.CollateralConfig({
                borrowLtv: ltv,
                liquidationThreshold: lt,
                liquidationBonus: bonus,
                supplyCap: cap
            })
        );
        collaterals.push(token);
    }
}
