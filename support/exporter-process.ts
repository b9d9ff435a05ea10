// Starts the real exporter process (the built dist/main.js, as users run it)
// on a loopback port chosen by the kernel, and stops it again.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export interface RunningExporter {
  readonly url: string;
  readonly process: ChildProcess;
  /** Every log line so far (JSON). */
  readonly logs: string[];
  /** The exit code, once the process has exited. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Exporters still running: none outlives the test process, whatever happens to it. */
const alive = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

export async function startExporter(
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    command?: readonly string[];
    /** Run as this user and group (the tests run as root; 65534 is nobody). */
    uid?: number;
    gid?: number;
    cwd?: string;
  } = {},
): Promise<RunningExporter> {
  const [command, ...prefix] = options.command ?? [process.execPath, MAIN];
  if (command === undefined) throw new Error("no command");
  const child = spawn(command, [...prefix, "--web.listen-address=127.0.0.1:0", "--log.format=json", ...args], {
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  alive.add(child);
  void exited.then(() => alive.delete(child));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: its pipes would keep the test process from ever ending.
      child.kill("SIGKILL");
      reject(new Error(`exporter did not start:\n${logs.join("\n")}`));
    }, options.timeoutMs ?? 10_000);
    let buffered = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        logs.push(line);
        const address = listeningAddress(line);
        if (address !== undefined) {
          clearTimeout(timer);
          resolve(address);
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  return {
    url,
    process: child,
    logs,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** The base URL from the "listening" log line: https:// when TLS is on. */
function listeningAddress(line: string): string | undefined {
  try {
    const record = JSON.parse(line) as { msg?: unknown; address?: unknown; tls?: unknown };
    if (record.msg !== "listening" || typeof record.address !== "string") return undefined;
    return `${record.tls === true ? "https" : "http"}://${record.address}`;
  } catch {
    return undefined;
  }
}
