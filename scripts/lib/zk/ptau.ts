// Prepares a powers-of-tau file for one Groth16 circuit size only (`npm run zk:setup`'s slow step, about 40% faster
// than snarkjs's `powersoftau prepare phase2`).
//
// snarkjs's preparer computes the Lagrange-basis sections (12–15) for every size from 2^0 to 2^power (and 2^(power+1)
// for τG1), so that one file serves any smaller circuit. `zKey.newZKey` for a circuit of domain 2^power reads only
// the 2^power block of each section and the 2^(power+1) block of τG1. This writes the same file with exactly those
// blocks computed, by the same curve calls (ffjavascript's `lagrangeEvaluations`), and zeros elsewhere: a key made
// from it is byte for byte the key made from snarkjs's file (test/unit/ZkTools.test.ts checks the committed key's
// hash, which the full preparer made). The file is good for this one size only: setup.ts names it so.

import * as binFileUtils from "@iden3/binfileutils";
import * as snarkjs from "snarkjs";

/** Section ids of a ptau file: the raw powers (2–5) and their Lagrange forms (12–15). */
const SECTIONS = [
  { from: 2, to: 12, group: "G1" },
  { from: 3, to: 13, group: "G2" },
  { from: 4, to: 14, group: "G1" },
  { from: 5, to: 15, group: "G1" },
] as const;

type Group = {
  F: { n8: number };
  zeroAffine: Uint8Array;
  lagrangeEvaluations(buff: Uint8Array, inType: string, outType: string): Promise<Uint8Array>;
};

export async function prepareForPower(
  oldFile: string,
  newFile: string,
  power: number,
  log: (line: string) => void,
): Promise<void> {
  const curve = (await snarkjs.curves.getCurveFromName("bn128")) as unknown as { G1: Group; G2: Group };
  const { fd: fdOld, sections } = await binFileUtils.readBinFile(oldFile, "ptau", 1);
  const fdNew = await binFileUtils.createBinFile(newFile, "ptau", 1, 11);
  try {
    for (let id = 1; id <= 7; id++) await binFileUtils.copySection(fdOld, sections, fdNew, id);
    for (const section of SECTIONS) {
      const G = curve[section.group];
      const sG = G.F.n8 * 2;
      await binFileUtils.startWriteSection(fdNew, section.to);
      const top = section.from === 2 ? power + 1 : power;
      for (let p = 0; p <= top; p++) {
        const nPoints = 2 ** p;
        if (p < power) {
          await fdNew.write(new Uint8Array(nPoints * sG));
          continue;
        }
        const buff = new Uint8Array(nPoints * sG);
        await binFileUtils.startReadUniqueSection(fdOld, sections, section.from);
        if (p === power + 1) {
          // τG1 holds 2^(power+1) - 1 powers: the last point of the block is zero, as snarkjs pads it.
          await fdOld.readToBuffer(buff, 0, (nPoints - 1) * sG);
          buff.set(G.zeroAffine, (nPoints - 1) * sG);
        } else {
          await fdOld.readToBuffer(buff, 0, nPoints * sG);
        }
        await binFileUtils.endReadSection(fdOld, true);
        log(`zk:setup:   Lagrange basis of section ${section.to} (${section.group}), 2^${p} points`);
        await fdNew.write(await G.lagrangeEvaluations(buff, "affine", "affine"));
      }
      await binFileUtils.endWriteSection(fdNew);
    }
  } finally {
    await fdOld.close();
    await fdNew.close();
  }
}
