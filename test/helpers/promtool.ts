// Runs promtool from Debian's prometheus package (installed by .ci/run).
import { spawnSync } from "node:child_process";

export function promtool(args: readonly string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { input, encoding: "utf8" });
  if (result.error) throw new Error(`promtool is required (apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
