// Runs systemd's own checkers on the shipped unit: systemd-analyze verify and security, and
// systemd-sysusers, all against a throwaway root so that no unit is installed on this machine
// (and PID 1 need not be systemd). Debian's systemd package brings them (installed by .ci/run).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface ToolResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function systemdTool(command: string, args: readonly string[]): ToolResult {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
  if (result.error) throw new Error(`${command} is required (apt-get install systemd): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface UnitRoot {
  readonly root: string;
  readonly unitName: string;
  remove(): void;
}

/**
 * A filesystem root holding the system's stock units (so that dependencies such as sysinit.target
 * resolve), the unit (and its companions) under /etc/systemd/system with the given drop-ins, and, when asked,
 * an executable where the unit's ExecStart expects the installed command.
 */
export function unitRoot(
  unitFile: string,
  options: { dropIns?: readonly string[]; execStart?: string | undefined; companions?: readonly string[] } = {},
): UnitRoot {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-systemd-"));
  fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), { recursive: true });
  const unitName = path.basename(unitFile);
  const unitDir = path.join(root, "etc/systemd/system");
  fs.mkdirSync(unitDir, { recursive: true });
  fs.copyFileSync(unitFile, path.join(unitDir, unitName));
  // Units installed with it, such as the timer that starts it.
  for (const companion of options.companions ?? []) {
    fs.copyFileSync(companion, path.join(unitDir, path.basename(companion)));
  }
  for (const dropIn of options.dropIns ?? []) {
    const dir = path.join(unitDir, `${unitName}.d`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(dropIn, path.join(dir, path.basename(dropIn)));
  }
  if (options.execStart !== undefined) {
    const target = path.join(root, options.execStart);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, "#!/bin/sh\n# stands in for the command that npm install -g installs\n", { mode: 0o755 });
  }
  return { root, unitName, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export interface SecurityCheck {
  readonly name: string;
  readonly set: boolean;
  readonly exposure: number | null;
  readonly description: string;
}

export interface SecurityReport {
  readonly exposure: number;
  readonly rating: string;
  /** Every check by name, and what it adds to the exposure (0 when it passes). */
  readonly checks: ReadonlyMap<string, number>;
  readonly text: string;
}

/** systemd-analyze security --offline=true, as text (overall score) and JSON (each check). */
export function securityReport(unitRoot: UnitRoot): SecurityReport {
  const common = ["security", "--offline=true", `--root=${unitRoot.root}`, "--no-pager"];
  const text = systemdTool("systemd-analyze", [...common, unitRoot.unitName]);
  const overall = /Overall exposure level for \S+: (\d+\.\d) (\w+)/.exec(text.stdout);
  if (overall === null) throw new Error(`no overall exposure in:\n${text.stdout}${text.stderr}`);
  const json = systemdTool("systemd-analyze", [...common, "--json=short", unitRoot.unitName]);
  const checks = JSON.parse(json.stdout) as SecurityCheck[];
  return {
    exposure: Number(overall[1]),
    rating: overall[2] ?? "",
    checks: new Map(checks.map((c) => [c.name, c.exposure ?? 0])),
    text: text.stdout,
  };
}
