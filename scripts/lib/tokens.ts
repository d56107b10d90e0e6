import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256 } from "ethers";
import type { MockERC20 } from "../../typechain-types/index.js";
import type { Timeline } from "./chain.js";

/**
 * Mints `amount` of the mock `token` to `holder` and approves `spender` for an unlimited amount, as a wallet's
 * one-time "approve" would (an unlimited allowance is not written back on each transfer).
 */
export async function fundAndApprove(
  timeline: Timeline,
  token: MockERC20,
  holder: HardhatEthersSigner,
  amount: bigint,
  spender: string,
): Promise<void> {
  await timeline.send(() => token.mint(holder.address, amount));
  await timeline.send(() => token.connect(holder).approve(spender, MaxUint256));
}
