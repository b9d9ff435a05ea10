// The ways the exporter is installed and started, each read from the file
// that defines it, so that the benchmark measures (and a test checks) exactly
// what users run: `npm start` (package.json), the npm bin (dist/main.js run by
// its "#!" line, what `npm install -g` links into /usr/local/bin), the
// systemd unit (its ExecStart is that bin, with the unit's Environment=), and
// the container (the Dockerfile's ENTRYPOINT and ENV, with /app mapped to
// this checkout). Each passes FOOTPRINT_FLAGS to node.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { MAIN } from "./exporter-process.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The V8 and Node.js flags that keep the process small (docs/performance.md,
 * "Memory"): a 1 MB semi-space and V8's memory-over-speed heuristics, V8
 * without background threads, and one platform worker thread. Only the first
 * and the last are accepted in NODE_OPTIONS; none may be set with
 * v8.setFlagsFromString once V8 runs (--single-threaded then crashes the GC).
 */
export const FOOTPRINT_FLAGS = [
  "--max-semi-space-size=1",
  "--optimize-for-size",
  "--single-threaded",
  "--v8-pool-size=1",
] as const;

export interface InstallWay {
  readonly name: string;
  /** Where the command comes from. */
  readonly source: string;
  /** The command and its arguments; the exporter's own flags go after them. */
  readonly command: readonly string[];
  /** Variables added to the environment. */
  readonly env: Readonly<Record<string, string>>;
}

export function installWays(): InstallWay[] {
  const bin = binCommand();
  return [
    {
      name: "npm start",
      source: "package.json scripts.start",
      // npm runs a script with sh -c, the arguments after `--` appended.
      command: ["sh", "-c", `exec ${startScript()} "$@"`, "sh"],
      env: {},
    },
    { name: "npm bin (npm install -g)", source: "dist/main.js #! line", command: bin, env: {} },
    {
      name: "systemd unit",
      source: "deploy/systemd/livepatch_exporter.service",
      command: bin,
      env: unitEnvironment(),
    },
    {
      name: "container",
      source: "deploy/container/Dockerfile",
      command: containerEntrypoint(),
      env: containerEnvironment(),
    },
  ];
}

function read(relative: string): string {
  return fs.readFileSync(new URL(relative, `file://${ROOT}`), "utf8");
}

export function startScript(): string {
  const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
  const script = pkg.scripts["start"];
  if (script === undefined) throw new Error("package.json has no start script");
  return script;
}

/** How the kernel runs dist/main.js: the interpreter of its "#!" line, with the rest of the line as one argument. */
export function binCommand(): string[] {
  const first = fs.readFileSync(MAIN, "utf8").split("\n", 1)[0] ?? "";
  if (!first.startsWith("#!")) throw new Error(`${MAIN} has no #! line`);
  const line = first.slice(2).trim();
  const space = line.indexOf(" ");
  return space === -1 ? [line, MAIN] : [line.slice(0, space), line.slice(space + 1).trim(), MAIN];
}

/** The unit's Environment= assignments. */
export function unitEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of read("deploy/systemd/livepatch_exporter.service").split("\n")) {
    const match = /^Environment=(.*)$/.exec(line.trim());
    if (match === null) continue;
    for (const assignment of (match[1] ?? "").match(/"[^"]*"|\S+/g) ?? []) {
      const unquoted = assignment.replace(/^"|"$/g, "");
      const equals = unquoted.indexOf("=");
      if (equals > 0) env[unquoted.slice(0, equals)] = unquoted.slice(equals + 1);
    }
  }
  return env;
}

/** The Dockerfile's last stage, instruction by instruction (continuation lines joined). */
function runtimeStage(): string[] {
  const instructions = read("deploy/container/Dockerfile")
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  const lastFrom = instructions.map((line) => /^FROM\b/i.test(line)).lastIndexOf(true);
  return instructions.slice(lastFrom);
}

/** ENTRYPOINT (exec form), with the image's /app mapped to this checkout. */
export function containerEntrypoint(): string[] {
  const entrypoint = runtimeStage()
    .filter((line) => /^ENTRYPOINT\b/i.test(line))
    .at(-1);
  if (entrypoint === undefined) throw new Error("the Dockerfile has no ENTRYPOINT");
  const words = JSON.parse(entrypoint.replace(/^ENTRYPOINT\s+/i, "")) as string[];
  return words.map((word) => (word.startsWith("/app/") ? `${ROOT}${word.slice("/app/".length)}` : word));
}

/** ENV of the runtime stage (KEY=value forms). */
export function containerEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of runtimeStage()) {
    const match = /^ENV\s+(.*)$/i.exec(line);
    if (match === null) continue;
    for (const assignment of (match[1] ?? "").match(/\w+=("[^"]*"|\S+)/g) ?? []) {
      const equals = assignment.indexOf("=");
      env[assignment.slice(0, equals)] = assignment.slice(equals + 1).replace(/^"|"$/g, "");
    }
  }
  return env;
}
