// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IPool} from "@aave/core-v3/contracts/interfaces/IPool.sol";
import {IScaledBalanceToken} from "@aave/core-v3/contracts/interfaces/IScaledBalanceToken.sol";
import {DataTypes} from "@aave/core-v3/contracts/protocol/libraries/types/DataTypes.sol";

import {IAaveV3Venue, IAaveVirtualAccounting} from "../interfaces/IAaveV3Venue.sol";
import {ILendingVenue} from "../interfaces/ILendingVenue.sol";
import {LendingVenue} from "./LendingVenue.sol";

/// @title AaveV3Venue
/// @notice An ERC-4626 vault over one Aave v3 reserve (a static aToken): every deposit is supplied to the pool, every
///         withdrawal taken out of it; the vault holds the aTokens, whose balance grows with the reserve's liquidity
///         index, and its shares do not rebase. A venue for the backstop's allocator (issue 26).
/// @dev Invariants:
///      - Assets are only in Aave, as this vault's aToken balance: `totalAssets` is that balance (the pool's own
///        account, interest to now). Underlying sent to this contract counts for nothing; aTokens sent to it, or a
///        supply made on its behalf, count as a donation to every share.
///      - What it lets out is at most the reserve's liquidity now (the underlying its aToken holds, and on Aave v3.1 and
///        later at most what the reserve has booked: tokens sent to the aToken straight are not; 0 while the reserve
///        is paused or inactive; `LendingVenue`, with the virtual shares that defeat the inflation attack, donations
///        included); `maxDeposit`/`maxMint` are 0 while it is frozen, paused or inactive, and at most its supply cap's
///        room.
///      - A withdrawal pays exactly what it asks the pool for (checked), never more than the shares' claim (rounded
///        down).
///      - No owner, no parameter: the reserve is fixed at construction.
contract AaveV3Venue is IAaveV3Venue, LendingVenue {
    using SafeERC20 for IERC20;
    using Math for uint256;

    uint256 private constant RAY = 1e27;
    // Aave's ReserveConfiguration bit layout.
    uint256 private constant ACTIVE_BIT = 56;
    uint256 private constant FROZEN_BIT = 57;
    uint256 private constant PAUSED_BIT = 60;
    uint256 private constant VIRTUAL_ACCOUNTING_BIT = 252; // Aave v3.1 and later
    uint256 private constant SUPPLY_CAP_START = 116;
    uint256 private constant SUPPLY_CAP_MASK = (1 << 36) - 1;

    IPool private immutable _pool;
    address private immutable _aToken;

    /// @param pool_ The Aave v3 pool.
    /// @param asset_ The reserve's underlying, this vault's asset (listed in the pool).
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(
        IPool pool_,
        IERC20Metadata asset_,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) ERC4626(asset_) {
        if (address(pool_) == address(0)) revert ZeroAddress();
        address aToken_ = pool_.getReserveData(address(asset_)).aTokenAddress;
        if (aToken_ == address(0)) revert ReserveNotListed(address(asset_));
        (_pool, _aToken) = (pool_, aToken_);
    }

    // ================================================================= views

    /// @notice This vault's aToken balance: its supply in the reserve, interest to now.
    function totalAssets() public view override returns (uint256) {
        return IERC20(_aToken).balanceOf(address(this));
    }

    /// @notice 0 while the reserve is frozen, paused or inactive; else the room under its supply cap, less a margin of
    ///         0.1% of the cap for the treasury's interest not booked yet (unlimited without a cap).
    function maxDeposit(address) public view override returns (uint256) {
        uint256 config = _pool.getConfiguration(asset()).data;
        if (!_bit(config, ACTIVE_BIT) || _bit(config, FROZEN_BIT) || _bit(config, PAUSED_BIT)) return 0;
        uint256 cap = (config >> SUPPLY_CAP_START) & SUPPLY_CAP_MASK;
        if (cap == 0) return type(uint256).max;
        uint256 capUnits = cap * 10 ** _assetDecimals();
        DataTypes.ReserveData memory reserve = _pool.getReserveData(asset());
        uint256 supplied = (IScaledBalanceToken(_aToken).scaledTotalSupply() + reserve.accruedToTreasury).mulDiv(
            _pool.getReserveNormalizedIncome(asset()),
            RAY,
            Math.Rounding.Ceil
        );
        // Interest the treasury has accrued since the reserve's last update counts against the cap too when the pool
        // updates it in the supply; the stored figure leaves it out: keep a margin of 0.1% of the cap for it.
        supplied += capUnits / 1000;
        return capUnits > supplied ? capUnits - supplied : 0;
    }

    /// @notice As `maxDeposit`, in shares (rounded down).
    function maxMint(address receiver) public view override returns (uint256) {
        uint256 assets = maxDeposit(receiver);
        return assets == type(uint256).max ? assets : _convertToShares(assets, Math.Rounding.Floor);
    }

    /// @inheritdoc IAaveV3Venue
    function pool() external view returns (IPool) {
        return _pool;
    }

    /// @inheritdoc IAaveV3Venue
    function aToken() external view returns (address) {
        return _aToken;
    }

    /// @inheritdoc ILendingVenue
    function liquidity() public view override(ILendingVenue, LendingVenue) returns (uint256 free) {
        uint256 config = _pool.getConfiguration(asset()).data;
        if (!_bit(config, ACTIVE_BIT) || _bit(config, PAUSED_BIT)) return 0;
        free = IERC20(asset()).balanceOf(_aToken);
        // From Aave v3.1 a reserve with virtual accounting lets out only what it has booked, not what its aToken holds
        // (tokens sent to it straight are not booked); a pool that cannot say lets nothing out here.
        if (_bit(config, VIRTUAL_ACCOUNTING_BIT)) {
            try IAaveVirtualAccounting(address(_pool)).getVirtualUnderlyingBalance(asset()) returns (uint128 booked) {
                if (booked < free) free = booked;
            } catch {
                free = 0;
            }
        }
    }

    // ================================================================= internal

    /// @dev Supplies `assets` to the pool for this vault.
    function _supply(uint256 assets) internal override {
        IERC20(asset()).forceApprove(address(_pool), assets);
        _pool.supply(asset(), assets, address(this), 0);
    }

    /// @dev Has the pool send exactly `assets` to `receiver` (checked).
    function _takeOut(uint256 assets, address receiver) internal override {
        uint256 paid = _pool.withdraw(asset(), assets, receiver);
        if (paid != assets) revert WithdrawMismatch(assets, paid);
    }

    function _assetDecimals() private view returns (uint8) {
        return IERC20Metadata(asset()).decimals();
    }

    function _bit(uint256 config, uint256 position) private pure returns (bool) {
        return (config >> position) & 1 == 1;
    }
}
