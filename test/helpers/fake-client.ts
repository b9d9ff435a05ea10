// Fake vendor client executables written by the tests: POSIX sh scripts that
// print a captured output, exit non-zero, hang (with a child, like a wrapper
// script), leave a child behind that escaped with setsid, or print megabytes. Each records its pid (and a hanging one its
// child's) and its arguments, so tests can check what ran and what was killed.
import fs from "node:fs";
import path from "node:path";
import { scratchDir } from "./fixtures.js";

export interface FakeBehaviour {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exit?: number;
  /** Sleep this many seconds before printing. */
  readonly delaySeconds?: number;
  /** Never finish: start a child that sleeps and wait for it. */
  readonly hang?: boolean;
  /** Print this many bytes ("x") to stdout. */
  readonly printBytes?: number;
  /** Print "y" lines until killed. */
  readonly printForever?: boolean;
  /** Leave behind a child in a session of its own (setsid) that keeps stdout open and sleeps; then exit. */
  readonly escape?: boolean;
}

export interface FakeClient {
  readonly path: string;
  readonly dir: string;
  /** Pids the script and its children wrote, in order. */
  pids(): number[];
  /** The session id of the child left behind by `escape` (NaN if none). */
  escapedSession(): number;
  /** The argument strings of every call, in order. */
  calls(): string[];
}

let counter = 0;

/**
 * Writes an executable named `name` in a fresh directory. `behaviours` maps
 * the joined arguments ("status --format json") to what to do; "*" is the default.
 */
export function fakeClient(name: string, behaviours: Readonly<Record<string, FakeBehaviour>>): FakeClient {
  const dir = path.join(scratchDir(), `fake-client-${(counter += 1)}`);
  fs.mkdirSync(dir, { recursive: true });
  const cases = Object.entries(behaviours).map(([args, behaviour], index) => {
    const body: string[] = [];
    if (behaviour.delaySeconds !== undefined) body.push(`sleep ${behaviour.delaySeconds}`);
    if (behaviour.stdout !== undefined) {
      fs.writeFileSync(path.join(dir, `${index}.out`), behaviour.stdout);
      body.push(`cat "$dir/${index}.out"`);
    }
    if (behaviour.stderr !== undefined) {
      fs.writeFileSync(path.join(dir, `${index}.err`), behaviour.stderr);
      body.push(`cat "$dir/${index}.err" >&2`);
    }
    if (behaviour.printBytes !== undefined) body.push(`head -c ${behaviour.printBytes} /dev/zero | tr '\\0' x`);
    if (behaviour.printForever === true) body.push("yes");
    if (behaviour.hang === true) body.push(`sleep 1000 &`, `echo $! >> "$dir/pids"`, "wait");
    if (behaviour.escape === true) {
      // The child records its session and its own pid (setsid may have forked), then becomes the sleeper.
      body.push(
        `setsid sh -c 'cut -d" " -f6 /proc/$$/stat > "$1/session"; echo $$ >> "$1/pids"; exec sleep 1000' escaped "$dir" &`,
      );
      body.push(`while [ "$(wc -l < "$dir/pids")" -lt 2 ]; do sleep 0.01; done`);
    }
    body.push(`exit ${behaviour.exit ?? 0}`);
    const pattern = args === "*" ? "*" : `'${args}'`;
    return `  ${pattern})\n    ${body.join("\n    ")}\n    ;;`;
  });
  const script = [
    "#!/bin/sh",
    `dir='${dir}'`,
    `echo $$ >> "$dir/pids"`,
    `echo "$*" >> "$dir/calls"`,
    `case "$*" in`,
    ...cases,
    "esac",
    "",
  ].join("\n");
  const file = path.join(dir, name);
  fs.writeFileSync(file, script, { mode: 0o755 });
  const readLines = (file: string): string[] => {
    try {
      return fs
        .readFileSync(path.join(dir, file), "utf8")
        .split("\n")
        .filter((l) => l !== "");
    } catch {
      return [];
    }
  };
  return {
    path: file,
    dir,
    pids: () => readLines("pids").map(Number),
    escapedSession: () => Number(readLines("session")[0]),
    calls: () => readLines("calls"),
  };
}

/** A process that exists and is not a zombie (a killed child of init may linger as one). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
