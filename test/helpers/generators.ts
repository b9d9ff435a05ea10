// Runs a generator of scripts/ with --check, as a process: tests use the tool,
// they do not import it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The exit status and error output of `node --import tsx scripts/<script> --check`. */
export function checkGenerated(script: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}`, "--check"], {
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr };
}
