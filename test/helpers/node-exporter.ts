// Debian's real node_exporter (package prometheus-node-exporter, installed by .ci/run) with only
// its textfile collector, reading a directory: what a host in textfile mode runs.
import { spawn } from "node:child_process";
import { freePort } from "./prometheus.js";
import { waitFor } from "./wait.js";

export const NODE_EXPORTER = "prometheus-node-exporter";

export interface RunningNodeExporter {
  readonly url: string;
  readonly logs: string[];
  stop(): Promise<void>;
}

export async function startNodeExporter(textfileDirectory: string): Promise<RunningNodeExporter> {
  const port = await freePort();
  const logs: string[] = [];
  const child = spawn(
    NODE_EXPORTER,
    [
      "--collector.disable-defaults",
      "--collector.textfile",
      `--collector.textfile.directory=${textfileDirectory}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const started = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error) =>
      reject(new Error(`${NODE_EXPORTER} is required (apt-get install prometheus-node-exporter): ${error.message}`)),
    );
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => logs.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const running: RunningNodeExporter = {
    url: `http://127.0.0.1:${port}`,
    logs,
    stop: async () => {
      process.removeListener("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
  try {
    await started;
    await waitFor("node_exporter to answer", async () => (await fetch(`${running.url}/metrics`)).ok, 15_000, 100);
  } catch (error) {
    await running.stop();
    throw new Error(`${String(error)}\n${logs.join("")}`);
  }
  return running;
}
