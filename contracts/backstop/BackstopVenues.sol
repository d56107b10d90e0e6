// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IBackstop} from "../interfaces/IBackstop.sol";

/// @title BackstopVenues
/// @notice The backstop's positions in the ERC-4626 venues its allocator puts idle cash into (issue 26): the shares it
///         holds in each, and what it counts them worth. A venue's loss counts at once; its gains slowly: a position
///         is worth the venue's own quote (`convertToAssets`) but never more than its last mark grown at
///         MAX_GROWTH a year (the exchange-rate ceiling), so a donation to a venue, or a venue that lies upward, moves
///         the backstop's share price by at most that.
/// @dev Invariants:
///      - At most MAX_VENUES venues hold a position; a venue leaves the list when its shares reach zero.
///      - A position's worth is min(quote, cost · (1 + MAX_GROWTH · elapsed / year)); a venue that cannot quote is worth 0.
///      - Tokens move only between the backstop and a venue: `deposit` approves exactly the amount and clears the
///        approval; `withdraw` sends to the backstop only.
library BackstopVenues {
    using SafeERC20 for IERC20;
    using Math for uint256;

    /// @notice Most venues with a position at once (every valuation loops over them).
    uint256 internal constant MAX_VENUES = 4;
    /// @notice The exchange-rate ceiling: a position's worth grows at most this much a year past its last mark (WAD).
    uint256 internal constant MAX_GROWTH = 0.2e18;
    /// @notice A quote below a position's cost by more than this share (WAD), and by more than MARKDOWN_DUST units,
    ///         marks the venue down: the backstop takes no stake, and anyone may recall the position. The allocator's
    ///         minimum deposit keeps a deposit's rounding below it.
    uint256 internal constant MARKDOWN_TOLERANCE = 1e14; // 0.01%
    uint256 internal constant MARKDOWN_DUST = 2;

    struct Position {
        uint128 shares; // venue shares held
        uint128 cost; // what the position was counted worth at its last mark, plus deposits since
        uint64 markedAt;
    }

    struct Book {
        address[] list;
        mapping(address venue => Position) positions;
    }

    /// @dev What `venue`'s position is counted worth now, and whether the venue is marked down (its quote below the
    ///      position's cost beyond MARKDOWN_TOLERANCE).
    function valueOf(Book storage book, address venue) internal view returns (uint256 worth, bool down) {
        Position memory p = book.positions[venue];
        if (p.shares == 0) return (0, false);
        uint256 quote;
        try IERC4626(venue).convertToAssets(p.shares) returns (uint256 assets) {
            quote = assets;
        } catch {} // solhint-disable-line no-empty-blocks
        uint256 ceiling = p.cost + uint256(p.cost).mulDiv(MAX_GROWTH * (block.timestamp - p.markedAt), 365 days * 1e18);
        worth = quote < ceiling ? quote : ceiling;
        uint256 tolerance = uint256(p.cost).mulDiv(MARKDOWN_TOLERANCE, 1e18);
        down = quote + (tolerance > MARKDOWN_DUST ? tolerance : MARKDOWN_DUST) < p.cost;
    }

    /// @dev Σ of every position's worth, and whether any venue is marked down. At most MAX_VENUES iterations.
    function total(Book storage book) internal view returns (uint256 worth, bool anyDown) {
        address[] storage list = book.list;
        for (uint256 i; i < list.length; ++i) {
            (uint256 w, bool down) = valueOf(book, list[i]);
            worth += w;
            anyDown = anyDown || down;
        }
    }

    /// @dev What the backstop could take out of its venues now: Σ min(worth, the venue's `maxWithdraw`).
    function withdrawable(Book storage book) internal view returns (uint256 sum) {
        address[] storage list = book.list;
        for (uint256 i; i < list.length; ++i) {
            (uint256 worth, ) = valueOf(book, list[i]);
            uint256 most = _maxWithdraw(list[i]);
            sum += most < worth ? most : worth;
        }
    }

    /// @dev Deposits `assets` of `base` into `venue` (its asset checked to be `base`); returns the shares received
    ///      (measured by the backstop's share balance). A position that is not marked down is marked first (its cost
    ///      becomes its worth now); a marked-down one keeps its cost and mark, so a deposit never hides a loss. Then the
    ///      cost grows by `assets`.
    function deposit(Book storage book, address venue, IERC20 base, uint256 assets) internal returns (uint256 shares) {
        if (IERC4626(venue).asset() != address(base)) revert IBackstop.WrongVenue(venue);
        Position storage p = book.positions[venue];
        if (p.shares == 0 && !_listed(book, venue)) {
            if (book.list.length >= MAX_VENUES) revert IBackstop.TooManyVenues(MAX_VENUES);
            book.list.push(venue);
        }
        (uint256 worth, bool down) = valueOf(book, venue);
        uint256 held = IERC4626(venue).balanceOf(address(this));
        base.forceApprove(venue, assets);
        IERC4626(venue).deposit(assets, address(this));
        base.forceApprove(venue, 0);
        shares = IERC4626(venue).balanceOf(address(this)) - held;
        if (shares == 0) revert IBackstop.ZeroAmount();
        uint256 cost = (down ? p.cost : worth) + assets; // bounded by the base token's supply
        (p.shares, p.cost) = (uint128(p.shares + shares), uint128(cost)); // venue shares: a uint128 for any real venue
        if (!down) p.markedAt = uint64(block.timestamp);
    }

    /// @dev Takes `assets` out of `venue` (`type(uint256).max`: all it lets out now) to the backstop. Returns what
    ///      arrived (its balance change) and the worth the position lost (its worth before, less its worth after). The
    ///      shares left are the shares before less those the venue burned (shares sent to the backstop are not its
    ///      position); the cost is scaled to them and the mark kept, so a partial withdrawal neither hides a
    ///      markdown nor resets the ceiling. A position left worth nothing leaves the list.
    function withdraw(
        Book storage book,
        address venue,
        IERC20 base,
        uint256 assets,
        bool tolerant
    ) internal returns (uint256 got, uint256 removed) {
        Position storage p = book.positions[venue];
        uint256 sharesBefore = p.shares;
        if (sharesBefore == 0) return (0, 0);
        (uint256 worthBefore, ) = valueOf(book, venue);
        (uint256 balance, uint256 held) = (base.balanceOf(address(this)), IERC4626(venue).balanceOf(address(this)));
        if (assets == type(uint256).max) {
            uint256 most;
            try IERC4626(venue).maxRedeem(address(this)) returns (uint256 m) {
                most = m;
            } catch {} // solhint-disable-line no-empty-blocks
            uint256 shares = most < sharesBefore ? most : sharesBefore;
            if (shares == 0) return (0, 0);
            IERC4626(venue).redeem(shares, address(this), address(this));
        } else if (tolerant) {
            // A venue that says it lets out more than it pays must not block what idle cash could pay.
            try IERC4626(venue).withdraw(assets, address(this), address(this)) {} catch {
                return (0, 0);
            }
        } else {
            IERC4626(venue).withdraw(assets, address(this), address(this));
        }
        got = base.balanceOf(address(this)) - balance;
        uint256 burned = held - IERC4626(venue).balanceOf(address(this));
        uint256 sharesLeft = burned < sharesBefore ? sharesBefore - burned : 0;
        (p.shares, p.cost) = (uint128(sharesLeft), uint128(uint256(p.cost).mulDiv(sharesLeft, sharesBefore)));
        (uint256 worthAfter, ) = valueOf(book, venue);
        if (sharesLeft != 0 && worthAfter == 0) {
            delete book.positions[venue]; // dust the venue would not let out: no longer counted
            sharesLeft = 0;
        }
        if (sharesLeft == 0) _unlist(book, venue);
        removed = worthBefore > worthAfter ? worthBefore - worthAfter : 0;
    }

    /// @dev Takes up to `need` out of the venues, in list order, as far as each lets out (a venue whose withdrawal
    ///      fails is passed over); returns what arrived and the worth the positions lost. At most MAX_VENUES iterations.
    function pull(Book storage book, IERC20 base, uint256 need) internal returns (uint256 got, uint256 removed) {
        address[] storage list = book.list;
        for (uint256 i = list.length; i > 0 && got < need; --i) {
            address venue = list[i - 1]; // from the end: a venue leaving the list moves none still to visit
            (uint256 worth, ) = valueOf(book, venue);
            uint256 most = _maxWithdraw(venue);
            uint256 take = need - got;
            if (take > most) take = most;
            if (take > worth) take = worth;
            if (take == 0) continue;
            (uint256 g, uint256 r) = withdraw(book, venue, base, take, true);
            (got, removed) = (got + g, removed + r);
        }
    }

    function _maxWithdraw(address venue) private view returns (uint256 most) {
        try IERC4626(venue).maxWithdraw(address(this)) returns (uint256 m) {
            most = m;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function _listed(Book storage book, address venue) private view returns (bool) {
        address[] storage list = book.list;
        for (uint256 i; i < list.length; ++i) if (list[i] == venue) return true;
        return false;
    }

    function _unlist(Book storage book, address venue) private {
        address[] storage list = book.list;
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == venue) {
                list[i] = list[list.length - 1];
                list.pop();
                return;
            }
        }
    }
}
