// Synthetic host trees for the scaling benchmark (bench/) and tests: the real "clean" capture
// (Debian 12, 6.1, with its root files) with /sys/kernel/livepatch replaced
// by N generated patches in the exact layout of the kernel interface
// reference §1.2 (6.1+ kernel: enabled, transition, force write-only and
// empty here, <object>/patched, empty "<function>,<sympos>" directories), and
// optionally a transition in progress over generated threads
// (/proc/<pid>/task/<tid>/patch_state and comm).
import fs from "node:fs";
import path from "node:path";
import { realKernelTree } from "./trees.js";

export interface SyntheticSpec {
  readonly patches: number;
  readonly objectsPerPatch?: number;
  readonly functionsPerObject?: number;
  /** Threads in /proc; when set, the last patch is in a patching transition. */
  readonly transitionThreads?: number;
  /** Threads per process in /proc (default 10). */
  readonly threadsPerProcess?: number;
  /** Every n-th thread still runs unpatched code and blocks the transition (default 10). */
  readonly blockingEvery?: number;
}

/** Builds the tree and returns its root (proc/, sys/ and the host's root files). */
export function syntheticTree(spec: SyntheticSpec): string {
  const root = realKernelTree("clean");
  const livepatch = path.join(root, "sys", "kernel", "livepatch");
  fs.rmSync(livepatch, { recursive: true, force: true });
  fs.mkdirSync(livepatch, { recursive: true });
  const names = patchNames(spec.patches);
  const inTransition = spec.transitionThreads === undefined ? undefined : names[names.length - 1];
  for (const name of names) writePatch(livepatch, name, spec, name === inTransition);
  writeModules(root, names);
  // Taint O, E and K, as any out-of-tree live patch module leaves it.
  fs.writeFileSync(path.join(root, "proc", "sys", "kernel", "tainted"), `${4096 + 8192 + 32768}\n`);
  if (spec.transitionThreads !== undefined) writeThreads(root, spec);
  return root;
}

/** Module names as Kbuild makes them (no dashes), sorted as listed. */
function patchNames(count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `lp_bench_${String(i + 1).padStart(width, "0")}`);
}

function writePatch(livepatch: string, name: string, spec: SyntheticSpec, transition: boolean): void {
  const dir = path.join(livepatch, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "enabled"), "1\n");
  fs.writeFileSync(path.join(dir, "transition"), transition ? "1\n" : "0\n");
  fs.writeFileSync(path.join(dir, "force"), "");
  fs.chmodSync(path.join(dir, "force"), 0o200);
  const objects = spec.objectsPerPatch ?? 3;
  const functions = spec.functionsPerObject ?? 5;
  for (let o = 0; o < objects; o++) {
    const object = path.join(dir, o === 0 ? "vmlinux" : `bench_mod_${o}`);
    fs.mkdirSync(object);
    fs.writeFileSync(path.join(object, "patched"), "1\n");
    for (let f = 0; f < functions; f++) fs.mkdirSync(path.join(object, `bench_fn_${f}.isra.0,${(f % 2) + 1}`));
  }
}

/** Every patch module loaded, tainted OEK, plus the objects' target modules. */
function writeModules(root: string, names: readonly string[]): void {
  const line = (name: string, taint: string): string => `${name} 16384 1 - Live 0x0000000000000000${taint}\n`;
  const targets = ["bench_mod_1", "bench_mod_2"].map((m) => line(m, ""));
  fs.writeFileSync(path.join(root, "proc", "modules"), [...names.map((n) => line(n, " (OEK)")), ...targets].join(""));
}

function writeThreads(root: string, spec: SyntheticSpec): void {
  const proc = path.join(root, "proc");
  // Drop the capture's own processes so the thread count is exactly the one asked for.
  for (const entry of fs.readdirSync(proc)) {
    if (/^\d+$/.test(entry)) fs.rmSync(path.join(proc, entry), { recursive: true, force: true });
  }
  const total = spec.transitionThreads ?? 0;
  const perProcess = spec.threadsPerProcess ?? 10;
  const blockingEvery = spec.blockingEvery ?? 10;
  for (let i = 0; i < total; i++) {
    const pid = 1000 + Math.floor(i / perProcess) * perProcess;
    const tid = 1000 + i;
    const task = path.join(proc, String(pid), "task", String(tid));
    fs.mkdirSync(task, { recursive: true });
    // Patching: 1 = switched to the patched code, 0 = still blocking.
    fs.writeFileSync(path.join(task, "patch_state"), i % blockingEvery === 0 ? "0\n" : "1\n");
    fs.writeFileSync(path.join(task, "comm"), `worker-${i % 97}\n`);
    fs.chmodSync(path.join(task, "patch_state"), 0o400);
  }
}
