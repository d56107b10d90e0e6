// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IBackstop} from "../interfaces/IBackstop.sol";
import {ICircuitBreaker} from "../interfaces/ICircuitBreaker.sol";
import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {IVaultBackstop} from "../interfaces/IVaultBackstop.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {BackstopRecovery} from "./BackstopRecovery.sol";
import {BackstopVenues} from "./BackstopVenues.sol";

/// @title Backstop
/// @notice Bulwark's first-loss tranche (issue 26): an ERC-4626 vault over the lending vault's base asset (not over its
///         shares, whose value falls with the very loss they would cover). Stakers stand between the vault's reserves
///         and its lenders: the vault earmarks idle cash here for provisioned losses reserves do not cover, takes
///         written-off debt past reserves in the write-off's own transaction, and repays it from recovered collateral
///         after lenders; stakers earn a bounded share of reserve income (borrowers pay nothing more). They leave
///         through a cooldown and an unstake window, and never while a loss is coming.
/// @dev Invariants:
///      - Only the lending vault draws on it (`cover`, `credit`); it pays only out of idle cash, never more than asked.
///      - `earmarked` ≤ `idle`; both are booked, never read from balanceOf (donations change nothing), and
///        idle ≤ balanceOf(this).
///      - Losses count at once, first against gains still held back; an earmark given back counts at once too (it
///        undoes a loss stakers bore, and nobody enters or leaves while cash is earmarked), except the held-back gains
///        its loss had met, which return to the release; every credit (recovered value, income) reaches the share
///        price linearly over RELEASE_PERIOD (amount-weighted ends, as the vault's).
///      - Nobody enters while exits are closed (a loss pending: cash earmarked, or the vault's provisions above its
///        reserves; a breaker or its guardian closing them) or while a price the recovery's value needs is
///        unavailable: a newcomer would pay for a loss already known, or buy the recovery at
///        a crash's bottom from stakers who cannot leave. A stake enters at what the shares hold plus what the recovery
///        can still bring them (`entryAssets`: idle cash, held-back gains included, plus `recoverable`: the vault's
///        protocol-owned collateral at its highest price: now, in the breaker's price-fall reference, or the highest
///        price that held (two hours of OK sightings) while the vault owed it over the last one to two periods of
///        cooldown + window (`BackstopRecovery`: a low round or a dip of days cannot sell the recovery cheap, and one
///        high round is never marked), after lenders' unrecovered
///        loss, at most what the vault owes the backstop), and leaves at what they are worth now (`totalAssets`): a dust stake cannot buy the recovery of
///        a backstop a write-off emptied, and a newcomer does not pay for more than the recovery can bring.
///      - Shares leave only in their owner's unstake window (after the cooldown), up to the shares it asked for, and
///        never while a loss is pending or an automatic breaker reason stops borrowing or queues (a price fall, a
///        doubted or failed price, an outflow, bad debt); while the guardian alone queues lenders' withdrawals on the
///        global or base entry, only once they have been recorded queued for MAX_QUEUE_CLOSURE with no gap longer than
///        MAX_QUEUE_GAP. A window is extended by the time exits were recorded closed after the request (`checkpoint`;
///        at most MAX_EXTENSION), so a recorded closure of up to 30 days never costs a staker its window; time the
///        exits are open (a guardian's queue that has run its course included) never extends one.
///      - Idle cash leaves for a venue only at the allocator's call (`toVenue`, which `BackstopAllocator` bounds), only
///        what no provision holds, and only into an ERC-4626 vault over the same asset; it comes back to idle only
///        (`fromVenue`, or a staker's exit that idle cash cannot pay). Earmarks and loss payments use idle cash only.
///        Positions count at their venues' quotes, at most their last mark grown at the exchange-rate ceiling
///        (`BackstopVenues`): a venue's loss counts at once, its gain slowly; no stake is taken while a venue is
///        marked down.
///      - Virtual shares (10**6 per unit) and booked assets defeat the first-depositor inflation attack.
///      - Parameters change only through `owner` (the timelock), inside MIN_/MAX_ bounds.
contract Backstop is IBackstop, ERC4626, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using VaultStorage for ICollateralVault;
    using Math for uint256;

    /// @notice How long a gain takes to reach the share price, linearly: as long as the default cooldown, so that a
    ///         stake placed just before income is settled, and gone after the cooldown, takes little of it.
    uint256 public constant RELEASE_PERIOD = 7 days;
    /// @notice Bounds of the cooldown before a requested unstake opens.
    uint256 public constant MIN_COOLDOWN = 1 days;
    uint256 public constant MAX_COOLDOWN = 30 days;
    /// @notice Bounds of the window an unstake stays open.
    uint256 public constant MIN_WINDOW = 1 days;
    uint256 public constant MAX_WINDOW = 7 days;

    /// @notice The most a window is extended by the time exits were closed after its request.
    uint256 public constant MAX_EXTENSION = MAX_COOLDOWN;
    /// @notice How long a queue of lenders' withdrawals, recorded without a break, closes exits when nothing else does
    ///         (a guardian renewing its trip): lenders leave through the queue meanwhile, so stakers are not kept
    ///         longer.
    uint256 public constant MAX_QUEUE_CLOSURE = MAX_EXTENSION;
    /// @notice The longest gap between two records of lenders' queue that still counts as one queue (`checkpoint`;
    ///         the keeper bot records it every few hours while it lasts): a longer gap starts the count again.
    uint256 public constant MAX_QUEUE_GAP = 1 days;

    uint8 private constant DECIMALS_OFFSET = 6;
    /// @dev Breaker reasons that close exits: every automatic reason at NO_BORROW or stricter. Whatever queues
    ///      lenders' withdrawals (an entry's WITHDRAW action: an outflow, a guardian) closes them too; a guardian's trip
    ///      of borrowing or supply alone does not (renewed every guardian cooldown, it would keep stakers in for good).
    uint16 private constant CLOSING_REASONS = uint16(
        (1 << uint8(ICircuitBreaker.Reason.ORACLE_DEGRADED)) |
            (1 << uint8(ICircuitBreaker.Reason.ORACLE_FAILED)) |
            (1 << uint8(ICircuitBreaker.Reason.PRICE_FALL)) |
            (1 << uint8(ICircuitBreaker.Reason.OUTFLOW)) |
            (1 << uint8(ICircuitBreaker.Reason.BAD_DEBT))
    );
    uint8 private constant WITHDRAW_ACTION = 1 << 1; // ICircuitBreaker's action bit for lenders' withdrawals
    // `closedReason` codes.
    uint8 private constant LOSS_PENDING = 1;
    uint8 private constant BREAKER_CLOSED = 2;
    uint8 private constant GUARDIAN_QUEUE = 3;

    ICollateralVault private immutable _vault;

    // One slot: cash on the books, and the part of it held for the vault's provisions.
    uint128 private _idle;
    uint128 private _earmarked;
    // One slot: gains not yet in the share price, `_released` at `_releaseStart` falling linearly to 0 at `_releaseEnd`.
    uint128 private _released;
    uint64 private _releaseStart;
    uint64 private _releaseEnd;
    // One slot: the unstake parameters; exits' closure as last seen: closed since `_closedSince` (0: open), and
    // `_closedFor` seconds closed before that; lenders' queue as recorded: since `_queuedSince` (0: not queued), last
    // seen at `_queueSeenAt`. Timestamps and seconds in 40 bits.
    uint32 private _cooldown;
    uint32 private _window;
    uint40 private _closedSince;
    uint40 private _closedFor;
    uint40 private _queuedSince;
    uint40 private _queueSeenAt;
    // Held-back gains an earmark netted (its loss met them first): they return to the release, not to the share price
    // at once, when the earmark is given back. At most the earmark.
    uint128 private _earmarkNetted;
    mapping(address owner => Unstake) private _unstakes;
    // The highest price that held of each collateral the protocol owns, sighted while the vault owed the backstop,
    // over the last one to two periods of cooldown + window, and the span being sighted (`BackstopRecovery.Mark`).
    mapping(address collateral => BackstopRecovery.Mark) private _marks;
    // The allocator (the only address that moves cash to and from venues), and the positions in them.
    address private _allocator;
    BackstopVenues.Book private _venues;

    /// @param vault_ The lending vault it backs; its base asset is this vault's asset.
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    /// @param owner_ Governance: the timelock in production.
    /// @param cooldown_ Seconds between an unstake request and its window (MIN_COOLDOWN–MAX_COOLDOWN).
    /// @param window_ Seconds the window stays open (MIN_WINDOW–MAX_WINDOW).
    constructor(
        ICollateralVault vault_,
        string memory name_,
        string memory symbol_,
        address owner_,
        uint256 cooldown_,
        uint256 window_
    ) ERC20(name_, symbol_) ERC4626(IERC20Metadata(_assetOf(vault_))) Ownable(owner_) {
        _vault = vault_;
        _setUnstakeParams(cooldown_, window_);
    }

    modifier onlyVault() {
        if (msg.sender != address(_vault)) revert NotVault(msg.sender);
        _;
    }

    modifier onlyAllocator() {
        if (msg.sender != _allocator || msg.sender == address(0)) revert NotAllocator(msg.sender);
        _;
    }

    // ================================================================= the lending vault's hooks

    /// @inheritdoc IBackstop
    function cover(uint256 pay, uint256 earmark) external onlyVault nonReentrant returns (uint256 held) {
        (uint256 idle_, uint256 earmarkedBefore) = (_idle, _earmarked);
        uint256 paid = pay < idle_ ? pay : idle_;
        held = earmark < idle_ - paid ? earmark : idle_ - paid;
        (_idle, _earmarked) = (uint128(idle_ - paid), uint128(held)); // ≤ idle
        // Paid out of earmarked cash first: that part was a loss already. What it paid past the earmark is a new loss;
        // so is a higher earmark. A lower one is given back (`_giveBack`).
        uint256 left = earmarkedBefore > paid ? earmarkedBefore - paid : 0;
        if (paid > earmarkedBefore) _takeLoss(paid - earmarkedBefore);
        if (held > left) _earmarkNetted += uint128(_takeLoss(held - left));
        else if (left > held) _giveBack(left - held);
        if (_earmarkNetted > held) _earmarkNetted = uint128(held);
        emit Covered(pay, paid, held);
        if (paid != 0) IERC20(asset()).safeTransfer(msg.sender, paid);
    }

    /// @inheritdoc IBackstop
    function credit(uint256 amount) external onlyVault nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _pullExact(msg.sender, amount);
        _idle += uint128(amount); // pulled exactly: the token's supply bounds it
        _holdGain(amount);
        emit Credited(amount);
    }

    // ================================================================= the allocator's hooks (venues)

    /// @inheritdoc IBackstop
    function toVenue(address venue, uint256 assets) external onlyAllocator nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        uint256 free = _idle - _earmarked;
        if (assets > free) revert InsufficientIdle(free, assets);
        _idle -= uint128(assets); // ≤ free
        shares = BackstopVenues.deposit(_venues, venue, IERC20(asset()), assets);
        emit VenueDeposited(venue, assets, shares);
    }

    /// @inheritdoc IBackstop
    function fromVenue(address venue, uint256 assets) external onlyAllocator nonReentrant returns (uint256 got) {
        uint256 removed;
        (got, removed) = BackstopVenues.withdraw(_venues, venue, IERC20(asset()), assets, false);
        _idle += uint128(got); // arrived (balance change): the token's supply bounds it
        _settleVenue(got, removed);
        emit VenueWithdrawn(venue, got, removed);
    }

    // ================================================================= stakers

    /// @notice Shares a deposit of `assets` mints now: priced at `entryAssets`, rounded down.
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        return assets.mulDiv(totalSupply() + 10 ** DECIMALS_OFFSET, entryAssets() + 1, Math.Rounding.Floor);
    }

    /// @notice Assets a mint of `shares` takes now: priced at `entryAssets`, rounded up.
    function previewMint(uint256 shares) public view override returns (uint256) {
        return shares.mulDiv(entryAssets() + 1, totalSupply() + 10 ** DECIMALS_OFFSET, Math.Rounding.Ceil);
    }

    /// @inheritdoc IBackstop
    function entryAssets() public view returns (uint256) {
        (uint256 value, ) = BackstopRecovery.value(_vault, asset(), _marks, _markPeriod());
        (uint256 inVenues, ) = BackstopVenues.total(_venues);
        return _idle + inVenues + value;
    }

    /// @inheritdoc IBackstop
    function recoverable() external view returns (uint256 value) {
        (value, ) = BackstopRecovery.value(_vault, asset(), _marks, _markPeriod());
    }

    /// @inheritdoc IBackstop
    function sync() external nonReentrant {
        _sync();
    }

    /// @inheritdoc IBackstop
    /// @dev Not under the lock: the vault's re-target calls `cover`, which takes it.
    function checkpoint() external returns (uint8) {
        // Never from inside a call of this contract (a venue's callback): the vault's `cover` would find the lock
        // taken, and its earmark would drop.
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        // An earmark may be stale (reserves grew with interest and fees since it was set), or short (idle cash came
        // back from a venue while a loss is pending): the vault re-targets it (and pays any income due) first; its
        // failure changes nothing here. Then this side follows the vault's book.
        if (_earmarked != 0 || lossPending()) {
            try IVaultBackstop(address(_vault)).settleBackstopIncomeShare() {} catch {} // solhint-disable-line no-empty-blocks
        }
        _sync();
        BackstopRecovery.mark(_vault, _marks, _markPeriod());
        return _checkpoint();
    }

    /// @inheritdoc ERC4626
    /// @dev Booked idle, never balanceOf: the shares are priced (at `entryAssets`) before the pull, and exactly
    ///      `assets` must arrive.
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256 shares) {
        shares = assets.mulDiv(totalSupply() + 10 ** DECIMALS_OFFSET, _entryAssetsIfOpen() + 1, Math.Rounding.Floor);
        _enter(receiver, assets, shares);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256 assets) {
        assets = shares.mulDiv(_entryAssetsIfOpen() + 1, totalSupply() + 10 ** DECIMALS_OFFSET, Math.Rounding.Ceil);
        _enter(receiver, assets, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev Only in the owner's unstake window, within its request, while withdrawals are open; paid out of the venues
    ///      first, as far as they let it out, then out of idle cash no provision holds; otherwise reverts with why
    ///      (`WithdrawalsClosed`, `NotInUnstakeWindow`, `InsufficientIdle`).
    function withdraw(
        uint256 assets,
        address receiver,
        address owner_
    ) public override nonReentrant returns (uint256 shares) {
        shares = previewWithdraw(assets);
        _exit(receiver, owner_, assets, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev As `withdraw`.
    function redeem(
        uint256 shares,
        address receiver,
        address owner_
    ) public override nonReentrant returns (uint256 assets) {
        assets = previewRedeem(shares);
        _exit(receiver, owner_, assets, shares);
    }

    /// @inheritdoc IBackstop
    function requestUnstake(uint256 shares) external {
        if (shares == 0) revert ZeroAmount();
        uint256 balance = balanceOf(msg.sender);
        if (shares > balance) revert UnstakeExceedsBalance(balance, shares);
        uint256 readyAt = block.timestamp + _cooldown;
        // shares ≤ supply, a uint128 in practice; closed time is seconds, a uint64
        _unstakes[msg.sender] = Unstake(uint128(shares), uint64(readyAt), uint64(closedTime()));
        emit UnstakeRequested(msg.sender, shares, readyAt);
    }

    // ================================================================= governance

    /// @inheritdoc IBackstop
    function setUnstakeParams(uint256 cooldown_, uint256 window_) external onlyOwner {
        _setUnstakeParams(cooldown_, window_);
    }

    /// @inheritdoc IBackstop
    function setAllocator(address allocator_) external onlyOwner {
        _allocator = allocator_;
        emit AllocatorSet(allocator_);
    }

    /// @notice Disabled (reverts `RenounceDisabled`): an owner-less backstop could never be corrected again.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ================================================================= views

    /// @notice Idle cash no provision holds, less gains still held back, plus what its venue positions are counted
    ///         worth: what the shares are worth.
    function totalAssets() public view override returns (uint256) {
        (uint256 inVenues, ) = BackstopVenues.total(_venues);
        uint256 value = _idle - _earmarked + inVenues;
        uint256 held = heldBack();
        return value > held ? value - held : 0;
    }

    /// @notice What a `withdraw` by `owner_` pays now: 0 outside its window or while withdrawals are closed, else its
    ///         request's claim (rounded down), at most idle cash no provision holds and what its venues let out.
    function maxWithdraw(address owner_) public view override returns (uint256) {
        return _convertToAssets(maxRedeem(owner_), Math.Rounding.Floor);
    }

    /// @notice The shares `owner_` may redeem now (see `maxWithdraw`).
    function maxRedeem(address owner_) public view override returns (uint256 shares) {
        Unstake memory request = _unstakes[owner_];
        if (closedReason() != 0 || !_inWindow(request)) return 0;
        shares = request.shares;
        uint256 balance = balanceOf(owner_);
        if (shares > balance) shares = balance;
        uint256 byCash = _convertToShares(
            _idle - _earmarked + BackstopVenues.withdrawable(_venues),
            Math.Rounding.Floor
        );
        if (shares > byCash) shares = byCash;
        if (_convertToAssets(shares, Math.Rounding.Floor) == 0) return 0; // a redeem of them would revert (ZeroAmount)
    }

    /// @notice 0 while stakes are refused (exits closed, or the recovery cannot be valued: `StakingClosed`), else the
    ///         ERC-4626 unlimited.
    function maxDeposit(address) public view override returns (uint256) {
        (bool open, ) = _openEntry();
        return open ? type(uint256).max : 0;
    }

    /// @notice As `maxDeposit`.
    function maxMint(address receiver) public view override returns (uint256) {
        return maxDeposit(receiver);
    }

    /// @inheritdoc IBackstop
    function lossPending() public view returns (bool) {
        return _earmarked != 0 || _vault.totalProvision() > _vault.reserves();
    }

    /// @inheritdoc IBackstop
    function closedReason() public view returns (uint8) {
        (bool closing, bool queued, ) = _breakerFlags();
        return _reason(closing, queued);
    }

    /// @inheritdoc IBackstop
    function closedSince() external view returns (uint256) {
        return _closedSince;
    }

    /// @inheritdoc IBackstop
    function queuedSince() external view returns (uint256 since, uint256 seenAt) {
        return (_queuedSince, _queueSeenAt);
    }

    /// @inheritdoc IBackstop
    function recoveryMark(address collateral) external view returns (uint256) {
        return BackstopRecovery.markedHigh(_marks[collateral], _markPeriod());
    }

    /// @inheritdoc IBackstop
    function closedTime() public view returns (uint256) {
        uint256 since = _closedSince;
        return since == 0 ? _closedFor : _closedFor + block.timestamp - since;
    }

    /// @inheritdoc IBackstop
    function vault() external view returns (address) {
        return address(_vault);
    }

    /// @inheritdoc IBackstop
    function idle() external view returns (uint256) {
        return _idle;
    }

    /// @inheritdoc IBackstop
    function earmarked() external view returns (uint256) {
        return _earmarked;
    }

    /// @inheritdoc IBackstop
    function heldBack() public view returns (uint256) {
        uint256 end = _releaseEnd;
        if (block.timestamp >= end) return 0;
        uint256 span = end - _releaseStart; // > 0: start ≤ now < end
        return (uint256(_released) * (end - block.timestamp) + span - 1) / span; // rounded up: stakers who stay keep it
    }

    /// @inheritdoc IBackstop
    function unstakeOf(address owner_) external view returns (Unstake memory) {
        return _unstakes[owner_];
    }

    /// @inheritdoc IBackstop
    function allocator() external view returns (address) {
        return _allocator;
    }

    /// @inheritdoc IBackstop
    function venues() external view returns (address[] memory) {
        return _venues.list;
    }

    /// @inheritdoc IBackstop
    function venueValue(address venue) external view returns (uint256 worth, bool down) {
        return BackstopVenues.valueOf(_venues, venue);
    }

    /// @inheritdoc IBackstop
    function venuesValue() external view returns (uint256 worth, bool anyDown) {
        return BackstopVenues.total(_venues);
    }

    /// @inheritdoc IBackstop
    function unstakeParams() external view returns (uint256 cooldown, uint256 window) {
        return (_cooldown, _window);
    }

    // ================================================================= internal

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev A staker's entry: exactly `assets` must arrive (booked, not read back from balanceOf later).
    function _enter(address receiver, uint256 assets, uint256 shares) private {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        BackstopRecovery.mark(_vault, _marks, _markPeriod()); // priced already (and open): the mark only records
        _pullExact(msg.sender, assets);
        _idle += uint128(assets); // pulled exactly: the token's supply bounds it
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
    }

    /// @dev A staker's exit of `assets` for `shares` (priced by the caller), after every check.
    function _exit(address receiver, address owner_, uint256 assets, uint256 shares) private {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        uint8 reason = _checkpoint(); // a closure seen ending here extends the windows it spanned
        if (reason != 0) revert WithdrawalsClosed(reason);
        Unstake memory request = _unstakes[owner_];
        if (!_inWindow(request) || shares > request.shares) {
            revert NotInUnstakeWindow(owner_, request.readyAt, _windowEnd(request), shares);
        }
        // An exit is paid out of the venues first, as far as they let it out, then out of idle cash: idle cash is what
        // earmarks and loss payments draw on, so leaving stakers take it last.
        if (_venues.list.length != 0) {
            (uint256 got, uint256 removed) = BackstopVenues.pull(_venues, IERC20(asset()), assets);
            _idle += uint128(got);
            _settleVenue(got, removed);
        }
        uint256 free = _idle - _earmarked;
        if (assets > free) revert InsufficientIdle(free, assets);
        if (msg.sender != owner_) _spendAllowance(owner_, msg.sender, shares);
        _unstakes[owner_].shares = uint128(request.shares - shares);
        _burn(owner_, shares);
        _idle -= uint128(assets); // ≤ free ≤ idle
        emit Withdraw(msg.sender, receiver, owner_, assets, shares);
        IERC20(asset()).safeTransfer(receiver, assets);
    }

    /// @dev Records lenders' queue (since when, and when last seen; a gap longer than MAX_QUEUE_GAP starts it again;
    ///      taken as still queued while the breaker cannot answer: exits are closed then anyway), then whether exits are
    ///      closed now (a closure seen starting, or seen ending: its length joins `_closedFor`). Returns
    ///      `closedReason()`. A queue seen lifted is not forgotten at once: one that comes back within MAX_QUEUE_GAP
    ///      (a renewal landing late) is the same queue.
    function _checkpoint() private returns (uint8 reason) {
        (bool closing, bool queued, bool answered) = _breakerFlags();
        uint256 since = _queuedSince;
        if (queued) {
            if (since == 0 || block.timestamp - _queueSeenAt > MAX_QUEUE_GAP) {
                _queuedSince = uint40(block.timestamp);
                emit LendersQueueSeen(block.timestamp);
            }
            _queueSeenAt = uint40(block.timestamp);
        } else if (!answered && since != 0 && block.timestamp - _queueSeenAt <= MAX_QUEUE_GAP) {
            _queueSeenAt = uint40(block.timestamp); // a live record only: an old one is not revived
        }
        reason = _reason(closing, queued);
        uint256 closedSince_ = _closedSince;
        if (reason != 0 && closedSince_ == 0) {
            _closedSince = uint40(block.timestamp);
            emit ExitsClosed(reason, _closedFor);
        } else if (reason == 0 && closedSince_ != 0) {
            uint256 closedFor = _closedFor + block.timestamp - closedSince_;
            (_closedSince, _closedFor) = (0, uint40(closedFor));
            emit ExitsReopened(closedFor);
        }
    }

    /// @dev `closedReason` from the breaker's flags: a pending loss first, then a closing reason, then lenders' queue
    ///      with no automatic reason (the guardian's), until it has been recorded for MAX_QUEUE_CLOSURE with no gap
    ///      longer than MAX_QUEUE_GAP between records (lenders leave through the queue meanwhile; then exits, and
    ///      stakes, open). The same as a checkpoint now would say: a longer gap would start the count again.
    function _reason(bool closing, bool queued) private view returns (uint8) {
        if (lossPending()) return LOSS_PENDING;
        if (closing) return BREAKER_CLOSED;
        if (!queued) return 0;
        uint256 since = _queuedSince;
        bool ran =
            since != 0 &&
                block.timestamp - _queueSeenAt <= MAX_QUEUE_GAP &&
                block.timestamp - since >= MAX_QUEUE_CLOSURE;
        return ran ? 0 : GUARDIAN_QUEUE;
    }

    /// @dev What the breaker says: whether an entry holds a closing reason (`closing`; also when it cannot answer),
    ///      whether the global or the base entry queues lenders' withdrawals (`queued`), and whether it answered.
    function _breakerFlags() private view returns (bool closing, bool queued, bool answered) {
        ICircuitBreaker breaker = _vault.circuitBreaker();
        if (address(breaker) == address(0)) return (false, false, true);
        // A breaker that cannot answer is taken as one that would close them (unless it was only starved of gas).
        uint256 gasBefore = gasleft();
        try breaker.state() returns (ICircuitBreaker.EntryView[] memory entries) {
            address base = asset();
            for (uint256 i; i < entries.length; ++i) {
                if (entries[i].reasons & CLOSING_REASONS != 0) closing = true;
                // Lenders' withdrawals queue on the global and the base entries only.
                bool lenders = entries[i].asset == address(0) || entries[i].asset == base;
                if (lenders && entries[i].actionMask & WITHDRAW_ACTION != 0) queued = true;
            }
            answered = true;
        } catch {
            if (gasleft() <= gasBefore / 64) revert BreakerOutOfGas();
            closing = true;
        }
    }

    /// @dev How long a recovery price mark holds: the cooldown and the window, the longest a staker who bore a
    ///      write-off waits to leave.
    function _markPeriod() private view returns (uint256) {
        return uint256(_cooldown) + _window;
    }

    /// @dev Whether now is inside `request`'s window.
    function _inWindow(Unstake memory request) private view returns (bool) {
        return request.shares != 0 && block.timestamp >= request.readyAt && block.timestamp < _windowEnd(request);
    }

    /// @dev When `request`'s window ends: the window, plus the time exits were seen closed since the request (at most
    ///      MAX_EXTENSION).
    function _windowEnd(Unstake memory request) private view returns (uint256) {
        uint256 extension = closedTime() - request.closedMark; // the closed time only grows
        return uint256(request.readyAt) + _window + (extension < MAX_EXTENSION ? extension : MAX_EXTENSION);
    }

    /// @dev A transfer out lowers the sender's request to what it still holds: no share can leave faster by moving to
    ///      an account whose window is open.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == address(0)) return;
        Unstake storage request = _unstakes[from];
        uint256 balance = balanceOf(from);
        if (request.shares > balance) request.shares = uint128(balance);
    }

    /// @dev Whether stakes are taken: exits are open (no loss pending, no breaker closing them: nobody buys in while
    ///      stakers cannot leave, nor pays for a loss already known), no venue is marked down, and the recovery can be
    ///      valued (no price failed); and `entryAssets` then, from the same reads.
    function _openEntry() private view returns (bool open, uint256 entry) {
        if (closedReason() != 0) return (false, 0);
        (uint256 inVenues, bool anyDown) = BackstopVenues.total(_venues);
        if (anyDown) return (false, 0);
        (uint256 value, bool valued) = BackstopRecovery.value(_vault, asset(), _marks, _markPeriod());
        return (valued, _idle + inVenues + value);
    }

    /// @dev `entryAssets`, reverting `StakingClosed` unless stakes are taken.
    function _entryAssetsIfOpen() private view returns (uint256 entry) {
        bool open;
        (open, entry) = _openEntry();
        if (!open) revert StakingClosed();
    }

    /// @dev Gives back what is earmarked beyond what the vault counts (a call from it failed: it counts none).
    function _sync() private {
        (uint256 held, ) = _vault.backstopBook();
        uint256 earmarked_ = _earmarked;
        if (held >= earmarked_) return;
        _earmarked = uint128(held);
        _giveBack(earmarked_ - held);
        if (_earmarkNetted > held) _earmarkNetted = uint128(held);
        emit Covered(0, 0, held);
    }

    /// @dev Cash `got` back from venues whose positions' worth fell by `removed` (idle already counts `got`): more is a
    ///      gain, held back; less, a loss, at once.
    function _settleVenue(uint256 got, uint256 removed) private {
        if (got > removed) _holdGain(got - removed);
        else if (removed > got) _takeLoss(removed - got);
    }

    /// @dev A loss of `loss` (value paid out or newly earmarked): it counts at once, first against gains still held
    ///      back. Returns how much of them it met.
    function _takeLoss(uint256 loss) private returns (uint256 netted) {
        uint256 heldNow = heldBack();
        if (heldNow == 0) return 0;
        netted = loss < heldNow ? loss : heldNow;
        (_released, _releaseStart) = (uint128(heldNow - netted), uint64(block.timestamp));
        emit GainsHeldBack(0, netted, heldNow - netted);
    }

    /// @dev An earmark of `amount` given back: it undoes a loss, so it counts at once, except the held-back gains that
    ///      loss had met (`_earmarkNetted`), which return to the release.
    function _giveBack(uint256 amount) private {
        uint256 netted = _earmarkNetted;
        uint256 restored = amount < netted ? amount : netted;
        if (restored == 0) return;
        _earmarkNetted = uint128(netted - restored);
        _holdGain(restored);
    }

    /// @dev A gain of `gain` (a credit, or gains an earmark had met): held back and released by an amount-weighted end.
    function _holdGain(uint256 gain) private {
        uint256 heldNow = heldBack();
        uint256 total = heldNow + gain;
        uint256 left = heldNow == 0 ? 0 : _releaseEnd - block.timestamp;
        uint256 span = (heldNow * left + gain * RELEASE_PERIOD) / total; // rounded down: no griefing by dust
        (_released, _releaseStart, _releaseEnd) = (
            uint128(total),
            uint64(block.timestamp),
            uint64(block.timestamp + span)
        );
        emit GainsHeldBack(gain, 0, total);
    }

    function _setUnstakeParams(uint256 cooldown_, uint256 window_) private {
        if (cooldown_ < MIN_COOLDOWN || cooldown_ > MAX_COOLDOWN || window_ < MIN_WINDOW || window_ > MAX_WINDOW)
            revert UnstakeParamsOutOfBounds(cooldown_, window_);
        (_cooldown, _window) = (uint32(cooldown_), uint32(window_));
        emit UnstakeParamsSet(cooldown_, window_);
    }

    /// @dev Pulls exactly `amount` of the asset from `from` (a fee-taking or rebasing token is refused).
    function _pullExact(address from, uint256 amount) private {
        IERC20 token = IERC20(asset());
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    /// @dev The lending vault's base asset (checked to be set).
    function _assetOf(ICollateralVault vault_) private view returns (address base) {
        if (address(vault_) == address(0)) revert ZeroAddress();
        base = ERC4626(address(vault_)).asset();
    }
}
