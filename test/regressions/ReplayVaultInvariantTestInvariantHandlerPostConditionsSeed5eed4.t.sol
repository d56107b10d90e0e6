// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Written by `npm run fuzz`: VaultInvariantTest.invariant_handlerPostConditions failed with
//   INV-14: a liquidation leaves the account healthier, or its debt or the seized position closed (value 165485096116000000000000): 126 != 0
// Budget: --runs 1000 --depth 100 --seed 0x5eed4
// It fails until the bug is fixed; commit it with the fix so the bug cannot come back.
// One line per replayed call, however many:
// solhint-disable function-max-lines

import {VaultInvariantTest} from "../invariant/VaultInvariants.t.sol";

contract ReplayVaultInvariantTestInvariantHandlerPostConditionsSeed5eed4 is VaultInvariantTest {
    function test_replay() public {
        // VaultHandler.depositCollateral(uint256,uint256,uint256)
        _replay(
            0x0000000000000000000000000000000000000257,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"c2384f590000000000000000000000054f19881101341e596604fc458cd7bd76c00f9be3000000000000000000000000000000000000000002bd99eb2011ddf4cbd401db00000000000000000000000000000000000000000000b5f1708ad0fa8b396ebd"
        );
        // VaultHandler.deposit(uint256,uint256)
        _replay(
            0x0000000000000000000000000000000000001b68,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"e2bbb158000000000000000000000000000000000000000000000000063c7628ba43f0b80000000000000075de956ef67db6b8be7f623cd07d30854b32cb25b765eb6fe6"
        );
        // VaultHandler.borrow(uint256,uint256)
        _replay(
            0x00000000000000000000000000000000000034a6,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"0ecbcdab000000000000000000000000000000000000000003cd23f12b7137433dee047a000000000073ab0ba77a6c4a2c2437554d58a3f3cc85505468bd96821a6cbc8d"
        );
        // VaultHandler.borrow(uint256,uint256)
        _replay(
            0x0000000000000000000000000000000000003713,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"0ecbcdab00000000000000000000000000000000000000000000000000025cf1f05b17d5000000000000000000000000000000000000000000000000000006e7962b828f"
        );
        // VaultHandler.warp(uint256)
        _replay(
            0x0000000000000000000000000000000000000565,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"e5d6bf0200000000000000000000000000000000000000000000000000000000000004f3"
        );
        // VaultHandler.borrow(uint256,uint256)
        _replay(
            0xA03D25720f2b60B5C3b6151A69C2d9C937984F9E,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"0ecbcdab000000000000000000000000000000000000000000000000000000000000099a00000000000000000000000000000000000000000000000019aa1670c2bb9660"
        );
        // VaultHandler.warp(uint256)
        _replay(
            0x0000000000000000109bDd5B99081c995Cdd5b1C,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"e5d6bf0200000000000000000000000000000304194a5a1e144a3bedea1acd53827e8736"
        );
        // VaultHandler.mint(uint256,uint256)
        _replay(
            0x65deedD421a371bFE23fB4d12b27a3033adDa332,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"1b2ef1ca000000000000000000000000000000000000000000000000000000f14c97b33600000000000000000000000000000000000000000000000000054e23ad8650a6"
        );
        // VaultHandler.mint(uint256,uint256)
        _replay(
            0x86d33E40793B78a5337d88Fe791A8aaF335c08CD,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"1b2ef1ca000000000000000000000000000000007cb6a9f285581c15dd1545d7ccbe6ef400000000000000000000000000000000000000000000000000000000dcb07b52"
        );
        // VaultHandler.movePrice(uint256,uint256)
        _replay(
            0x00000000000000000000000000000000000037C0,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"693e2918000000000000000000000000000000000000000000000000000000000000022e000000000000000000000000000000000000000000000000000000001c85f0e7"
        );
        // VaultHandler.deposit(uint256,uint256)
        _replay(
            0x8ad49c399e66c0Ef70777822Ec62CE8A9fF02Fe3,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"e2bbb15800000000000000000000000000000000000000000000000000000000000007080000000000000000000000000000000000000000000000000000000000003f86"
        );
        // VaultHandler.warp(uint256)
        _replay(
            0x0000000000000000000000000000000000010012,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"e5d6bf020000000000000fffe8b09125492b545d6005bfc4e3cd4cbc1a001ec4ed2f2ff6"
        );
        // VaultHandler.liquidate(uint256,uint256,uint256,uint256,bool)
        _replay(
            0x56aFF2D48e2a6cE70575B2b35b47f86a88ad804B,
            0x03A6a84cD762D9707A21605b548aaaB891562aAb,
            hex"3b36f8820000000000000000000000000000000065812295c6e45b609ca10bc2b00e4601000000000000000000000000000000000000000000047e8f95e0ec8bab5c077f0000000071331fc473c5eae44b8018f25488d517f18af533d15126bbf2fe4f26000000000000000000000000000000000000000000bc3616d3a368ac00172be00000000000000000000000000000000000000000000000000000000000000000"
        );
        invariant_handlerPostConditions();
    }

    /// @dev The campaign tolerated reverting calls (failOnRevert = false); so does the replay.
    function _replay(address sender, address target, bytes memory data) private {
        vm.prank(sender);
        (bool ok, ) = target.call(data);
        ok;
    }
}
