// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A backstop that passes the vault's wiring checks (`vault`, `asset`) and then fails at every hook, in one of
///         three ways: it reverts, it burns all the gas it is given, or it claims to hold whatever is asked while
///         holding nothing. The vault must carry on as with no backstop (issue 26: a backstop never blocks a loss).
contract BrokenBackstop {
    enum Mode {
        REVERT,
        BURN_GAS,
        LIE
    }

    error Broken();

    address public immutable vault;
    address public immutable asset;
    Mode public mode;

    constructor(address vault_, address asset_, Mode mode_) {
        (vault, asset, mode) = (vault_, asset_, mode_);
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function cover(uint256, uint256 earmark) external view returns (uint256) {
        _fail();
        return earmark; // LIE: "held", with nothing behind it
    }

    function credit(uint256) external view {
        _fail();
    }

    function _fail() private view {
        if (mode == Mode.REVERT) revert Broken();
        if (mode == Mode.BURN_GAS) {
            while (gasleft() > 0) {} // solhint-disable-line no-empty-blocks
        }
    }
}
