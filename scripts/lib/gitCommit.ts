import { spawnSync } from "node:child_process";

/**
 * The commit `dir` is checked out at, and whether tracked files differ from it (`dirty`); null outside a git checkout
 * or without git. Recorded in reports so two of them can be told apart.
 */
export function gitCommit(dir: string): { sha: string; dirty: boolean } | null {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" });
  if (head.status !== 0 || !/^[0-9a-f]{40}$/.test(head.stdout.trim())) return null;
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: dir, encoding: "utf8" });
  return { sha: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== "" };
}
