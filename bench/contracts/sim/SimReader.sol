// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {ICircuitBreaker} from "../../../contracts/interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../../../contracts/interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../../../contracts/interfaces/IPriceOracle.sol";
import {VaultStorage} from "../../../contracts/libraries/VaultStorage.sol";

/// @title SimReader
/// @notice Everything one block of a Bulwark replay reads from the chain, in one call: each price as the oracle
///         reports it, each collateral's effective parameters, the borrow index, the vault's own valuation of a few
///         sampled accounts, each pool's price, each breaker entry's level and the vault's totals. Simulation only:
///         the replay made these reads one call each, and on the in-process chain a call's fixed cost is most of a
///         read's. It holds nothing and changes nothing: every read is one of the contracts' own views.
contract SimReader {
    /// @notice A price as `IPriceOracle.getPrice` reports it.
    struct PriceRead {
        uint256 low;
        uint256 high;
        uint8 status;
    }

    /// @notice A collateral's price and its effective (ramped, capped) parameters (`ICollateralVault.riskParams`).
    struct CollateralRead {
        PriceRead price;
        uint256 borrowLtv;
        uint256 liquidationThreshold;
    }

    /// @notice One block's reads.
    struct BlockRead {
        PriceRead base;
        CollateralRead[] collaterals;
        uint256 borrowIndex;
        ICollateralVault.AccountLiquidity[] samples;
        uint160[] poolSqrtPrices; // each pool's slot0 price (0 for no pool)
        address[] breakerAssets; // ICircuitBreaker.state's entries, in its order
        uint8[] breakerLevels;
        uint256 badDebt;
        uint256 totalDebt;
        uint256 shareValue; // convertToAssets(shareUnit)
    }

    /// @notice Reads one block.
    /// @param vault The vault.
    /// @param breaker Its circuit breaker (address(0): none, no levels).
    /// @param base The base asset.
    /// @param collaterals The collaterals, in the replay's order.
    /// @param pools Each collateral's pool (address(0): none), same order.
    /// @param samples Accounts whose `accountLiquidity` the replay checks its own valuation against.
    /// @param shareUnit One whole vault share, in share units.
    /// @return out The block's reads.
    function read(
        ICollateralVault vault,
        ICircuitBreaker breaker,
        address base,
        address[] calldata collaterals,
        address[] calldata pools,
        address[] calldata samples,
        uint256 shareUnit
    ) external view returns (BlockRead memory out) {
        IPriceOracle oracle = VaultStorage.oracle(vault);
        out.base = _price(oracle, base);
        out.collaterals = new CollateralRead[](collaterals.length);
        out.poolSqrtPrices = new uint160[](pools.length);
        for (uint256 i; i < collaterals.length; ++i) {
            (uint256 ltv, uint256 threshold) = vault.riskParams(collaterals[i]);
            out.collaterals[i] = CollateralRead(_price(oracle, collaterals[i]), ltv, threshold);
        }
        for (uint256 i; i < pools.length; ++i) {
            if (pools[i] != address(0)) out.poolSqrtPrices[i] = _sqrtPrice(pools[i]);
        }
        out.borrowIndex = vault.borrowIndex();
        out.samples = new ICollateralVault.AccountLiquidity[](samples.length);
        for (uint256 i; i < samples.length; ++i) out.samples[i] = vault.accountLiquidity(samples[i]);
        if (address(breaker) != address(0)) {
            ICircuitBreaker.EntryView[] memory entries = breaker.state();
            out.breakerAssets = new address[](entries.length);
            out.breakerLevels = new uint8[](entries.length);
            for (uint256 i; i < entries.length; ++i) {
                (out.breakerAssets[i], out.breakerLevels[i]) = (entries[i].asset, uint8(entries[i].level));
            }
        }
        out.badDebt = vault.badDebt();
        out.totalDebt = vault.totalDebt();
        out.shareValue = IERC4626(address(vault)).convertToAssets(shareUnit);
    }

    /// @dev A pool's √price: the first word of its `slot0`, read alone so that a Uniswap v3 fork that widened a later
    ///      field still answers (0 for a pool that does not).
    function _sqrtPrice(address pool) private view returns (uint160) {
        (bool ok, bytes memory data) = pool.staticcall(abi.encodeWithSignature("slot0()"));
        if (!ok || data.length < 32) return 0;
        return uint160(uint256(bytes32(data)));
    }

    function _price(IPriceOracle oracle, address asset) private view returns (PriceRead memory) {
        IPriceOracle.Price memory p = oracle.getPrice(asset);
        return PriceRead(p.low, p.high, uint8(p.status));
    }
}
