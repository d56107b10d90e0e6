// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title BrokenBreaker
/// @notice A circuit breaker (and withdrawal queue) that names its vault, so governance can install it, and answers every
///         other call broken: by reverting, with no return data, with half a word, or with `bombSize` bytes of zeros
///         (a return bomb). Tests that the vault's always-open paths (INV-27: repay, depositCollateral) and share
///         transfers go through whatever the breaker does, copying no more of its return data than they use.
contract BrokenBreaker {
    enum Mode {
        REVERT,
        EMPTY,
        HALF_WORD,
        BOMB
    }

    error Broken();

    address public immutable vault;
    Mode public mode;
    uint256 public bombSize;

    constructor(address vault_) {
        vault = vault_;
    }

    /// @notice How every other call answers from now on.
    function setMode(Mode mode_, uint256 bombSize_) external {
        (mode, bombSize) = (mode_, bombSize_);
    }

    // The point of this double is a fallback that answers every hook the same broken way.
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        Mode m = mode;
        if (m == Mode.REVERT) revert Broken();
        if (m == Mode.EMPTY) return;
        uint256 size = m == Mode.HALF_WORD ? 16 : bombSize;
        assembly {
            mstore(0, not(0))
            return(0, size)
        }
    }
}
