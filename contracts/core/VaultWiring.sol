// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";

/// @title VaultWiring
/// @notice The contracts the vault trusts, and governance's three ways to change them: the liquidation engine, the
///         circuit breaker with its withdrawal queue, and the risk modules. External functions, deployed once here and
///         called by the vault with DELEGATECALL on its own storage (governance paths only: they cost no user gas).
/// @dev Invariants:
///      - The engine, the breaker and the queue are never the zero address once set, and a breaker or queue is set
///        only if it names this vault as the one it serves (`WrongVault`), so neither can be pointed elsewhere.
///      - Each change emits its event after the write.
library VaultWiring {
    /// @notice The vault's wiring, one storage struct (one slot per address).
    struct Wiring {
        address engine;
        ICircuitBreaker breaker;
        IWithdrawalQueue queue;
        address riskManager;
        address recovery;
    }

    /// @notice Sets the liquidation engine. Emits `LiquidationEngineSet`.
    /// @dev Reverts with `ZeroAddress`.
    /// @param wiring The vault's wiring.
    /// @param engine The new engine.
    function setEngine(Wiring storage wiring, address engine) external {
        if (engine == address(0)) revert ICollateralVault.ZeroAddress();
        wiring.engine = engine;
        emit ICollateralVault.LiquidationEngineSet(engine);
    }

    /// @notice Sets the circuit breaker and its withdrawal queue. Emits `CircuitBreakerSet`.
    /// @dev Reverts with `ZeroAddress`, `WrongVault`.
    /// @param wiring The vault's wiring.
    /// @param breaker The new breaker (it must serve this vault).
    /// @param queue The new queue (it must serve this vault).
    function setBreaker(Wiring storage wiring, ICircuitBreaker breaker, IWithdrawalQueue queue) external {
        if (address(breaker) == address(0) || address(queue) == address(0)) revert ICollateralVault.ZeroAddress();
        _requireServesThisVault(address(breaker));
        _requireServesThisVault(address(queue));
        (wiring.breaker, wiring.queue) = (breaker, queue);
        emit ICollateralVault.CircuitBreakerSet(address(breaker), address(queue));
    }

    /// @notice Sets the risk manager and the recovery module (zero: none). Emits `RiskModulesSet`.
    /// @param wiring The vault's wiring.
    /// @param riskManager The risk manager.
    /// @param recovery The recovery module.
    function setRiskModules(Wiring storage wiring, address riskManager, address recovery) external {
        (wiring.riskManager, wiring.recovery) = (riskManager, recovery);
        emit ICollateralVault.RiskModulesSet(riskManager, recovery);
    }

    /// @dev Reverts unless `component` (a circuit breaker or a withdrawal queue: both have `vault()`) serves the
    ///      calling vault (this code runs in the vault's context, so `address(this)` is the vault).
    function _requireServesThisVault(address component) private view {
        if (ICircuitBreaker(component).vault() != address(this)) revert ICollateralVault.WrongVault(component);
    }
}
