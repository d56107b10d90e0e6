/**
 * Reading what `hardhat build` prints, for scripts/build.ts: solc's diagnostics, told apart by whose file they are
 * about.
 */

/**
 * solc's diagnostics split into blocks (a "Warning:"/"Error:" line, then its source excerpt), each with the first
 * file it points at. A block ends at a blank line or where the next begins. A block about an npm package is noise to a user of the toolchain; one about our code is not.
 */
export function diagnostics(output: string): Array<{ text: string; ours: boolean }> {
  const blocks: Array<{ text: string; ours: boolean }> = [];
  let current: string[] = [];
  const flush = (): void => {
    const text = current.join("\n").trim();
    if (text !== "") {
      const location = /-->\s+(\S+)/.exec(text)?.[1] ?? "";
      blocks.push({ text, ours: !location.includes("node_modules/") });
    }
    current = [];
  };
  for (const line of output.split("\n")) {
    const starts = /^(Warning|Error)\b/.test(line);
    if (starts || line.trim() === "") flush(); // a block ends at the next one or at a blank line
    if (starts || (current.length > 0 && line.trim() !== "")) current.push(line);
  }
  flush();
  return blocks;
}
