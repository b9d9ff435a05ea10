// npm run bench [-- --quick] [-- --update-doc] [-- --help]
//
// The one load and benchmark tool. Builds nothing itself (the npm script runs
// `npm run build` first), then measures the built exporter (dist/main.js, a
// separate process on loopback) and prints a Markdown report on stdout, or
// with --update-doc writes it into docs/performance.md; progress goes to stderr.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { describeMachine, toolVersion, which } from "./machine.js";
import { runCompare, type CompareResult } from "./compare.js";
import { MAX_CONNECTIONS, MAX_DURATION_SECONDS, runFlood, type FloodResult } from "./flood.js";
import { checkScrapeIo, type IoCheck } from "./io-check.js";
import type { LoadTool } from "./load.js";
import { runMemory, type MemoryResult } from "./memory.js";
import { measureInstallWays, missingForInstallWays, type InstallMemory } from "./install-memory.js";
import { measureOperations, type OperationCost } from "./operations.js";
import { report } from "./report.js";
import {
  dependencyFloorRss,
  NODE_EXPORTER_ARGS,
  nodeFloorRss,
  profileOursInto,
  startNodeExporter,
  startNodeFloor,
  STACK_FLOOR,
  STACK_FLOOR_ARGS,
  startOurs,
  type Target,
} from "./processes.js";
import { measureRuntimeGroups, type RuntimeGroupCost } from "./runtime-metrics.js";
import { runScaling, scalingCases, SCALING_FLAGS, type ScalingRow } from "./scaling.js";
import { profileScrapes, type ScrapeProfile } from "./scrape-profile.js";
import { pathFlags } from "../support/trees.js";
import { syntheticTree } from "../support/synthetic-tree.js";

const HELP = `Usage: npm run bench -- [options]

  --quick                  short run: 2 load rounds of 3 s, 30 scrapes per tree, 2,000 (and 15 paced) for memory
  --rounds N               load rounds per exporter and connection count (default 4)
  --duration S             seconds per load run (default 5)
  --scrapes N              timed scrapes per tree in the scaling run (default 200; a quarter for the
                           largest trees)
  --memory-scrapes N       back-to-back scrapes in the memory run (default 10000)
  --paced-scrapes N        scrapes one second apart in a fresh process, for memory (default 60; 0 skips)
  --sections LIST          comma-separated: load,scaling,profile,memory,install,runtime,io,ops,flood
                           (default all)
  --connections N          flood: connections at once (default 200, at most ${MAX_CONNECTIONS})
  --flood-duration S       flood: seconds per scenario (default 10, at most ${MAX_DURATION_SECONDS})
  --tool wrk|autocannon    load generator (default: wrk when on PATH, else autocannon)
  --node-exporter PATH     node_exporter binary (default: prometheus-node-exporter or node_exporter on PATH)
  --tmpdir DIR             where the synthetic trees go (default /dev/shm when writable: memory-backed,
                           like sysfs)
  --profile DIR            run our exporter under node --cpu-prof, one profile per process in DIR
                           (summarise one with: node --import tsx bench/profile-summary.ts FILE)
  --update-doc             write the report into docs/performance.md (between its markers) instead of stdout
`;

const SECTIONS = ["load", "scaling", "profile", "memory", "install", "runtime", "io", "ops", "flood"] as const;
const DOC = new URL("../docs/performance.md", import.meta.url);
const DOC_BEGIN = "<!-- BEGIN BENCHMARK RESULTS (npm run bench -- --update-doc) -->";
const DOC_END = "<!-- END BENCHMARK RESULTS -->";
type Section = (typeof SECTIONS)[number];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      duration: { type: "string" },
      scrapes: { type: "string" },
      "memory-scrapes": { type: "string" },
      "paced-scrapes": { type: "string" },
      sections: { type: "string", default: SECTIONS.join(",") },
      tool: { type: "string" },
      "node-exporter": { type: "string" },
      tmpdir: { type: "string" },
      profile: { type: "string" },
      connections: { type: "string" },
      "flood-duration": { type: "string" },
      "update-doc": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const quick = values.quick;
  const rounds = positive(values.rounds, quick ? 2 : 4, "--rounds");
  const durationSeconds = positive(values.duration, quick ? 3 : 5, "--duration");
  const scrapes = positive(values.scrapes, quick ? 30 : 200, "--scrapes");
  const memoryScrapes = positive(values["memory-scrapes"], quick ? 2000 : 10_000, "--memory-scrapes");
  const pacedScrapes =
    values["paced-scrapes"] === "0" ? 0 : positive(values["paced-scrapes"], quick ? 15 : 60, "--paced-scrapes");
  const sections = new Set(values.sections.split(",").map((s) => s.trim()) as Section[]);
  for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}`);
  const flood = {
    connections: positive(values.connections, 200, "--connections", MAX_CONNECTIONS),
    durationSeconds: positive(values["flood-duration"], quick ? 3 : 10, "--flood-duration", MAX_DURATION_SECONDS),
  };

  process.env["TMPDIR"] = values.tmpdir ?? memoryBackedTmp();
  if (values.profile !== undefined) profileOursInto(path.resolve(values.profile));
  if (values.tool !== undefined && values.tool !== "wrk" && values.tool !== "autocannon") {
    throw new Error(`--tool must be wrk or autocannon, not ${values.tool}`);
  }
  const wrk = which("wrk");
  const tool: LoadTool =
    values.tool === "autocannon" || (values.tool === undefined && wrk === undefined) ? "autocannon" : "wrk";
  if (tool === "wrk" && wrk === undefined) throw new Error("--tool wrk: wrk is not on PATH (apt-get install wrk)");
  const nodeExporter =
    values["node-exporter"] !== undefined
      ? which(values["node-exporter"])
      : (which("prometheus-node-exporter") ?? which("node_exporter"));
  if (values["node-exporter"] !== undefined && nodeExporter === undefined) {
    throw new Error(`--node-exporter ${values["node-exporter"]}: not found`);
  }
  if (sections.has("install")) {
    const missing = missingForInstallWays();
    if (missing.length > 0) {
      throw new Error(
        `install ways cannot all start here: ${missing.join("; ")}; or leave out the section with --sections`,
      );
    }
  }
  const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

  const machineBefore = describeMachine();
  const started = new Date();
  let compare: CompareResult | undefined;
  let scaling: ScalingRow[] | undefined;
  let memory: MemoryResult | undefined;
  let io: IoCheck | undefined;
  let floor: number | undefined;
  let operations: OperationCost[] | undefined;
  let floodResults: FloodResult[] | undefined;
  let install: InstallMemory[] | undefined;
  let runtime: RuntimeGroupCost[] | undefined;
  let profiles: { label: string; profile: ScrapeProfile }[] | undefined;
  let dependencyFloor: number | undefined;

  if (sections.has("io")) {
    progress("io: tracing one scrape in-process");
    io = await checkScrapeIo();
  }
  if (sections.has("load")) {
    floor = await nodeFloorRss();
    dependencyFloor = await dependencyFloorRss();
    const targets: Target[] = [await startOurs([])];
    try {
      if (nodeExporter === undefined) progress("load: node_exporter is not installed; measuring ours alone");
      else targets.push(await startNodeExporter(nodeExporter));
      targets.push(await startNodeFloor(await (await fetch(targets[0]?.url ?? "")).text()));
      targets.push(await startOurs(STACK_FLOOR_ARGS, STACK_FLOOR));
      compare = await runCompare(targets, { tool, wrkPath: wrk ?? "wrk", rounds, durationSeconds }, progress);
    } finally {
      for (const target of targets) await target.stop();
    }
  }
  if (sections.has("scaling")) {
    const cases = scalingCases(!quick);
    scaling = await runScaling(
      cases,
      (c) => (c.size >= 1000 ? Math.max(10, Math.ceil(scrapes / 4)) : scrapes),
      progress,
    );
  }
  if (sections.has("profile")) {
    profiles = [];
    const cases = [
      { label: "this host", flags: [] as string[], scrapes: quick ? 200 : 1000 },
      { label: "1,000 patches", flags: pathFlags(syntheticTree({ patches: 1000 })), scrapes: quick ? 5 : 20 },
      {
        label: "transition, 10,000 threads",
        flags: pathFlags(syntheticTree({ patches: 1, transitionThreads: 10_000 })),
        scrapes: quick ? 5 : 20,
      },
    ];
    for (const c of cases) {
      progress(`profile: ${c.label}, ${c.scrapes} scrapes in this process`);
      profiles.push({ label: c.label, profile: await profileScrapes([...c.flags, ...SCALING_FLAGS], c.scrapes) });
    }
  }
  if (sections.has("memory")) memory = await runMemory(memoryScrapes, pacedScrapes, progress);
  if (sections.has("install")) {
    install = await measureInstallWays(
      { tool, wrkPath: wrk ?? "wrk", pacedScrapes: quick ? 10 : 30, loadSeconds: quick ? 3 : durationSeconds },
      progress,
    );
  }
  if (sections.has("runtime")) runtime = await measureRuntimeGroups(progress);
  if (sections.has("ops")) {
    progress("ops: timing single file system operations");
    operations = await measureOperations();
  }
  if (sections.has("flood")) floodResults = await runFlood(flood, progress);

  const text = report({
    started,
    machine: machineBefore,
    loadAverageAfter: describeMachine().loadAverage,
    tool,
    toolVersion: tool === "wrk" ? toolVersion(wrk ?? "wrk", ["-v"])?.replace(/ Copyright.*$/, "") : autocannonVersion(),
    nodeExporter:
      nodeExporter === undefined
        ? undefined
        : { version: toolVersion(nodeExporter) ?? "unknown version", args: NODE_EXPORTER_ARGS },
    settings: { rounds, durationSeconds, scrapes, memoryScrapes, tmpdir: os.tmpdir(), quick, flood },
    compare,
    scaling,
    memory,
    io,
    nodeFloorRss: floor,
    dependencyFloorRss: dependencyFloor,
    install,
    runtime,
    profiles,
    operations,
    flood: floodResults,
  });
  if (values["update-doc"]) {
    updateDoc(text);
    progress("wrote docs/performance.md");
  } else {
    process.stdout.write(text);
  }
  if (floodResults?.some((r) => r.errors > 0 || r.timeouts > 0)) process.exitCode = 1;
}

/** Replaces the results block of docs/performance.md, keeping the text around it (pino's update-bench-doc). */
function updateDoc(results: string): void {
  const doc = fs.readFileSync(DOC, "utf8");
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin === -1 || end === -1) throw new Error("docs/performance.md lacks the results markers");
  fs.writeFileSync(DOC, `${doc.slice(0, begin + DOC_BEGIN.length)}\n\n${results}\n${doc.slice(end)}`);
}

function positive(value: string | undefined, fallback: number, flag: string, max = Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > max) {
    throw new Error(`${flag} must be a positive integer${max === Infinity ? "" : `, at most ${max}`}`);
  }
  return n;
}

/** /dev/shm when it is a writable directory, else the system's temporary directory. */
function memoryBackedTmp(): string {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

function autocannonVersion(): string {
  const pkg = JSON.parse(
    fs.readFileSync(new URL("../node_modules/autocannon/package.json", import.meta.url), "utf8"),
  ) as { version?: string };
  return `autocannon ${pkg.version ?? "?"}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
