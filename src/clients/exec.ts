// Runs one client command: an argument list (never a shell), with a deadline
// and an output cap. The command gets its own process group, so a timeout or
// an oversized output kills it together with anything it started (a wrapper
// script's children would otherwise keep the pipes open and the run alive).
//
// The run ends when the command exits: its output is what it printed by then
// plus what its descendants print within a short grace. A descendant that still
// holds the output pipes after that (one that left the process group with
// setsid, or a daemon the client started with inherited descriptors) is
// killed, the pipes are closed, and the run is the command's exit status, not
// a timeout.
import { spawn, type ChildProcess } from "node:child_process";
import { childOutputs, findPipeHolders, killAll, startTicks } from "./pipe-holders.js";

export type CommandOutcome =
  | {
      readonly kind: "exited";
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly stdout: string;
      readonly stderr: string;
      /** Processes that still held the output pipes after the grace, and were killed. */
      readonly lingering?: number;
    }
  | { readonly kind: "spawn_failed"; readonly code: string; readonly message: string }
  | { readonly kind: "timeout"; readonly stdout: string; readonly stderr: string }
  | { readonly kind: "too_large"; readonly bytes: number }
  | { readonly kind: "aborted" };

export interface RunCommandOptions {
  readonly timeoutMs: number;
  /** Bytes of stdout and stderr together above which the command is killed. */
  readonly maxOutputBytes: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills the command (shutdown). */
  readonly signal?: AbortSignal;
  /** Called with the pid once the command has started (tests watch it). */
  readonly onSpawn?: (pid: number) => void;
  /** How long after the command exited its descendants may still write to its output. */
  readonly pipeGraceMs?: number;
}

/** Long enough for a wrapper's last child to flush, short against any client interval. */
export const DEFAULT_PIPE_GRACE_MS = 500;

/** English, unlocalised messages: the failure texts are matched in English. */
export const COMMAND_ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANG: "C" };

export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      resolve({ kind: "spawn_failed", code: "EINVAL", message: "empty command" });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        detached: true, // its own process group, killed as a whole
        stdio: ["ignore", "pipe", "pipe"],
        env: options.env ?? COMMAND_ENV,
        shell: false,
      });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      resolve({ kind: "spawn_failed", code: err.code ?? "UNKNOWN", message: err.message });
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    // What identifies the command's descendants later, when it may be gone: its output pipes, its start time.
    const outputs = child.pid === undefined ? new Set<string>() : childOutputs(child.pid);
    const since = child.pid === undefined ? undefined : startTicks(child.pid);

    /** Kills the processes other than the group that hold the output; resolves to how many. */
    const killPipeHolders = async (): Promise<number> =>
      since === undefined ? 0 : killAll(await findPipeHolders(outputs, since));
    const killGroup = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // the group is already gone
        }
      }
      child.kill("SIGKILL");
      void killPipeHolders();
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const finish = (outcome: CommandOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      options.signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const onAbort = (): void => {
      killGroup();
      finish({ kind: "aborted" });
    };
    const timer = setTimeout(() => {
      killGroup();
      finish({ kind: "timeout", stdout: decode(stdout), stderr: decode(stderr) });
    }, options.timeoutMs);

    const collect =
      (into: Buffer[]) =>
      (chunk: Buffer): void => {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > options.maxOutputBytes) {
          killGroup();
          finish({ kind: "too_large", bytes });
          return;
        }
        into.push(chunk);
      };
    child.stdout?.on("data", collect(stdout));
    child.stderr?.on("data", collect(stderr));
    child.once("error", (error: NodeJS.ErrnoException) => {
      killGroup();
      finish({ kind: "spawn_failed", code: error.code ?? "UNKNOWN", message: error.message });
    });
    child.once("spawn", () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });
    // "close": the process exited and its pipes are drained (nothing else holds them).
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      finish({ kind: "exited", code, signal, stdout: decode(stdout), stderr: decode(stderr) });
    });
    // "exit" without "close" soon after: something the command started still holds its output.
    child.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      clearTimeout(timer); // the command is done; only the grace is left
      grace = setTimeout(() => {
        void killPipeHolders().then((lingering) => {
          if (child.pid !== undefined) {
            try {
              process.kill(-child.pid, "SIGKILL"); // leftovers in its group: the group outlives its leader
            } catch {
              // none left
            }
          }
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish({ kind: "exited", code, signal, stdout: decode(stdout), stderr: decode(stderr), lingering });
        });
      }, options.pipeGraceMs ?? DEFAULT_PIPE_GRACE_MS);
    });

    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** UTF-8 with replacement characters for invalid bytes: a client's odd byte is not an error. */
function decode(chunks: readonly Buffer[]): string {
  return new TextDecoder("utf-8").decode(Buffer.concat(chunks));
}
