// npm run bench:binary [-- --scrapes N]
//
// Resident memory of the single binary (npm run build:binary, from the build cache) beside the npm
// build (node dist/main.js), each with default V8 flags and with NODE_OPTIONS=--max-semi-space-size=1:
// at rest, after one scrape and after N back-to-back scrapes of the memory run's tree (10 patches,
// a transition over 100 threads), and the peak of one textfile-mode run. Prints a Markdown table on
// stdout; progress on stderr. Measures; asserts nothing (the footprint targets are the bench's).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureBinary } from "../support/build-binary.js";
import { pathFlags, scratchDir } from "../support/trees.js";
import { MAIN, startExporter } from "../support/exporter-process.js";
import { syntheticTree } from "../support/synthetic-tree.js";
import { residentMemory } from "./processes.js";
import { SCALING_FLAGS } from "./scaling.js";
import { scrapeSequentially } from "./scrape.js";
import { sleep } from "./stats.js";

interface Row {
  readonly build: string;
  readonly flags: string;
  readonly rest: number;
  readonly oneScrape: number;
  readonly loaded: number;
  readonly peak: number;
  readonly textfilePeak: number | undefined;
}

const MiB = 1024 * 1024;

/** Peak resident memory of one textfile run, from GNU time (absent without /usr/bin/time). */
function textfilePeak(
  command: readonly string[],
  flags: readonly string[],
  env: NodeJS.ProcessEnv,
): number | undefined {
  if (!fs.existsSync("/usr/bin/time")) return undefined;
  const out = fs.mkdtempSync(path.join(scratchDir(), "textfile-"));
  const result = spawnSync("/usr/bin/time", ["-f", "%M", ...command, "textfile", "--output", out, ...flags], {
    encoding: "utf8",
    env,
  });
  const kib = Number(result.stderr.trim().split("\n").at(-1));
  return result.status === 0 && Number.isFinite(kib) ? kib * 1024 : undefined;
}

async function measure(
  build: string,
  command: readonly string[],
  nodeOptions: string,
  flags: readonly string[],
  scrapes: number,
): Promise<Row> {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  const exporter = await startExporter(flags, { command, env, timeoutMs: 30_000 });
  const pid = exporter.process.pid ?? 0;
  try {
    await sleep(2000);
    const rest = residentMemory(pid).rss;
    const url = `${exporter.url}/metrics`;
    await scrapeSequentially(url, 1);
    const oneScrape = residentMemory(pid).rss;
    await scrapeSequentially(url, scrapes);
    const after = residentMemory(pid);
    return {
      build,
      flags: nodeOptions === "" ? "default" : nodeOptions,
      rest,
      oneScrape,
      loaded: after.rss,
      peak: after.peak,
      textfilePeak: textfilePeak(command, flags, env),
    };
  } finally {
    await exporter.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scrapes: { type: "string", default: "2000" } } });
  const scrapes = Number(values.scrapes);
  const binary = await ensureBinary();
  process.stderr.write(`binary ${binary.cacheHit ? "from the cache" : "built"} in ${binary.seconds.toFixed(1)} s\n`);
  const flags = [...pathFlags(syntheticTree({ patches: 10, transitionThreads: 100 })), ...SCALING_FLAGS];
  const builds: [string, string[]][] = [
    ["single binary", [binary.binary]],
    ["npm (node dist/main.js)", [process.execPath, MAIN]],
  ];
  const rows: Row[] = [];
  for (const [build, command] of builds) {
    for (const nodeOptions of ["", "--max-semi-space-size=1"]) {
      process.stderr.write(`${build}, NODE_OPTIONS=${nodeOptions}: ${scrapes} scrapes\n`);
      rows.push(await measure(build, command, nodeOptions, flags, scrapes));
    }
  }
  const mib = (bytes: number | undefined): string => (bytes === undefined ? "n/a" : (bytes / MiB).toFixed(1));
  process.stdout.write(
    `Resident memory (MiB), Node.js ${process.version}, ${scrapes} scrapes of 10 patches and a transition over 100 threads\n\n` +
      `| Build | V8 flags | at rest | after 1 scrape | after ${scrapes} | peak | textfile run, peak |\n` +
      `|---|---|---|---|---|---|---|\n` +
      rows
        .map(
          (r) =>
            `| ${r.build} | ${r.flags} | ${mib(r.rest)} | ${mib(r.oneScrape)} | ${mib(r.loaded)} | ${mib(r.peak)} | ${mib(r.textfilePeak)} |`,
        )
        .join("\n") +
      "\n",
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
