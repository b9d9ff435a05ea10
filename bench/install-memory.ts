// Resident memory in each way the exporter is installed (support/install-ways.ts:
// npm start, the npm bin, the systemd unit, the container's entrypoint), each
// started exactly as its file says, on this host's /proc and /sys: at rest
// (scraped once a second for a while, as a busy Prometheus would) and after
// a load (1 and 8 connections, then with gzip, as the load section runs).
import fs from "node:fs";
import path from "node:path";
import { startExporter } from "../support/exporter-process.js";
import { installWays, type InstallWay } from "../support/install-ways.js";
import { runLoad, type LoadTool } from "./load.js";
import { treeResidentMemory } from "./processes.js";
import { scrapeSequentially } from "./scrape.js";
import { sleep } from "./stats.js";

export interface InstallMemory {
  readonly way: InstallWay;
  /** Bytes, after the paced scrapes. */
  readonly rest: number;
  /** Bytes, after the load. */
  readonly afterLoad: number;
  /** VmHWM at the end, bytes. */
  readonly peak: number;
}

export interface InstallMemoryOptions {
  readonly tool: LoadTool;
  readonly wrkPath: string;
  readonly pacedScrapes: number;
  readonly loadSeconds: number;
}

/**
 * What this machine lacks to start each way as its file says (the container's
 * /usr/bin/tini), said before the benchmark spends its first minute, not when
 * it reaches this section.
 */
export function missingForInstallWays(): string[] {
  return installWays().flatMap(({ name, command: [program = ""] }) => {
    if (!path.isAbsolute(program)) return [];
    try {
      fs.accessSync(program, fs.constants.X_OK);
      return [];
    } catch {
      const hint = path.basename(program) === "tini" ? " (apt-get install tini)" : "";
      return [`${name}: ${program} is not installed here${hint}`];
    }
  });
}

export async function measureInstallWays(
  options: InstallMemoryOptions,
  progress: (line: string) => void,
): Promise<InstallMemory[]> {
  const results: InstallMemory[] = [];
  for (const way of installWays()) {
    progress(`install ways: ${way.name}`);
    const exporter = await startExporter([], { command: way.command, env: { ...process.env, ...way.env } });
    const pid = exporter.process.pid ?? 0;
    const url = `${exporter.url}/metrics`;
    try {
      for (let i = 0; i < options.pacedScrapes; i++) {
        await scrapeSequentially(url, 1);
        await sleep(1000);
      }
      const rest = treeResidentMemory(pid).rss;
      for (const [connections, headers] of [
        [1, {}],
        [8, {}],
        [1, { "Accept-Encoding": "gzip" }],
      ] as const) {
        await runLoad(options.tool, url, connections, options.loadSeconds, headers, options.wrkPath);
      }
      const after = treeResidentMemory(pid);
      results.push({ way, rest, afterLoad: after.rss, peak: after.peak });
    } finally {
      await exporter.stop();
    }
  }
  return results;
}
