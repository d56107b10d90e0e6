// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IWithdrawalQueue, MAX_QUEUE_DELAY} from "../interfaces/IWithdrawalQueue.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title VaultWiring
/// @notice The contracts the vault trusts, and governance's three ways to change them: the liquidation engine, the
///         circuit breaker with its withdrawal queue, and the risk modules. The three setters are compiled into
///         `VaultModule` (governance paths: they cost no user gas); `enqueue`, a withdrawal's rare queued path, is an
///         external function, deployed once here and called by the vault with DELEGATECALL on its own storage.
/// @dev Invariants:
///      - The engine, the breaker and the queue are never the zero address once set, and a breaker or queue is set
///        only if it names this vault as the one it serves (`WrongVault`), so neither can be pointed elsewhere.
///      - Each change emits its event after the write.
///      - A queued withdrawal's tokens go to the queue with its claim, payable no later than MAX_QUEUE_DELAY from now.
library VaultWiring {
    using SafeERC20 for IERC20;
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
    function setEngine(Wiring storage wiring, address engine) internal {
        if (engine == address(0)) revert ICollateralVault.ZeroAddress();
        wiring.engine = engine;
        emit ICollateralVault.LiquidationEngineSet(engine);
    }

    /// @notice Sets the circuit breaker and its withdrawal queue. Emits `CircuitBreakerSet`.
    /// @dev Reverts with `ZeroAddress`, `WrongVault`.
    /// @param wiring The vault's wiring.
    /// @param breaker The new breaker (it must serve this vault).
    /// @param queue The new queue (it must serve this vault).
    function setBreaker(Wiring storage wiring, ICircuitBreaker breaker, IWithdrawalQueue queue) internal {
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
    function setRiskModules(Wiring storage wiring, address riskManager, address recovery) internal {
        (wiring.riskManager, wiring.recovery) = (riskManager, recovery);
        emit ICollateralVault.RiskModulesSet(riskManager, recovery);
    }

    /// @notice Sends `amount` of `token` to the withdrawal queue as a claim of `to` payable at `readyAt` (capped at
    ///         MAX_QUEUE_DELAY from now): the vault's withdrawal path when the circuit breaker queues it (rare, so
    ///         here, out of the vault's bytecode). Emits `WithdrawalQueued`.
    /// @param wiring The vault's wiring (its queue).
    /// @param token The asset withdrawn.
    /// @param to The claim's beneficiary.
    /// @param amount Units withdrawn.
    /// @param readyAt When the breaker says the claim becomes payable.
    function enqueue(Wiring storage wiring, address token, address to, uint256 amount, uint256 readyAt) external {
        if (readyAt > block.timestamp + MAX_QUEUE_DELAY) readyAt = block.timestamp + MAX_QUEUE_DELAY;
        IWithdrawalQueue queue = wiring.queue;
        IERC20(token).safeTransfer(address(queue), amount);
        uint256 id = queue.enqueue(to, token, amount, readyAt);
        // The one event after a call: it names the claim the queue has just created.
        emit ICollateralVault.WithdrawalQueued(id, to, token, amount, readyAt);
    }

    /// @dev Reverts unless `component` (a circuit breaker or a withdrawal queue: both have `vault()`) serves the
    ///      calling vault (this code runs in the vault's context, so `address(this)` is the vault).
    function _requireServesThisVault(address component) private view {
        if (ICircuitBreaker(component).vault() != address(this)) revert ICollateralVault.WrongVault(component);
    }
}
