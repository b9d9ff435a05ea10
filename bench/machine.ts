// The machine the benchmark ran on, recorded with the results: numbers from a
// laptop, a shared CI runner and a quiet server are not comparable.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly kernel: string;
  readonly node: string;
  readonly loadAverage: string;
  readonly memory: string;
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    kernel: `${os.type()} ${os.release()} ${os.machine()}`,
    node: process.version,
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  };
}

function cpuModel(): string {
  try {
    const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
    if (model !== undefined) return model.trim();
  } catch {
    // Not Linux: fall through.
  }
  return os.cpus()[0]?.model ?? "unknown";
}

/** First line of `<command> --version`, or undefined when it cannot run. */
export function toolVersion(command: string, args: readonly string[] = ["--version"]): string | undefined {
  try {
    const out = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 5000 });
    return out.split("\n")[0]?.trim();
  } catch (error) {
    // wrk prints its version with a usage error on stdout and exits 1.
    const stdout = (error as { stdout?: unknown }).stdout;
    if (typeof stdout === "string" && stdout.trim() !== "") return stdout.split("\n")[0]?.trim();
    return undefined;
  }
}

/** The executable's path if it is on PATH (or given as a path that exists). */
export function which(command: string): string | undefined {
  if (command.includes("/")) return fs.existsSync(command) ? command : undefined;
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    const candidate = `${dir}/${command}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
