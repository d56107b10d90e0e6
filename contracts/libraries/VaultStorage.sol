// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {LossLedger} from "../core/LossLedger.sol";

/// @title VaultStorage
/// @notice Reads words the vault stores, by slot, through its `extsload`: what the vault keeps but computes nothing
///         from (its wiring, its collateral records, its loss records). The vault's own views cover everything that
///         accrues interest or values a position. Used by the contracts around the vault (engine, breaker, risk
///         modules, upkeep) and by `VaultLens`, as Morpho's periphery reads Morpho Blue.
/// @dev The slots below are CollateralVault's storage layout (OpenZeppelin's ERC20 and Ownable2Step hold slots 0–6);
///      test/unit/VaultStorage.test.ts checks every one against the compiler's layout of the vault, so a change of
///      the vault's state that moves one fails there first. Reads of a collateral's record revert `AssetNotListed`
///      for an asset the vault has not listed, as the vault's own views did.
library VaultStorage {
    // ----------------------------------------------------------------- the vault's slots

    uint256 internal constant ORACLE_SLOT = 7;
    uint256 internal constant RATE_MODEL_SLOT = 8;
    uint256 internal constant BORROW_CAP_SLOT = 9;
    /// @dev reserve factor (bits 0–63), reserve boost (64–127).
    uint256 internal constant ACCRUAL_SLOT = 10;
    // LendingBook.Book at 11–14: cash (bits 0–127) | share supply (128–255) in 11, reserves | total scaled debt in 12
    uint256 internal constant CASH_SLOT = 11;
    /// @dev borrow index (bits 0–215), last accrual time (216–255).
    uint256 internal constant INDEX_SLOT = 13;
    /// @dev mapping(account => LendingBook.Position): scaled debt (bits 0–95), the breaker's borrower credit word
    ///      (96–223), holdings (224–239), past cap (240–255).
    uint256 internal constant POSITION_SLOT = 14;
    uint256 internal constant ASSETS_SLOT = 16; // CollateralBook.Book at 15–18: mapping(asset => Asset)
    // mapping(account => mapping(asset => LendingBook.Balance)): the holding (bits 0–127), its credit word (128–255)
    uint256 internal constant BALANCES_SLOT = 17;
    uint256 internal constant OVER_CAP_SLOT = 18; // mapping(account => mapping(asset => units past the cap))
    uint256 internal constant BAD_DEBT_SLOT = 19; // LossLedger.Ledger at 19–24
    uint256 internal constant UNRECOVERED_LOSS_SLOT = 20;
    // Σ provision (bits 0–127) | when the running release of gains started (128–191) and ends (192–255)
    uint256 internal constant TOTAL_PROVISION_SLOT = 21;
    uint256 internal constant PROVISION_SLOT = 22; // mapping(account => provision)
    uint256 internal constant PROTOCOL_COLLATERAL_SLOT = 23; // mapping(asset => units)
    uint256 internal constant RELEASE_SLOT = 24; // the running release's amount (LossLedger.Ledger.released)
    uint256 internal constant ENGINE_SLOT = 25; // VaultWiring.Wiring at 25–29
    uint256 internal constant BREAKER_SLOT = 26;
    uint256 internal constant QUEUE_SLOT = 27;
    uint256 internal constant RISK_MANAGER_SLOT = 28;
    uint256 internal constant RECOVERY_SLOT = 29;
    // mapping(account => LendingBook.Balance): a lender's shares (bits 0–127), its credit word (128–255)
    uint256 internal constant SHARES_SLOT = 30;
    // BackstopLink.Link at 31–33: the backstop (bits 0–159) | its income share (160–223) in 31
    uint256 internal constant BACKSTOP_SLOT = 31;
    /// @dev what the backstop holds for provisions (bits 0–127) | what it is owed (128–255).
    uint256 internal constant BACKSTOP_BOOK_SLOT = 32;
    uint256 internal constant INCOME_MARK_SLOT = 33;

    /// @dev Offsets of a CollateralBook.Asset from its mapping slot: config (LTV bits 0–63, threshold 64–127, bonus
    ///      128–191); supply cap; terms (decimals bits 0–7, index 8–15, listed 16–23, ramp start 24–63, LTV cap
    ///      64–127, threshold cap 128–191, cap epoch 192–255); total deposited; ramp (LTV from, LTV target, threshold from, threshold
    ///      target: 64 bits each, in that order).
    uint256 private constant CONFIG = 0;
    uint256 private constant SUPPLY_CAP = 1;
    uint256 private constant TERMS = 2;
    uint256 private constant TOTAL_DEPOSITED = 3;
    uint256 private constant RAMP = 4;

    // ----------------------------------------------------------------- wiring

    /// @dev The price oracle.
    function oracle(ICollateralVault vault) internal view returns (IPriceOracle) {
        return IPriceOracle(_address(vault, ORACLE_SLOT));
    }

    /// @dev The interest rate model.
    function rateModel(ICollateralVault vault) internal view returns (IInterestRateModel) {
        return IInterestRateModel(_address(vault, RATE_MODEL_SLOT));
    }

    /// @dev The circuit breaker (zero: none).
    function circuitBreaker(ICollateralVault vault) internal view returns (ICircuitBreaker) {
        return ICircuitBreaker(_address(vault, BREAKER_SLOT));
    }

    /// @dev The withdrawal queue (zero: none).
    function withdrawalQueue(ICollateralVault vault) internal view returns (IWithdrawalQueue) {
        return IWithdrawalQueue(_address(vault, QUEUE_SLOT));
    }

    /// @dev The liquidation engine (zero: none).
    function liquidationEngine(ICollateralVault vault) internal view returns (address) {
        return _address(vault, ENGINE_SLOT);
    }

    /// @dev The risk manager (zero: none).
    function riskManager(ICollateralVault vault) internal view returns (address) {
        return _address(vault, RISK_MANAGER_SLOT);
    }

    /// @dev The recovery module (zero: none).
    function recovery(ICollateralVault vault) internal view returns (address) {
        return _address(vault, RECOVERY_SLOT);
    }

    // ----------------------------------------------------------------- parameters and books (as stored)

    /// @dev The borrow cap, base units.
    function borrowCap(ICollateralVault vault) internal view returns (uint256) {
        return _word(vault, BORROW_CAP_SLOT);
    }

    /// @dev The reserve factor and the risk manager's boost to it (WAD).
    function accrualTerms(ICollateralVault vault) internal view returns (uint256 reserveFactor, uint256 reserveBoost) {
        uint256 word = _word(vault, ACCRUAL_SLOT);
        return (uint64(word), uint64(word >> 64));
    }

    /// @dev When interest last accrued (kept with the borrow index).
    function lastAccrual(ICollateralVault vault) internal view returns (uint256) {
        return _word(vault, INDEX_SLOT) >> 216;
    }

    /// @dev Base asset the vault holds on its books (donations excluded).
    function cash(ICollateralVault vault) internal view returns (uint256) {
        return uint128(_word(vault, CASH_SLOT));
    }

    /// @dev `account`'s index-scaled debt.
    function scaledDebtOf(ICollateralVault vault, address account) internal view returns (uint256) {
        return uint96(_word(vault, _mappingSlot(account, POSITION_SLOT)));
    }

    // ----------------------------------------------------------------- losses

    /// @dev Running total of debt written off, base units.
    function badDebt(ICollateralVault vault) internal view returns (uint256) {
        return _word(vault, BAD_DEBT_SLOT);
    }

    /// @dev Bad debt lenders bore beyond reserves that recovery has not paid back, base units.
    function unrecoveredLoss(ICollateralVault vault) internal view returns (uint256) {
        return _word(vault, UNRECOVERED_LOSS_SLOT);
    }

    /// @dev Σ provisions, base units.
    function totalProvision(ICollateralVault vault) internal view returns (uint256) {
        return uint128(_word(vault, TOTAL_PROVISION_SLOT));
    }

    /// @dev What released gains still hold back from the share price now (LossLedger.Release), base units.
    function gainsHeldBack(ICollateralVault vault) internal view returns (uint256) {
        uint256 window = _word(vault, TOTAL_PROVISION_SLOT);
        uint64 end = uint64(window >> 192);
        if (block.timestamp >= end) return 0;
        return LossLedger.heldBack(LossLedger.Release(uint128(_word(vault, RELEASE_SLOT)), uint64(window >> 128), end));
    }

    /// @dev The first-loss backstop (zero: none) and its share of reserve income (WAD).
    function backstop(ICollateralVault vault) internal view returns (address backstop_, uint256 incomeShare) {
        uint256 word = _word(vault, BACKSTOP_SLOT);
        return (address(uint160(word)), uint64(word >> 160));
    }

    /// @dev What the backstop holds for provisions reserves do not cover, and what it paid on write-offs that recovery
    ///      has not repaid, base units.
    function backstopBook(ICollateralVault vault) internal view returns (uint256 earmarked, uint256 owed) {
        uint256 word = _word(vault, BACKSTOP_BOOK_SLOT);
        return (uint128(word), word >> 128);
    }

    /// @dev `account`'s bad-debt provision, base units.
    function provisionOf(ICollateralVault vault, address account) internal view returns (uint256) {
        return _word(vault, _mappingSlot(account, PROVISION_SLOT));
    }

    /// @dev Units of `account`'s holding of `asset` it added past the asset's supply cap (CollateralBook.overCap).
    ///      An entry made in an earlier cap epoch of the asset is void: 0.
    function overCapOf(ICollateralVault vault, address account, address asset) internal view returns (uint256) {
        uint256 entry = _word(vault, uint256(keccak256(abi.encode(asset, _mappingSlot(account, OVER_CAP_SLOT)))));
        if (entry >> 192 != _word(vault, _assetSlot(asset) + TERMS) >> 192) return 0;
        return uint192(entry);
    }

    /// @dev Units of `asset` the protocol owns, swept from written-off accounts.
    function protocolCollateral(ICollateralVault vault, address asset) internal view returns (uint256) {
        return _word(vault, _mappingSlot(asset, PROTOCOL_COLLATERAL_SLOT));
    }

    // ----------------------------------------------------------------- collateral records

    /// @dev Whether `asset` is a listed collateral.
    function isListed(ICollateralVault vault, address asset) internal view returns (bool) {
        return uint8(_terms(vault, asset) >> 16) != 0;
    }

    /// @dev A listed collateral's decimals.
    function collateralDecimals(ICollateralVault vault, address asset) internal view returns (uint8) {
        return uint8(_listedTerms(vault, asset));
    }

    /// @dev `asset`'s governance config (the ceilings of its effective LTV and threshold), its decimals, and whether
    ///      it is listed (all zero if not).
    function collateral(
        ICollateralVault vault,
        address asset
    ) internal view returns (ICollateralVault.CollateralConfig memory config, uint8 decimals, bool listed) {
        uint256 slot = _assetSlot(asset);
        uint256 word = _word(vault, slot + CONFIG);
        config = ICollateralVault.CollateralConfig(
            uint64(word),
            uint64(word >> 64),
            uint64(word >> 128),
            uint128(_word(vault, slot + SUPPLY_CAP))
        );
        uint256 terms = _word(vault, slot + TERMS);
        return (config, uint8(terms), uint8(terms >> 16) != 0);
    }

    /// @dev `asset`'s governance LTV and threshold (the ceilings of its effective ones) and whether it is listed
    ///      (all zero if not): the two words of `collateral` the risk manager needs.
    function riskConfig(
        ICollateralVault vault,
        address asset
    ) internal view returns (uint256 borrowLtv, uint256 liquidationThreshold, bool listed) {
        uint256 slot = _assetSlot(asset);
        uint256 word = _word(vault, slot + CONFIG);
        listed = uint8(_word(vault, slot + TERMS) >> 16) != 0;
        return (uint64(word), uint64(word >> 64), listed);
    }

    /// @dev Units of `asset` deposited in all, for every account (zero for an asset the vault has not listed).
    function totalDeposited(ICollateralVault vault, address asset) internal view returns (uint256) {
        return _word(vault, _assetSlot(asset) + TOTAL_DEPOSITED);
    }

    /// @dev A listed collateral's risk-manager caps (type(uint64).max: none).
    function riskCaps(
        ICollateralVault vault,
        address asset
    ) internal view returns (uint64 ltvCap, uint64 thresholdCap) {
        uint256 terms = _listedTerms(vault, asset);
        (ltvCap, thresholdCap) = (uint64(terms >> 64), uint64(terms >> 128));
    }

    /// @dev A listed collateral's ramp and when it started (see `ICollateralVault.RiskRamp`).
    function riskRamp(
        ICollateralVault vault,
        address asset
    ) internal view returns (ICollateralVault.RiskRamp memory ramp, uint256 start) {
        start = uint40(_listedTerms(vault, asset) >> 24);
        uint256 word = _word(vault, _assetSlot(asset) + RAMP);
        ramp = ICollateralVault.RiskRamp(uint64(word), uint64(word >> 64), uint64(word >> 128), uint64(word >> 192));
    }

    // ----------------------------------------------------------------- private

    function _word(ICollateralVault vault, uint256 slot) private view returns (uint256) {
        return uint256(vault.extsload(bytes32(slot)));
    }

    function _address(ICollateralVault vault, uint256 slot) private view returns (address) {
        return address(uint160(_word(vault, slot)));
    }

    function _mappingSlot(address key, uint256 slot) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(key, slot)));
    }

    function _assetSlot(address asset) private pure returns (uint256) {
        return _mappingSlot(asset, ASSETS_SLOT);
    }

    function _terms(ICollateralVault vault, address asset) private view returns (uint256) {
        return _word(vault, _assetSlot(asset) + TERMS);
    }

    function _listedTerms(ICollateralVault vault, address asset) private view returns (uint256 terms) {
        terms = _terms(vault, asset);
        if (uint8(terms >> 16) == 0) revert ICollateralVault.AssetNotListed(asset);
    }
}
