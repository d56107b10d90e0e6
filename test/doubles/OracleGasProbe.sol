// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";

/// @notice Calls an oracle's getPrice with an exact gas budget and reports how the call ended, to test the
///         adapter's anti-griefing check (InsufficientGasForFeed) without guessing eth_call gas. Test helper only.
contract OracleGasProbe {
    /// @notice How a getPrice call ended.
    enum Outcome {
        Returned, // it returned a price
        InsufficientGas, // it reverted with the InsufficientGasForFeed() selector
        OtherRevert // it reverted with anything else (out of gas included: empty revert data)
    }

    /// @notice One probed call.
    struct Result {
        uint256 gas;
        Outcome outcome;
        IPriceOracle.Price price;
        bytes revertData;
    }

    /// @dev bytes4(keccak256("InsufficientGasForFeed()")).
    bytes4 public constant INSUFFICIENT_GAS_SELECTOR = bytes4(keccak256("InsufficientGasForFeed()"));

    /// @notice Calls `oracle.getPrice(asset)` forwarding exactly `gasAmount` gas.
    /// @param oracle The oracle under test.
    /// @param asset The asset priced.
    /// @param gasAmount Gas forwarded to getPrice.
    /// @return r How the call ended, with the price when it returned.
    function probe(IPriceOracle oracle, address asset, uint256 gasAmount) public view returns (Result memory r) {
        r.gas = gasAmount;
        try oracle.getPrice{gas: gasAmount}(asset) returns (IPriceOracle.Price memory p) {
            r.outcome = Outcome.Returned;
            r.price = p;
        } catch (bytes memory data) {
            r.revertData = data;
            r.outcome =
                data.length == 4 && bytes4(data) == INSUFFICIENT_GAS_SELECTOR
                    ? Outcome.InsufficientGas
                    : Outcome.OtherRevert;
        }
    }

    /// @notice `probe` for every budget from `fromGas` to `toGas` (inclusive) in steps of `step`.
    /// @param oracle The oracle under test.
    /// @param asset The asset priced.
    /// @param fromGas First budget.
    /// @param toGas Last budget.
    /// @param step Increment between budgets.
    /// @return results One result per budget, in increasing order.
    function sweep(
        IPriceOracle oracle,
        address asset,
        uint256 fromGas,
        uint256 toGas,
        uint256 step
    ) external view returns (Result[] memory results) {
        results = new Result[]((toGas - fromGas) / step + 1);
        for (uint256 i; i < results.length; ++i) results[i] = probe(oracle, asset, fromGas + i * step);
    }

    /// @notice The block timestamp a call sees (to pin boundary tests to the time the reads run at).
    /// @return The current block timestamp.
    function timestamp() external view returns (uint256) {
        return block.timestamp;
    }
}

/// @notice A healthy Chainlink-like feed whose latestRoundData costs a large, fixed amount of gas (like a heavy
///         proxy), so a caller can starve it: given too little gas it runs out of gas as any feed would. One round
///         (round 1 of phase 1), so no previous round is ever looked up. Test helper only.
contract OracleGasHungryFeed {
    /// @notice Thrown by getRoundData: there is no round but the latest.
    error NoDataPresent();
    /// @notice Never thrown; keeps the optimizer from dropping the gas-burning loop.
    error Unreachable();

    uint80 private constant ROUND_ID = (uint80(1) << 64) | 1;

    uint8 public immutable decimals;
    /// @notice Hash rounds spent by each latestRoundData.
    uint256 public immutable iterations;

    int256 public answer;
    uint256 public startedAt;
    uint256 public updatedAt;

    constructor(uint8 decimals_, uint256 iterations_) {
        decimals = decimals_;
        iterations = iterations_;
    }

    /// @notice Sets the round latestRoundData returns.
    function set(int256 answer_, uint256 startedAt_, uint256 updatedAt_) external {
        (answer, startedAt, updatedAt) = (answer_, startedAt_, updatedAt_);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        uint256 x;
        for (uint256 i; i < iterations; ++i) x = uint256(keccak256(abi.encode(x, i)));
        if (x == 1) revert Unreachable();
        return (ROUND_ID, answer, startedAt, updatedAt, ROUND_ID);
    }

    function getRoundData(uint80) external pure returns (uint80, int256, uint256, uint256, uint80) {
        revert NoDataPresent();
    }
}
