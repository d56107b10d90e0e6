// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICollateralVault} from "../../../contracts/interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../../../contracts/interfaces/ILiquidationEngine.sol";
import {IPriceOracle} from "../../../contracts/interfaces/IPriceOracle.sol";

/// @title SimSnapshots
/// @notice What the keeper library's `readAccountSnapshots` (scripts/lib/keeper/accounts.ts) reads of each account,
///         for many accounts in one call: its liquidity; when it is unhealthy (or its price unknown), whether the vault
///         calls it liquidatable, when it was flagged, and per collateral it holds the amount, the prices the vault
///         values it at and the engine's preview of liquidating it (or the preview's revert data). Simulation only:
///         the replay's keeper made these reads one call each, about eight per account, and on the in-process chain a
///         call's fixed cost is most of a read's. It holds nothing and changes nothing: each read is one of the
///         contracts' own views.
contract SimSnapshots {
    /// @notice Gas left before a preview was under `needed`: the caller reads the chunk another way. A preview must
    ///         never fail for want of gas here (the adapter refuses to read a feed short of gas, which would look like
    ///         an ordinary refusal), so it runs only with this much left.
    error PreviewGasShort(uint256 left, uint256 needed);

    /// @notice Gas a preview may need at most (a liquidation's own reads, with room).
    uint256 public constant PREVIEW_GAS = 3_000_000;

    /// @notice One collateral an unhealthy account holds.
    struct Holding {
        address asset;
        uint256 amount;
        IPriceOracle.Price collateralPrice; // as `liquidationView` reports it
        uint8 basePriceStatus; // `liquidationView`'s base price status
        uint8 decimals;
        bool previewed; // false when the collateral's price is FAILED (no preview is asked for)
        bool previewOk;
        ILiquidationEngine.Quote preview;
        bytes previewError; // the preview's revert data, when it reverted
    }

    /// @notice One account.
    struct Snapshot {
        ICollateralVault.AccountLiquidity liq;
        bool unhealthy; // false: nothing below was read (healthy or no debt)
        bool liquidatable;
        uint256 flaggedAt;
        Holding[] holdings;
    }

    /// @notice Snapshots `accounts` as `readAccountSnapshots` would, each preview for `maxRepay`.
    /// @param vault The vault.
    /// @param engine Its liquidation engine.
    /// @param accounts The accounts.
    /// @param collaterals The collaterals to look at, in the keeper's order.
    /// @param maxRepay The preview's most to repay.
    /// @return out One snapshot per account, in order.
    function snapshots(
        ICollateralVault vault,
        ILiquidationEngine engine,
        address[] calldata accounts,
        address[] calldata collaterals,
        uint256 maxRepay
    ) external view returns (Snapshot[] memory out) {
        out = new Snapshot[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            out[i] = _snapshot(vault, engine, accounts[i], collaterals, maxRepay);
        }
    }

    function _snapshot(
        ICollateralVault vault,
        ILiquidationEngine engine,
        address account,
        address[] calldata collaterals,
        uint256 maxRepay
    ) private view returns (Snapshot memory s) {
        s.liq = vault.accountLiquidity(account);
        bool unknownPrice = s.liq.priceStatus == IPriceOracle.Status.FAILED;
        if (s.liq.debt == 0 || (!unknownPrice && s.liq.debtValue <= s.liq.liquidationLimit)) return s;
        s.unhealthy = true;
        s.liquidatable = vault.isLiquidatable(account);
        s.flaggedAt = engine.flaggedAt(account);
        Holding[] memory found = new Holding[](collaterals.length);
        uint256 n;
        for (uint256 j; j < collaterals.length; ++j) {
            uint256 amount = vault.collateralOf(account, collaterals[j]);
            if (amount == 0) continue;
            found[n++] = _holding(vault, engine, account, collaterals[j], amount, maxRepay);
        }
        s.holdings = new Holding[](n);
        for (uint256 j; j < n; ++j) s.holdings[j] = found[j];
    }

    function _holding(
        ICollateralVault vault,
        ILiquidationEngine engine,
        address account,
        address asset,
        uint256 amount,
        uint256 maxRepay
    ) private view returns (Holding memory h) {
        ICollateralVault.LiquidationView memory v = vault.liquidationView(account, asset);
        h.asset = asset;
        h.amount = amount;
        h.collateralPrice = v.collateralPrice;
        h.basePriceStatus = uint8(v.basePrice.status);
        h.decimals = v.decimals;
        if (v.collateralPrice.status == IPriceOracle.Status.FAILED) return h;
        h.previewed = true;
        if (gasleft() < PREVIEW_GAS) revert PreviewGasShort(gasleft(), PREVIEW_GAS);
        try engine.previewLiquidation(account, asset, maxRepay) returns (ILiquidationEngine.Quote memory q) {
            h.previewOk = true;
            h.preview = q;
        } catch (bytes memory reason) {
            h.previewError = reason;
        }
    }
}
