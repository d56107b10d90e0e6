// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

/// @notice An ERC-4626 venue whose troubles a test sets (issue 26: the backstop's allocator must survive them): it
///         loses a share of its assets (`lose`: a default it books), lends cash out so that little can be withdrawn
///         (`lend`: utilisation; `repayLoan` brings it back), pauses (every deposit and withdrawal reverts, and its
///         `max*` views say 0; `setExitsPaused`: withdrawals only), or quotes more than it holds (`inflate`: a
///         donation or a lying quote).
contract StressedVenue is ERC4626 {
    error Paused();

    address private constant SINK = address(0xdead);
    bool public paused;
    bool public exitsPaused;
    bool public lies;
    uint256 public lent;
    uint256 public extraQuote;

    constructor(IERC20 asset_) ERC20("Stressed venue", "SV") ERC4626(IERC20Metadata(address(asset_))) {}

    /// @notice Loses `shareWad` of its cash (sent to a sink: a default).
    function lose(uint256 shareWad) external {
        IERC20 token = IERC20(asset());
        token.transfer(SINK, (token.balanceOf(address(this)) * shareWad) / 1e18);
    }

    /// @notice Lends `amount` of its cash out (still counted: utilisation, not a loss).
    function lend(uint256 amount) external {
        lent += amount;
        IERC20(asset()).transfer(SINK, amount);
    }

    /// @notice The loan comes back (the caller pays it).
    function repayLoan(uint256 amount) external {
        lent -= amount;
        IERC20(asset()).transferFrom(msg.sender, address(this), amount);
    }

    function setPaused(bool paused_) external {
        paused = paused_;
    }

    /// @notice Makes `maxWithdraw` promise the whole claim, whatever cash there is (a withdrawal past the cash reverts).
    function setLies(bool lies_) external {
        lies = lies_;
    }

    /// @notice Stops withdrawals only: deposits still go in (a venue with a withdrawal queue, or exits paused).
    function setExitsPaused(bool exitsPaused_) external {
        exitsPaused = exitsPaused_;
    }

    /// @notice Quotes `amount` more than it holds.
    function inflate(uint256 amount) external {
        extraQuote += amount;
    }

    function totalAssets() public view override returns (uint256) {
        return IERC20(asset()).balanceOf(address(this)) + lent + extraQuote;
    }

    function maxDeposit(address receiver) public view override returns (uint256) {
        return paused ? 0 : super.maxDeposit(receiver);
    }

    function maxWithdraw(address owner_) public view override returns (uint256) {
        if (paused || exitsPaused) return 0;
        uint256 claim = convertToAssets(balanceOf(owner_));
        if (lies) return claim;
        uint256 cash = IERC20(asset()).balanceOf(address(this));
        return claim < cash ? claim : cash;
    }

    function maxRedeem(address owner_) public view override returns (uint256) {
        if (paused || exitsPaused) return 0;
        uint256 shares = convertToShares(maxWithdraw(owner_));
        uint256 held = balanceOf(owner_);
        return shares < held ? shares : held;
    }

    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (paused) revert Paused();
        super._deposit(caller, receiver, assets, shares);
    }

    function _withdraw(
        address caller,
        address receiver,
        address owner_,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (paused || exitsPaused) revert Paused();
        super._withdraw(caller, receiver, owner_, assets, shares);
    }
}
