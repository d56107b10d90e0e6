// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title CollateralBook
/// @notice The vault's record of collateral: which assets are listed and on what terms, each one's effective borrow
///         LTV and liquidation threshold along its bounded risk ramp, and what each account holds. Listing and
///         reconfiguring an asset (governance, rare) are external functions: their code is deployed once, here, and
///         the vault calls them by DELEGATECALL on its own storage. Everything a user action runs is internal and
///         compiled into the vault.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-17 every listed config has 0 < threshold ≤ MAX_LIQUIDATION_THRESHOLD, LTV ≤ threshold, bonus ≤
///        MAX_LIQUIDATION_BONUS and (1 + bonus) × threshold < 1, and a new bonus keeps that buffer with the threshold
///        still in effect along a ramp.
///      - INV-38 an effective threshold moves at most THRESHOLD_CUT_PER_HOUR down and THRESHOLD_RAISE_PER_HOUR up,
///        an effective LTV at most LTV_RAISE_PER_HOUR up (down at once) and never above the threshold; targets stay
///        within [config / 2, config] for the threshold and below the threshold target less the config's own gap
///        for the LTV, whoever sets them.
///      - At most MAX_COLLATERALS assets, each listed once, never the base asset, each with 0–18 decimals; an
///        asset's `index` is its position in `assetList`, the bit it sets in an account's mask.
///      - An account's mask has bit `index` set exactly when it holds some of that asset, and an asset's
///        `totalDeposited` is Σ accounts' balances of it: `increase` and `decrease` move all three together.
///      - Bit OVER_CAP + `index` is set only while the account holds the asset, once it topped the asset up past its
///        supply cap (issue 19, property 6); the vault's valuation reads it (`overCapNow`).
library CollateralBook {
    using FixedPointMath for uint256;

    /// @notice Collateral assets per vault; bounds every loop over an account's collateral.
    uint256 internal constant MAX_COLLATERALS = 16;
    /// @notice Where an account's mask keeps its over-cap bits: bit OVER_CAP + i marks asset i as topped up past its
    ///         supply cap by this account while indebted; bits below OVER_CAP say what it holds.
    uint256 internal constant OVER_CAP = 128;
    /// @notice Highest liquidation threshold: keeps at least a 5% equity cushion for liquidators.
    uint256 internal constant MAX_LIQUIDATION_THRESHOLD = 0.95e18;
    /// @notice Highest liquidation bonus: above 20% a liquidation destroys more value than it saves.
    uint256 internal constant MAX_LIQUIDATION_BONUS = 0.2e18;
    /// @notice Highest token decimals supported (prices and values are WAD).
    uint8 internal constant MAX_DECIMALS = 18;
    /// @notice Fastest a liquidation threshold falls: 1 point (0.01) an hour, so no parameter change (governance's or
    ///         the risk manager's) liquidates an account at once; a top-up or repayment has hours to land.
    uint256 internal constant THRESHOLD_CUT_PER_HOUR = 0.01e18;
    /// @notice Fastest a liquidation threshold rises: a quarter of the cut rate; loosening is slower than tightening.
    uint256 internal constant THRESHOLD_RAISE_PER_HOUR = 0.0025e18;
    /// @notice Fastest a borrow LTV rises (it falls at once): half a point an hour.
    uint256 internal constant LTV_RAISE_PER_HOUR = 0.005e18;
    /// @notice Lowest threshold cap the risk manager may set, as a share of the governance threshold.
    uint256 internal constant MIN_THRESHOLD_CAP_SHARE = 0.5e18;

    /// @notice One listed asset. Slots: config (LTV, threshold, bonus; its supply cap in the next slot); decimals,
    ///         index, listed, ramp start and both caps; total deposited; ramp.
    struct Asset {
        ICollateralVault.CollateralConfig config;
        uint8 decimals;
        uint8 index; // bit position in an account's collateral mask
        bool listed;
        uint40 rampStart; // when `ramp` last restarted
        uint64 ltvCap; // the risk manager's caps (type(uint64).max: none)
        uint64 thresholdCap;
        uint256 totalDeposited;
        ICollateralVault.RiskRamp ramp;
    }

    /// @notice The whole book, one storage struct of the vault.
    struct Book {
        address[] assetList; // listed assets, in listing order
        mapping(address asset => Asset) assets;
        mapping(address account => uint256) masks; // bit i: holds assetList[i]; bit OVER_CAP + i: topped it up past its cap
        mapping(address account => mapping(address asset => uint256)) balances;
    }

    // ================================================================= governance (external: deployed once, here)

    /// @notice Lists `asset` with `config` and starts its ramp at the config (no cap yet). Emits `CollateralListed`
    ///         then `RiskRampStarted`.
    /// @dev Reverts with `ZeroAddress`, `BaseAssetNotCollateral`, `AssetAlreadyListed`, `TooManyCollaterals`, the
    ///      config's errors (see `validate`) and `UnsupportedDecimals`.
    /// @param book The vault's book.
    /// @param asset The token to list.
    /// @param base The vault's base asset (never collateral).
    /// @param config Its risk parameters.
    function list(
        Book storage book,
        address asset,
        address base,
        ICollateralVault.CollateralConfig calldata config
    ) external {
        if (asset == address(0)) revert ICollateralVault.ZeroAddress();
        if (asset == base) revert ICollateralVault.BaseAssetNotCollateral(asset);
        Asset storage record = book.assets[asset];
        if (record.listed) revert ICollateralVault.AssetAlreadyListed(asset);
        if (book.assetList.length >= MAX_COLLATERALS) revert ICollateralVault.TooManyCollaterals(MAX_COLLATERALS);
        validate(config);
        uint8 decimals = readDecimals(asset);
        record.config = config;
        record.decimals = decimals;
        record.index = uint8(book.assetList.length);
        record.listed = true;
        (record.ltvCap, record.thresholdCap) = (type(uint64).max, type(uint64).max);
        book.assetList.push(asset);
        emit ICollateralVault.CollateralListed(asset, decimals, config);
        restartRamp(asset, record);
    }

    /// @notice Replaces a listed asset's config; its ramp restarts from today's effective values towards the new
    ///         targets. Emits `CollateralConfigUpdated` then `RiskRampStarted`.
    /// @dev Reverts with `AssetNotListed`, the config's errors (see `validate`), and `NoLiquidationBuffer` when the
    ///      new bonus leaves no buffer under the threshold still in effect.
    /// @param book The vault's book.
    /// @param asset The listed token.
    /// @param config Its new risk parameters.
    function configure(Book storage book, address asset, ICollateralVault.CollateralConfig calldata config) external {
        Asset storage record = listed(book, asset);
        validate(config);
        // INV-17 holds all along the ramp: a threshold still above the new one must keep its buffer with the new bonus.
        (, uint256 threshold) = effective(record);
        if (threshold.wadMulUp(FixedPointMath.WAD + config.liquidationBonus) >= FixedPointMath.WAD) {
            revert ICollateralVault.NoLiquidationBuffer(threshold, config.liquidationBonus);
        }
        record.config = config;
        emit ICollateralVault.CollateralConfigUpdated(asset, config);
        restartRamp(asset, record);
    }

    /// @notice The risk manager's caps on a listed asset's LTV and threshold; when they change, its ramp restarts
    ///         from today's effective values towards the capped targets (emits `RiskRampStarted`). Unchanged caps
    ///         change nothing and emit nothing.
    /// @dev Reverts with `AssetNotListed`, and `ThresholdCapTooLow` under MIN_THRESHOLD_CAP_SHARE of the config's
    ///      threshold (rounded up: the floor errs on the side of a higher threshold).
    /// @param book The vault's book.
    /// @param asset The listed token.
    /// @param ltvCap Cap on its borrow LTV (WAD).
    /// @param thresholdCap Cap on its liquidation threshold (WAD).
    function setCaps(Book storage book, address asset, uint64 ltvCap, uint64 thresholdCap) external {
        Asset storage record = listed(book, asset);
        uint256 floor = uint256(record.config.liquidationThreshold).wadMulUp(MIN_THRESHOLD_CAP_SHARE);
        if (thresholdCap < floor) revert ICollateralVault.ThresholdCapTooLow(thresholdCap, floor);
        if (ltvCap == record.ltvCap && thresholdCap == record.thresholdCap) return;
        (record.ltvCap, record.thresholdCap) = (ltvCap, thresholdCap);
        restartRamp(asset, record);
    }

    // ================================================================= internal (compiled into the vault)

    /// @dev The listed asset's record; reverts `AssetNotListed` otherwise.
    function listed(Book storage book, address asset) internal view returns (Asset storage record) {
        record = book.assets[asset];
        if (!record.listed) revert ICollateralVault.AssetNotListed(asset);
    }

    /// @dev Adds `amount` of `asset` to `account`'s holding (and its bit to the account's mask).
    function increase(
        Book storage book,
        address account,
        address asset,
        Asset storage record,
        uint256 amount
    ) internal {
        record.totalDeposited += amount;
        book.balances[account][asset] += amount;
        book.masks[account] |= 1 << record.index;
    }

    /// @dev Removes `amount` of `asset` from `account`'s holding, `held` (the caller has just read it, and checked
    ///      `amount` ≤ `held`); an emptied holding leaves the account's mask.
    function decrease(
        Book storage book,
        address account,
        address asset,
        Asset storage record,
        uint256 held,
        uint256 amount
    ) internal {
        record.totalDeposited -= amount;
        uint256 remaining = held - amount;
        book.balances[account][asset] = remaining;
        if (remaining == 0) book.masks[account] &= ~((1 << record.index) | (1 << (OVER_CAP + record.index)));
    }

    /// @dev Marks `account`'s holding of `record`'s asset as topped up past the asset's supply cap: while the asset's
    ///      total stays above the cap, that holding lends the account nothing (it still protects it).
    function markOverCap(Book storage book, address account, Asset storage record) internal {
        book.masks[account] |= 1 << (OVER_CAP + record.index);
    }

    /// @dev Whether holding `index` of an account with `mask` lends nothing now: marked over the cap, and the asset's
    ///      total deposits still above its supply cap.
    function overCapNow(uint256 mask, uint256 index, Asset storage record) internal view returns (bool) {
        return (mask >> (OVER_CAP + index)) & 1 != 0 && record.totalDeposited > record.config.supplyCap;
    }

    /// @dev The effective borrow LTV and liquidation threshold of `record` now (the formula on `RiskRamp`), rounded
    ///      towards the target: a ramp never overshoots.
    function effective(Asset storage record) internal view returns (uint256 ltv, uint256 threshold) {
        ICollateralVault.RiskRamp memory ramp = record.ramp;
        uint256 elapsed = block.timestamp - record.rampStart;
        if (ramp.thresholdTarget < ramp.thresholdFrom) {
            uint256 cut = (THRESHOLD_CUT_PER_HOUR * elapsed) / 1 hours;
            threshold =
                ramp.thresholdFrom - ramp.thresholdTarget > cut ? ramp.thresholdFrom - cut : ramp.thresholdTarget;
        } else {
            uint256 raise = (THRESHOLD_RAISE_PER_HOUR * elapsed) / 1 hours;
            threshold =
                ramp.thresholdTarget - ramp.thresholdFrom > raise ? ramp.thresholdFrom + raise : ramp.thresholdTarget;
        }
        if (ramp.ltvTarget < ramp.ltvFrom) {
            ltv = ramp.ltvTarget;
        } else {
            uint256 raise = (LTV_RAISE_PER_HOUR * elapsed) / 1 hours;
            ltv = ramp.ltvTarget - ramp.ltvFrom > raise ? ramp.ltvFrom + raise : ramp.ltvTarget;
        }
        if (ltv > threshold) ltv = threshold;
    }

    /// @dev Restarts `record`'s ramp from its effective values now. Threshold target: min(config, cap), never below
    ///      half the config (a cap set under an older config cannot outlive its floor). LTV target: min(config, cap),
    ///      and never above the threshold target less governance's own LTV-to-threshold gap, so nobody borrows at a
    ///      limit the falling threshold will liquidate. Emits `RiskRampStarted`.
    function restartRamp(address asset, Asset storage record) internal {
        (uint256 ltvNow, uint256 thresholdNow) = record.rampStart == 0
            ? (record.config.borrowLtv, record.config.liquidationThreshold)
            : effective(record);
        uint256 configThreshold = record.config.liquidationThreshold;
        uint256 thresholdTarget = Math.max(
            Math.min(configThreshold, record.thresholdCap),
            configThreshold.wadMulUp(MIN_THRESHOLD_CAP_SHARE)
        );
        uint256 gap = configThreshold - record.config.borrowLtv;
        uint256 ltvTarget = Math.min(
            Math.min(record.config.borrowLtv, record.ltvCap),
            thresholdTarget > gap ? thresholdTarget - gap : 0
        );
        record.ramp = ICollateralVault.RiskRamp(
            uint64(ltvNow),
            uint64(ltvTarget),
            uint64(thresholdNow),
            uint64(thresholdTarget)
        );
        record.rampStart = uint40(block.timestamp);
        emit ICollateralVault.RiskRampStarted(asset, record.ramp, record.ltvCap, record.thresholdCap);
    }

    /// @dev INV-17: a config inside the bounds, with a liquidation buffer.
    function validate(ICollateralVault.CollateralConfig calldata config) internal pure {
        uint256 threshold = config.liquidationThreshold;
        if (threshold == 0 || threshold > MAX_LIQUIDATION_THRESHOLD) {
            revert ICollateralVault.ThresholdOutOfBounds(threshold, MAX_LIQUIDATION_THRESHOLD);
        }
        if (config.borrowLtv > threshold) revert ICollateralVault.LtvAboveThreshold(config.borrowLtv, threshold);
        if (config.liquidationBonus > MAX_LIQUIDATION_BONUS) {
            revert ICollateralVault.BonusTooHigh(config.liquidationBonus, MAX_LIQUIDATION_BONUS);
        }
        // INV-17: (1 + bonus) × LT < 1, rounded up so the check errs on the strict side.
        if (threshold.wadMulUp(FixedPointMath.WAD + config.liquidationBonus) >= FixedPointMath.WAD) {
            revert ICollateralVault.NoLiquidationBuffer(threshold, config.liquidationBonus);
        }
    }

    /// @dev Reads decimals with a low-level call: a token without `decimals()` or with more than 18 is unsupported.
    function readDecimals(address token) internal view returns (uint8) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IERC20Metadata.decimals, ()));
        if (!ok || data.length < 32) revert ICollateralVault.UnsupportedDecimals(token, type(uint256).max);
        uint256 decimals = abi.decode(data, (uint256));
        if (decimals > MAX_DECIMALS) revert ICollateralVault.UnsupportedDecimals(token, decimals);
        return uint8(decimals);
    }
}
