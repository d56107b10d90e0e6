// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {CollateralVault} from "../../contracts/core/CollateralVault.sol";
import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {LiquidationEngine} from "../../contracts/liquidation/LiquidationEngine.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {IWithdrawalQueue} from "../../contracts/interfaces/IWithdrawalQueue.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {MockPriceOracle} from "../doubles/MockPriceOracle.sol";
import {VaultLens} from "../../contracts/periphery/VaultLens.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";

/// @notice VaultHandler's state, wiring and post-conditions: the contracts it drives, its actors, ghosts and reach
///         counters, the `tracked` wrapper every action runs in (one block per action; stops noted before and after;
///         the share price and index checked), and the small helpers every part uses.
/// @dev Post-conditions are recorded in `violation` (an assert inside a handler call would be a swallowed revert).
abstract contract VaultHandlerBase is CommonBase, StdCheats, StdUtils {
    CollateralVault public immutable vault;
    /// @dev The fixture's lens, passed in (not deployed here: each `new` embeds a contract's whole creation code in
    ///      its deployer, and the invariant suites' compile job is already as large as the WebAssembly solc handles).
    VaultLens public immutable lens;
    LiquidationEngine public immutable engine;
    address public immutable keeper;
    MockERC20 public immutable usdc;
    MockPriceOracle public immutable oracle;
    MockERC20[] internal _collaterals;
    address[] internal _actors;

    /// @notice The first post-condition that failed, with its context; empty while everything holds.
    string public violation;

    mapping(address token => uint256) public ghostCollateralIn;
    mapping(address token => uint256) public ghostCollateralOut;
    /// @notice Base asset the handler saw enter the vault's books (deposits, mints, repays) and leave them
    ///         (withdrawals, redemptions, borrows). Donations are not booked, so they count in neither.
    uint256 public ghostBaseIn;
    uint256 public ghostBaseOut;
    /// @notice Σ of the write-offs the handler saw, and how many liquidations went through.
    uint256 public ghostBadDebt;
    uint256 public liquidations;
    uint256 public borrows;
    /// @notice Reach of INV-13 under doubted prices: liquidations that went through while a price the account needs
    ///         was DEGRADED with `low` < `high`, and liquidations refused because only the doubt's worse bound made
    ///         the account liquidatable.
    uint256 public doubtedLiquidations;
    uint256 public doubtedRefusals;
    /// @notice Reach of properties 3 and 7: sequencer outages started, flags that went through while liquidations of
    ///         some asset were stopped, and liquidations of an account flagged before a stop that ended since.
    uint256 public sequencerOutages;
    /// @notice Reach of property 6: top-ups of indebted accounts past a full supply cap, and deposits the cap refused.
    uint256 public topUpsPastCap;
    uint256 public capRefusals;
    /// @notice Reach of property 4: liquidations whose seizure left debt below the dust minimum that the same
    ///         transaction closed, and remainders left because free reserves could not pay them.
    uint256 public remaindersClosed;
    uint256 public remaindersLeft;
    /// @notice Reach of property 2: liquidations that left an account insolvent (its shortfall then must stay booked).
    uint256 public insolventAfterLiquidation;
    uint256 public flagsWhileStopped;
    uint256 public liquidationsAcrossStops;
    /// @dev The last moment the handler saw liquidations of a collateral stopped (by its breaker entry, the base's or
    ///      the global one, or the grace after a resume) or the sequencer stopping them. The true end of that stop is
    ///      later, so no open ramp started before it: the bound property 7 checks.
    mapping(address token => uint256) internal _stopSeenAt;
    uint256 internal _sequencerStopSeenAt;
    mapping(address token => uint256) internal _initialPrice;
    /// @dev The market price of each token, whatever status the oracle reports it with.
    mapping(address token => uint256) internal _marketPrice;
    mapping(address token => IPriceOracle.Status) internal _status;
    mapping(bytes32 action => uint256) public calls;

    uint256 internal _lastAssetsPlusOne;
    uint256 internal _lastSupplyPlusVirtual;
    uint256 internal _lastIndex;
    uint256 internal _lastBadDebt;
    uint256 internal _lastProvision;
    uint256 internal _lastCheckedAt;
    /// @dev The protocol fees liquidations paid into reserves in the current action (the one gain that may reach
    ///      lenders at once: while reserves stand below Σ provisions and the liquidation changes no provision).
    uint256 internal _stepFee;
    /// @notice Reach of INV-06's no-instant-gain check: actions in which no time passed and the share price rose.
    uint256 public priceRisesWithoutTime;

    constructor(
        CollateralVault vault_,
        LiquidationEngine engine_,
        MockERC20 usdc_,
        MockERC20[] memory collaterals_,
        MockPriceOracle oracle_,
        VaultLens lens_
    ) {
        vault = vault_;
        lens = lens_;
        engine = engine_;
        keeper = makeAddr("keeper");
        vm.prank(keeper);
        usdc_.approve(address(vault_), type(uint256).max);
        usdc = usdc_;
        oracle = oracle_;
        for (uint256 i; i < collaterals_.length; ++i) {
            _collaterals.push(collaterals_[i]);
            _initialPrice[address(collaterals_[i])] = oracle_.prices(address(collaterals_[i]));
            _marketPrice[address(collaterals_[i])] = _initialPrice[address(collaterals_[i])];
        }
        for (uint256 i; i < 4; ++i) {
            address actor = makeAddr(string.concat("actor", vm.toString(i)));
            _actors.push(actor);
            vm.startPrank(actor);
            usdc.approve(address(vault_), type(uint256).max);
            for (uint256 j; j < collaterals_.length; ++j) collaterals_[j].approve(address(vault_), type(uint256).max);
            vm.stopPrank();
        }
        _marketPrice[address(usdc_)] = oracle_.prices(address(usdc_));
        _recordSharePriceAndIndex();
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function collaterals() external view returns (MockERC20[] memory) {
        return _collaterals;
    }

    /// @dev Claims the withdrawal queue has ever created (0 without a breaker).
    function _claimCount() internal view returns (uint256) {
        (, IWithdrawalQueue queue) = lens.circuitBreaker(vault);
        return address(queue) == address(0) ? 0 : queue.claimCount();
    }

    /// @dev Notes every stop of liquidations in force now (see `_stopSeenAt`).
    function _noteStops() internal {
        if (_sequencerDown()) _sequencerStopSeenAt = block.timestamp;
        for (uint256 i; i < _collaterals.length; ++i) {
            if (_breakerStopsLiquidation(_collaterals[i])) _stopSeenAt[address(_collaterals[i])] = block.timestamp;
        }
    }

    /// @notice Whether `account` holds any collateral at all.
    function holdsCollateral(address account) public view returns (bool) {
        for (uint256 i; i < _collaterals.length; ++i) {
            if (vault.collateralOf(account, address(_collaterals[i])) != 0) return true;
        }
        return false;
    }

    /// @dev INV-28: the breaker may hold a liquidation only at a FAILED price or in the grace after a resume.
    function _breakerStopsLiquidation(MockERC20 token) internal view returns (bool) {
        (ICircuitBreaker breaker, ) = lens.circuitBreaker(vault);
        try breaker.checkLiquidation(address(token)) {
            return false;
        } catch {
            return true;
        }
    }

    function _sequencerDown() internal view returns (bool) {
        (IPriceOracle.Reason reason, ) = oracle.sequencerState();
        return reason != IPriceOracle.Reason.NONE;
    }

    /// @dev Each action is a transaction of its own, in a block of its own (time moves only through `warp`).
    modifier tracked(bytes32 action) {
        calls[action] += 1;
        vm.roll(block.number + 1);
        _noteStops();
        _stepFee = 0;
        _;
        _noteStops();
        _checkSharePriceAndIndex();
    }

    /// @dev INV-06, checked across every action: (totalAssets + 1) / (totalSupply + 10^6), the exact ERC-4626
    ///      conversion rate, compared by cross-multiplication so no rounding hides a fall. It may fall only in an
    ///      action that wrote off bad debt or raised the provisions for it.
    function _checkSharePriceAndIndex() internal {
        uint256 assetsPlusOne = vault.totalAssets() + 1;
        uint256 supplyPlusVirtual = vault.totalSupply() + 1e6;
        bool lossRecorded = vault.badDebt() > _lastBadDebt || lens.totalProvision(vault) > _lastProvision;
        if (!lossRecorded && assetsPlusOne * _lastSupplyPlusVirtual < _lastAssetsPlusOne * supplyPlusVirtual) {
            _fail(InvariantsSpec.INV_06_SHARE_PRICE, assetsPlusOne);
        }
        _checkNoInstantGain(assetsPlusOne, supplyPlusVirtual);
        uint256 index = vault.borrowIndex();
        if (index < _lastIndex) _fail(InvariantsSpec.INV_06_BORROW_INDEX, index);
        _recordSharePriceAndIndex();
    }

    /// @dev INV-06, the other way (issue 19, property 2): with no time passed (no interest, no release running on),
    ///      an action raises the share price by no more than its rounding (a deposit's shares and a withdrawal's
    ///      burn each round in the vault's favour by under one share's worth; 2 wei for the rest) plus the fees its
    ///      liquidations paid. A provision released, a recovery's proceeds or a repayment of a provisioned account
    ///      must reach lenders over the release period, never in the transaction: a deposit just before it and a
    ///      redemption just after would take it. Cross-multiplied: gain × S = A'·S − A·S' ≤ (fee + 2)·S + 2·A.
    function _checkNoInstantGain(uint256 assetsPlusOne, uint256 supplyPlusVirtual) internal {
        if (block.timestamp != _lastCheckedAt) return;
        uint256 after_ = assetsPlusOne * _lastSupplyPlusVirtual;
        uint256 kept = _lastAssetsPlusOne * supplyPlusVirtual;
        if (after_ <= kept) return;
        priceRisesWithoutTime += 1;
        uint256 allowed = (_stepFee + 2) * _lastSupplyPlusVirtual + 2 * _lastAssetsPlusOne;
        if (after_ - kept > allowed) _fail(InvariantsSpec.INV_06_NO_INSTANT_GAIN, after_ - kept);
    }

    function _recordSharePriceAndIndex() internal {
        _lastAssetsPlusOne = vault.totalAssets() + 1;
        _lastSupplyPlusVirtual = vault.totalSupply() + 1e6;
        _lastIndex = vault.borrowIndex();
        _lastBadDebt = vault.badDebt();
        _lastProvision = lens.totalProvision(vault);
        _lastCheckedAt = block.timestamp;
    }

    function _checkWithinBorrowLimit(address actor) internal {
        ICollateralVault.AccountLiquidity memory liq = vault.accountLiquidity(actor);
        if (liq.debtValue > liq.borrowLimit) _fail(InvariantsSpec.INV_11_BORROW_LIMIT, liq.debtValue);
    }

    function _expectSelector(bytes memory reason, bytes4 expected, string memory action) internal {
        if (!_hasSelector(reason, expected)) _fail(string.concat("unexpected revert in ", action), reason.length);
    }

    function _hasSelector(bytes memory reason, bytes4 expected) internal pure returns (bool) {
        return reason.length >= 4 && bytes4(reason) == expected;
    }

    function _fail(string memory what, uint256 value) internal {
        if (bytes(violation).length == 0) violation = string.concat(what, " (value ", vm.toString(value), ")");
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _collateral(uint256 seed) internal view returns (MockERC20) {
        return _collaterals[seed % _collaterals.length];
    }
}
