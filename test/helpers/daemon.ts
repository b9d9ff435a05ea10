// A server binary started for a test (Prometheus, Alertmanager): its stderr
// kept for error messages, ready when an URL answers, killed if the test
// process exits first, and stopped with SIGTERM (SIGKILL after 10 s).
import { spawn } from "node:child_process";
import { waitFor } from "./wait.js";

export interface RunningDaemon {
  readonly logs: string[];
  readonly stop: () => Promise<void>;
}

export async function startDaemon(
  command: string,
  args: readonly string[],
  readyUrl: string,
  timeoutMs = 30_000,
): Promise<RunningDaemon> {
  const logs: string[] = [];
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => logs.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const running: RunningDaemon = {
    logs,
    stop: async () => {
      process.removeListener("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
  try {
    await waitFor(`${command} to be ready`, async () => (await fetch(readyUrl)).ok, timeoutMs, 250);
  } catch (error) {
    await running.stop();
    throw new Error(`${String(error)}\n${logs.join("")}`);
  }
  return running;
}
