// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A minimal token whose balances live at a storage position chosen at deployment, in either the Solidity
///         layout (balance of `a` at keccak256(abi.encode(a, slot))) or the Vyper layout (keccak256(abi.encode(slot,
///         a)), as Vyper-compiled tokens store a `HashMap` at `slot`). For the tests of the simulation's balance
///         setter (scripts/lib/sim/fork.ts `setTokenBalance`), which must find the slot by probing. Test helper only.
/// @dev Invariant: balanceOf(a) is exactly the word stored at the position above; nothing else reads or writes it.
contract OffsetSlotERC20 {
    /// @notice Emitted when `amount` is minted to `to`.
    event Minted(address indexed to, uint256 amount);

    /// @notice The declared slot of the balance mapping.
    uint256 public immutable balanceSlot;
    /// @notice Whether the Vyper layout is used (slot before the key in the hash).
    bool public immutable vyperLayout;
    /// @notice Token decimals.
    uint8 public immutable decimals;

    /// @param balanceSlot_ The declared slot of the balance mapping.
    /// @param vyperLayout_ Whether the key is hashed after the slot (Vyper) instead of before it (Solidity).
    /// @param decimals_ Token decimals.
    constructor(uint256 balanceSlot_, bool vyperLayout_, uint8 decimals_) {
        balanceSlot = balanceSlot_;
        vyperLayout = vyperLayout_;
        decimals = decimals_;
    }

    /// @notice Adds `amount` to `to`'s balance; anyone may call.
    /// @param to The account credited.
    /// @param amount Units minted.
    function mint(address to, uint256 amount) external {
        bytes32 key = _key(to);
        uint256 held;
        assembly {
            held := sload(key)
        }
        held += amount;
        assembly {
            sstore(key, held)
        }
        emit Minted(to, amount);
    }

    /// @notice The balance of `account`.
    /// @param account The holder.
    function balanceOf(address account) external view returns (uint256 held) {
        bytes32 key = _key(account);
        assembly {
            held := sload(key)
        }
    }

    function _key(address account) private view returns (bytes32) {
        return vyperLayout ? keccak256(abi.encode(balanceSlot, account)) : keccak256(abi.encode(account, balanceSlot));
    }
}
