/**
 * The in-process chain's own rate on a replay's exact workload (issue 22, item 4): the floor the simulation's speed
 * is compared with. After a replay, every transaction it mined is read back block by block; the chain is reverted to
 * the snapshot taken before the replay, and the same transactions are sent again, each block's in its order, straight
 * to the chain's JSON-RPC (`eth_sendTransaction` with the original sender, nonce, gas and fees), each block mined at
 * its original timestamp. That time is what the chain needs for the replay's transactions and blocks with none of
 * the simulation's own work (no reads, no valuations, no keeper decisions, no ethers contract wrappers). The check:
 * each re-mined block holds the same transactions (same hashes: same signed transactions), in the same order, and
 * uses the same gas, as the original. One probe measures one replay.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

/** What the floor measurement found. */
export interface ChainFloor {
  blocks: number;
  transactions: number;
  /** Seconds the chain took to take and mine them again. */
  seconds: number;
  /** Whether every re-mined block holds the transactions of its original, in order, and used the same gas. */
  sameGas: boolean;
}

interface RpcBlock {
  number: string;
  timestamp: string;
  gasUsed: string;
  transactions: RpcTransaction[];
}

interface RpcTransaction {
  hash: string;
  from: string;
  to: string | null;
  input: string;
  value: string;
  nonce: string;
  gas: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  gasPrice?: string;
}

/** Takes a snapshot before a replay; `measure` after it re-mines the replay's blocks from that snapshot. */
export class ChainFloorProbe {
  private snapshot: string | undefined;
  private firstBlock = 0;

  async before(ethers: HardhatEthers): Promise<void> {
    if (this.snapshot !== undefined) throw new Error("a chain floor probe measures one replay: make one per replay");
    this.snapshot = String(await ethers.provider.send("evm_snapshot", []));
    this.firstBlock = (await ethers.provider.getBlockNumber()) + 1;
  }

  /** Re-mines every block since `before` from its snapshot and times it. Leaves the chain at the re-mined state. */
  async measure(ethers: HardhatEthers): Promise<ChainFloor> {
    if (this.snapshot === undefined) throw new Error("the chain floor needs a snapshot taken before the replay");
    const provider = ethers.provider;
    const last = await provider.getBlockNumber();
    const blocks: RpcBlock[] = [];
    for (let n = this.firstBlock; n <= last; n++) {
      blocks.push((await provider.send("eth_getBlockByNumber", [`0x${n.toString(16)}`, true])) as RpcBlock);
    }
    if ((await provider.send("evm_revert", [this.snapshot])) !== true) throw new Error("evm_revert failed");
    await provider.send("evm_setAutomine", [false]);
    let transactions = 0;
    const started = performance.now();
    for (const block of blocks) {
      for (const tx of block.transactions) {
        const fees =
          tx.maxFeePerGas === undefined
            ? { gasPrice: tx.gasPrice }
            : { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas };
        await provider.send("eth_sendTransaction", [
          {
            from: tx.from,
            to: tx.to ?? undefined,
            data: tx.input,
            value: tx.value,
            nonce: tx.nonce,
            gas: tx.gas,
            ...fees,
          },
        ]);
        transactions++;
      }
      await provider.send("evm_mine", [Number(block.timestamp)]);
    }
    const seconds = (performance.now() - started) / 1000;
    let sameGas = true;
    for (const block of blocks) {
      const again = (await provider.send("eth_getBlockByNumber", [block.number, false])) as {
        gasUsed: string;
        transactions: string[];
      };
      const hashes = block.transactions.map((tx) => tx.hash);
      if (again.gasUsed !== block.gasUsed || JSON.stringify(again.transactions) !== JSON.stringify(hashes)) {
        sameGas = false;
      }
    }
    return { blocks: blocks.length, transactions, seconds, sameGas };
  }
}
