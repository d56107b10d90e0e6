// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {LendingBook} from "./LendingBook.sol";

/// @title CollateralBook
/// @notice The vault's record of collateral: which assets are listed and on what terms, each one's effective borrow
///         LTV and liquidation threshold along its bounded risk ramp, and what each account holds. Listing and
///         reconfiguring an asset and the risk manager's caps (rare) are compiled into `VaultModule`, which the vault
///         runs by DELEGATECALL on its own storage; a top-up past a supply cap is an external function, deployed once
///         here (the same way in). Everything else a user action runs is internal and compiled into the vault.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-17 every listed config has 0 < threshold ≤ MAX_LIQUIDATION_THRESHOLD, LTV ≤ threshold, bonus ≤
///        MAX_LIQUIDATION_BONUS and (1 + bonus) × threshold < 1, and a new bonus keeps that buffer with the threshold
///        still in effect along a ramp.
///      - INV-38 an effective threshold moves at most THRESHOLD_CUT_PER_HOUR down and THRESHOLD_RAISE_PER_HOUR up,
///        an effective LTV at most LTV_RAISE_PER_HOUR up (down at once) and never above the threshold; targets stay
///        within [config / 2, config] for the threshold and below the threshold target less the config's own gap
///        for the LTV, whoever sets them.
///      - At most MAX_COLLATERALS assets, each listed once, never the base asset, each with 0–18 decimals; an
///        asset's `index` is its position in `assetList`, the bit it sets in an account's holdings (its
///        `LendingBook.Position`, the slot that also keeps its scaled debt).
///      - An account's holdings have bit `index` set exactly when it holds some of that asset, and an asset's
///        `totalDeposited` is Σ accounts' balances of it: `increase` and `decrease` move all three together.
///      - Its `pastCap` bit `index` is set whenever `overCap[account][asset]` is non-zero: the units the account added
///        past the asset's supply cap (issue 19, property 6) in the asset's current `capEpoch` (`pastOf`; an entry of
///        an earlier epoch is void), which leave first and never outlast the holding. They back at most
///        MAX_OVER_CAP_COVER × the account's debt when added; the vault's valuation lends on none of them while the
///        asset is above its cap, nor on more than it is above it (`pastCapNow`).
library CollateralBook {
    using FixedPointMath for uint256;

    /// @notice Collateral assets per vault; bounds every loop over an account's collateral.
    uint256 internal constant MAX_COLLATERALS = 16;
    /// @notice Most an account may hold past a supply cap, as cover of its debt: what it adds past the cap backs at
    ///         most twice its debt at the asset's liquidation threshold (enough to take any account to health 2 on
    ///         its own), so a top-up always can, and a borrow of 1 wei cannot carry an unbounded deposit past the cap.
    uint256 internal constant MAX_OVER_CAP_COVER = 2;
    /// @dev Where an `overCap` entry keeps the asset's `capEpoch` it was made in.
    uint256 private constant EPOCH_SHIFT = 192;
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
    ///         index, listed, ramp start, both caps and the cap epoch; total deposited; ramp.
    struct Asset {
        ICollateralVault.CollateralConfig config;
        uint8 decimals;
        uint8 index; // its bit in an account's holdings (LendingBook.Position)
        bool listed;
        uint40 rampStart; // when `ramp` last restarted
        uint64 ltvCap; // the risk manager's caps (type(uint64).max: none)
        uint64 thresholdCap;
        uint64 capEpoch; // bumped when a top-up takes the asset from within its cap to past it (`overCap`)
        uint256 totalDeposited;
        ICollateralVault.RiskRamp ramp;
    }

    /// @notice The whole book, one storage struct of the vault.
    struct Book {
        address[] assetList; // listed assets, in listing order
        mapping(address asset => Asset) assets;
        mapping(address account => mapping(address asset => LendingBook.Balance)) balances; // with its deposit credit
        // Units of the holding added past the cap (bits 0–191), with the asset's `capEpoch` then (bits 192–255): an
        // entry of an earlier epoch is void, since the asset has been back within its cap since.
        mapping(address account => mapping(address asset => uint256)) overCap;
    }

    // ================================================================= governance and risk caps (compiled into VaultModule)

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
    ) internal {
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
    function configure(Book storage book, address asset, ICollateralVault.CollateralConfig calldata config) internal {
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
    function setCaps(Book storage book, address asset, uint64 ltvCap, uint64 thresholdCap) internal {
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

    /// @dev `assetList[i]` without the array's length check (a cold read of its own): only for an `i` whose bit is set
    ///      in some account's holdings, which is below the length (an asset's index is its position, and no asset is
    ///      ever removed).
    function assetAt(Book storage book, uint256 i) internal view returns (address asset) {
        address[] storage assets = book.assetList;
        assembly ("memory-safe") {
            mstore(0x00, assets.slot)
            asset := sload(add(keccak256(0x00, 0x20), i))
        }
    }

    /// @dev Adds `amount` of `asset` to `account`'s holding (and its bit to the account's holdings, in `position`).
    function increase(
        Book storage book,
        LendingBook.Position storage position,
        address account,
        address asset,
        Asset storage record,
        uint256 amount
    ) internal {
        record.totalDeposited += amount;
        LendingBook.Balance storage balance = book.balances[account][asset];
        balance.amount = SafeCast.toUint128(balance.amount + amount);
        uint16 bit = uint16(1 << record.index);
        if (position.holdings & bit == 0) position.holdings |= bit;
    }

    /// @dev Removes `amount` of `asset` from `account`'s holding, `held` (the caller has just read it, and checked
    ///      `amount` ≤ `held`); an emptied holding leaves the account's holdings (in `position`).
    function decrease(
        Book storage book,
        LendingBook.Position storage position,
        address account,
        address asset,
        Asset storage record,
        uint256 held,
        uint256 amount
    ) internal {
        record.totalDeposited -= amount;
        uint256 remaining = held - amount;
        book.balances[account][asset].amount = uint128(remaining); // ≤ held
        uint16 bit = uint16(1 << record.index);
        if (position.pastCap & bit != 0) {
            // What it took past the cap leaves first: the holding that lends stays as it was.
            uint256 past = pastOf(book, account, asset, record);
            past = past > amount ? past - amount : 0;
            book.overCap[account][asset] = past == 0 ? 0 : (uint256(record.capEpoch) << EPOCH_SHIFT) | past;
            if (past == 0) position.pastCap &= ~bit;
        }
        if (remaining == 0) position.holdings &= ~bit;
    }

    /// @notice Books `amount` of `asset` that indebted `account` is adding for itself past the asset's supply cap
    ///         (issue 19, property 6): the part the cap cannot hold joins the account's `overCap`, which protects the
    ///         account but lends it nothing while the asset stays above its cap. The vault makes the deposit.
    /// @dev Reverts `SupplyCapExceeded` for a cap of 0 (governance's freeze) or when the account's holding past the
    ///      cap would back more than MAX_OVER_CAP_COVER × its debt (the holding at its price's `high`, the debt at
    ///      the base's `low`); `PriceNotOk` or `ZeroPrice` when either price cannot be read (the bound needs both).
    /// @param book The vault's book.
    /// @param position The account's position (`LendingBook`), whose `pastCap` bit for the asset this sets.
    /// @param account The account topping up (the depositor itself).
    /// @param asset The collateral.
    /// @param amount What it adds, token units.
    /// @param oracle The vault's price oracle.
    /// @param debt The account's debt, base units, interest accrued to now.
    /// @param base The vault's base asset.
    /// @param baseDecimals Its decimals.
    function addPastCap(
        Book storage book,
        LendingBook.Position storage position,
        address account,
        address asset,
        uint256 amount,
        IPriceOracle oracle,
        uint256 debt,
        address base,
        uint8 baseDecimals
    ) external {
        Asset storage record = book.assets[asset];
        uint256 cap = record.config.supplyCap;
        uint256 total = record.totalDeposited;
        if (cap == 0) revert ICollateralVault.SupplyCapExceeded(asset, cap, total + amount); // a freeze, whatever prices
        uint256 past;
        if (total <= cap) {
            // The asset goes past its cap from within it: whatever anyone took past it before fits again, so every
            // earlier entry is void (a new epoch). Nobody can revive another account's old entry by this top-up.
            ++record.capEpoch;
            past = amount - (cap - total);
        } else {
            past = pastOf(book, account, asset, record) + amount;
        }
        uint256 debtValue = debt.mulDivDown(_known(oracle, base).low, 10 ** baseDecimals);
        if (_cover(record, oracle, asset, past) > MAX_OVER_CAP_COVER * debtValue)
            revert ICollateralVault.SupplyCapExceeded(asset, cap, total + amount);
        book.overCap[account][asset] = (uint256(record.capEpoch) << EPOCH_SHIFT) | past;
        position.pastCap |= uint16(1 << record.index);
    }

    /// @dev The units of `account`'s holding it added past `record`'s cap in the asset's current epoch (0 when none,
    ///      or when its entry is of an earlier epoch).
    function pastOf(
        Book storage book,
        address account,
        address asset,
        Asset storage record
    ) internal view returns (uint256) {
        uint256 entry = book.overCap[account][asset];
        if (entry >> EPOCH_SHIFT != record.capEpoch) return 0;
        return uint192(entry);
    }

    /// @dev What `units` of `record`'s asset back at its price's `high` and its effective threshold, WAD USD, up.
    function _cover(
        Asset storage record,
        IPriceOracle oracle,
        address asset,
        uint256 units
    ) private view returns (uint256) {
        (, uint256 threshold) = effective(record);
        return units.mulDivUp(_known(oracle, asset).high, 10 ** record.decimals).wadMulUp(threshold);
    }

    /// @dev A price that can be used: not FAILED, not zero, its bounds in order (else the vault's own errors).
    function _known(IPriceOracle oracle, address token) private view returns (IPriceOracle.Price memory price) {
        price = oracle.getPrice(token);
        if (price.status == IPriceOracle.Status.FAILED)
            revert ICollateralVault.PriceNotOk(token, price.status, price.reason);
        if (price.low == 0 || price.high < price.low) revert ICollateralVault.ZeroPrice(token);
    }

    /// @dev The units of `held` (of `record`'s asset, at `index`) that lend nothing now: what the account took past
    ///      the cap, but no more than the asset's total is above its cap now (none once it is back under: another
    ///      account's top-up can suspend no more than this account itself took past the cap).
    function pastCapNow(
        Book storage book,
        address account,
        address asset,
        Asset storage record,
        uint256 held
    ) internal view returns (uint256 past) {
        uint256 total = record.totalDeposited;
        uint256 cap = record.config.supplyCap;
        if (total <= cap) return 0;
        past = pastOf(book, account, asset, record);
        if (past > total - cap) past = total - cap;
        if (past > held) past = held;
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
