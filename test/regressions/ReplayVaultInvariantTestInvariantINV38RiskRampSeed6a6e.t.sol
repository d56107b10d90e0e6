// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Written by `npm run fuzz`: VaultInvariantTest.invariant_INV38_riskRamp failed with
//   INV-38: effective LTV <= threshold <= config, threshold >= config / 2, LTV target <= threshold target - gap; a threshold moves <= 1 pt/h down and 0.25 pt/h up, an LTV <= 0.5 pt/h up; a cap change moves no health in its block: 12 != 0
// Budget: --runs 1000 --depth 100 --seed 0x6a6e
// It fails until the bug is fixed; commit it with the fix so the bug cannot come back.
// One line per replayed call, however many:
// solhint-disable function-max-lines

import {VaultInvariantTest} from "../invariant/VaultInvariants.t.sol";

contract ReplayVaultInvariantTestInvariantINV38RiskRampSeed6a6e is VaultInvariantTest {
    function test_replay() public {
        // RiskHandler.setCaps(uint256,uint256,uint256)
        _replay(
            0x0000000000000000000000000000000000000C54,
            0x2a07706473244BC757E10F2a9E86fB532828afe3,
            hex"caefb79e000000000000000000000000000000000000000000000000000000000000448d0000000000000000000000000000000000000000000000000000000000005139000000000000000000000000000000000000000000000000000000000000073a"
        );
        // RiskHandler.clearCaps(uint256)
        _replay(
            0x0000000000000000000000000000000000000DB5,
            0x2a07706473244BC757E10F2a9E86fB532828afe3,
            hex"ba038069000000000000000000000000000000000000000000000000000000000092c747"
        );
        // VaultHandler.warp(uint256)
        _replay(
            0x2D0c16e2aCb1D9f9426E0Ab6aF61c9E22EE758E0,
            0x15cF58144EF33af1e14b5208015d11F9143E27b9,
            hex"e5d6bf020000000000000000000000000000000000000000000000000000000000000813"
        );
        // RiskHandler.clearCaps(uint256)
        _replay(
            0x00000000000000000000000000000000DaBC1De5,
            0x2a07706473244BC757E10F2a9E86fB532828afe3,
            hex"ba038069000000000000000000000000000000000000000000000000000000000000035f"
        );
        // VaultHandler.warp(uint256)
        _replay(
            0x0000000000000000000000000000000000003e19,
            0x15cF58144EF33af1e14b5208015d11F9143E27b9,
            hex"e5d6bf020000000000000000000000000000000000000000000000000000000000002d54"
        );
        invariant_INV38_riskRamp();
    }

    /// @dev The campaign tolerated reverting calls (failOnRevert = false); so does the replay.
    function _replay(address sender, address target, bytes memory data) private {
        vm.prank(sender);
        (bool ok, ) = target.call(data);
        ok;
    }
}
