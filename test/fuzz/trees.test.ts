// Property: whatever is wrong with the host's files, a scrape succeeds, the
// output is valid exposition text, collectors that do not read the damaged
// files report exactly what they report on the intact tree, and a damaged
// value is never reported as a number.
//
// fast-check generates damage to a real-kernel capture with a transition in
// progress (busy-stuck, with the Debian 12 root files): files and directories
// deleted, filled with garbage, binary data or more than the read cap, empty,
// turned into directories, symlink loops or dangling links, made unreadable,
// or removed between the listing of their directory and their read.
// Unreadable and vanishing are injected into node:fs (test/helpers/fault-fs.ts):
// the tests run as root, which reads mode-0000 files anyway.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { isClientName } from "../../src/clients/names.js";
import { INPUTS } from "../../src/derive/index.js";
import { COLLECTOR_NAMES, type CollectorName } from "../../src/registry.js";
import { DEFAULT_READ_CAP_BYTES } from "../../src/fs/read.js";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { METRIC_GROUPS } from "../../src/views/catalog.js";
import { parseExposition } from "../helpers/exposition.js";
import { injectFaults } from "../helpers/fault-fs.js";
import { snapshotSource } from "../helpers/collect.js";
import { serveApp } from "../helpers/app.js";
import { realKernelTree, scratchDir } from "../helpers/fixtures.js";
import { HANDMADE } from "../fixtures/handmade.js";
import { promtool } from "../helpers/promtool.js";

const RUNS = 60;
/** promtool is a process spawn per output: check one output in this many. */
const PROMTOOL_EVERY = 6;

const DAMAGE = [
  "delete",
  "garbage",
  "binary",
  "huge",
  "empty",
  "directory",
  "loop",
  "dangling",
  "unreadable",
  "vanish",
] as const;
type Damage = (typeof DAMAGE)[number];
/** Damage after which the value cannot be known (delete, dangling and vanish make it absent, which is normal). */
const CORRUPTING: ReadonlySet<Damage> = new Set([
  "garbage",
  "binary",
  "huge",
  "empty",
  "directory",
  "loop",
  "unreadable",
]);

interface Target {
  readonly path: string;
  readonly owner: CollectorName;
  /** A series that must be absent (never a made-up number) after corrupting damage, with a reason shown. */
  readonly series?: string;
}

const LP = "sys/kernel/livepatch";

/** Both paths are inside one patch's directory. */
function samePatch(a: string, b: string): boolean {
  const patchOf = (p: string): string | undefined => /^sys\/kernel\/livepatch\/[^/]+/.exec(p)?.[0];
  return patchOf(a) !== undefined && patchOf(a) === patchOf(b);
}
const FIXED_TARGETS: readonly Target[] = [
  { path: `${LP}/lp_busy/enabled`, owner: "livepatch", series: 'livepatch_patch_enabled{patch="lp_busy"}' },
  { path: `${LP}/lp_busy/transition`, owner: "livepatch", series: 'livepatch_patch_transition{patch="lp_busy"}' },
  {
    path: `${LP}/lp_busy/lp_busy_target/patched`,
    owner: "livepatch",
    series: 'livepatch_object_patched{patch="lp_busy",object="lp_busy_target"}',
  },
  { path: `${LP}/lp_busy/lp_busy_target`, owner: "livepatch" },
  { path: `${LP}/lp_busy`, owner: "livepatch" },
  { path: LP, owner: "livepatch" },
  { path: "proc/sys/kernel/tainted", owner: "taint", series: "livepatch_kernel_tainted{}" },
  { path: "proc/modules", owner: "modules" },
  { path: "proc/sys/kernel/modules_disabled", owner: "modules", series: "livepatch_modules_disabled{}" },
  { path: "sys/module/module/parameters/sig_enforce", owner: "modules", series: "livepatch_module_sig_enforce{}" },
  { path: "sys/kernel/security/lockdown", owner: "modules", series: 'livepatch_lockdown_mode{mode="none"}' },
  { path: "proc/sys/kernel/ftrace_enabled", owner: "modules", series: "livepatch_ftrace_enabled{}" },
  { path: "proc/sys/kernel/osrelease", owner: "kernel" },
  { path: "proc/sys/kernel/version", owner: "kernel" },
  { path: "proc/stat", owner: "kernel", series: "livepatch_boot_time_seconds{}" },
  { path: "boot/config-6.1.0-56-amd64", owner: "kernel" },
  { path: "usr/lib/os-release", owner: "kernel" },
  { path: "boot", owner: "kernel" },
  { path: "lib/modules", owner: "reboot" },
  { path: "run", owner: "reboot" },
  // The kernel log (--path.kmsg): a damaged one places no transition in time.
  {
    path: "dev/kmsg",
    owner: "kmsg",
    series: 'livepatch_kmsg_transition_start_timestamp_seconds{patch="lp_busy",direction="patching"}',
  },
];

/** Seconds and build details differ between runs whatever the damage. */
const VOLATILE = /^(livepatch_scrape_collector_duration_seconds|livepatch_exporter_build_info|process_|nodejs_)/;

let work = "";
let backupDir = "";
let targets: Target[] = [];
let baseline: ReadonlyMap<string, number>;
let affectedBy: ReadonlyMap<CollectorName, ReadonlySet<CollectorName>>;
let runCounter = 0;

/** Collectors that read the patch tree with the livepatch collector (ctx.shared). */
const TREE_READERS: readonly CollectorName[] = ["transition", "functions", "redirection", "probes"];

/** Whose output depends on a collector's facts: itself, those whose derived facts take it as an input, the
 * collectors that share the reading of the patch tree for the livepatch collector's files, and the probes
 * collector for ftrace's enabled_functions (read with the redirection collector). */
function dependents(): Map<CollectorName, Set<CollectorName>> {
  const inputs: Partial<Record<CollectorName, readonly CollectorName[]>> = INPUTS;
  const uses = (other: CollectorName, name: CollectorName): boolean =>
    (inputs[other] ?? []).includes(name) ||
    (TREE_READERS.includes(other) && name === "livepatch") ||
    (other === "probes" && name === "redirection");
  const result = new Map<CollectorName, Set<CollectorName>>();
  for (const name of COLLECTOR_NAMES) {
    const closure = new Set<CollectorName>([name]);
    for (let grew = true; grew;) {
      grew = false;
      for (const other of COLLECTOR_NAMES) {
        if (!closure.has(other) && [...closure].some((d) => uses(other, d))) {
          closure.add(other);
          grew = true;
        }
      }
    }
    result.set(name, closure);
  }
  return result;
}

async function scrape(root: string): Promise<{ status: number; body: string; snapshot: Snapshot | undefined }> {
  const source = snapshotSource(root, {
    enabled: COLLECTOR_NAMES.filter((name) => !isClientName(name)),
    transition: { blockingThreads: true },
  });
  let snapshot: Snapshot | undefined;
  const served = await serveApp(async () => (snapshot = await source.snapshot()));
  try {
    const response = await fetch(`${served.url}/metrics`);
    return { status: response.status, body: await response.text(), snapshot };
  } finally {
    await served.close();
  }
}

/** The collector a series belongs to: the view that declares it, or its collector label for the exporter's own. */
function collectorOf(key: string): CollectorName | undefined {
  const name = key.slice(0, key.indexOf("{"));
  const group = METRIC_GROUPS.find((g) => name in g.metrics)?.collector;
  if (group === undefined || group === "clients") return undefined; // no vendor client runs over these trees
  if (group !== "exporter") return group as CollectorName;
  return /collector="([a-z]+)"/.exec(key)?.[1] as CollectorName | undefined;
}

function stableSeries(series: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...series].filter(([key]) => !VOLATILE.test(key)));
}

function damage(root: string, target: Target, kind: Damage, garbage: string, bytes: Uint8Array): Set<string> {
  const file = path.join(root, target.path);
  const faults = new Set<string>();
  switch (kind) {
    case "delete":
      fs.rmSync(file, { recursive: true, force: true });
      break;
    case "garbage":
      replace(file, `\u0001${garbage}`);
      break;
    case "binary":
      replace(file, Buffer.concat([Buffer.from([0xff, 0x00]), bytes]));
      break;
    case "huge":
      replace(file, "9".repeat(DEFAULT_READ_CAP_BYTES + 1));
      break;
    case "empty":
      replace(file, "");
      break;
    case "directory":
      fs.rmSync(file, { recursive: true, force: true });
      fs.mkdirSync(file);
      break;
    case "loop":
      fs.rmSync(file, { recursive: true, force: true });
      fs.symlinkSync(path.basename(file), file);
      break;
    case "dangling":
      fs.rmSync(file, { recursive: true, force: true });
      fs.symlinkSync("does-not-exist", file);
      break;
    case "unreadable":
    case "vanish":
      faults.add(file);
      break;
  }
  return faults;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function replace(file: string, content: string | Uint8Array): void {
  fs.rmSync(file, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe("fuzz: damaged host trees", () => {
  before(async () => {
    work = realKernelTree("busy-stuck");
    backupDir = path.join(scratchDir(), "fuzz-backups");
    fs.mkdirSync(backupDir, { recursive: true });
    // Some threads' patch_state: the transition collector's files.
    const threads = fs
      .readdirSync(path.join(work, "proc"))
      .filter((pid) => /^\d+$/.test(pid))
      .flatMap((pid) => fs.readdirSync(path.join(work, "proc", pid, "task")).map((tid) => `proc/${pid}/task/${tid}`))
      .sort()
      .slice(0, 4);
    // The kthread's kernel stack and probes on the patched function (test/fixtures/handmade.ts "probed"),
    // for the opt-in collectors of patched functions, which run here too.
    for (const [file, content] of Object.entries(HANDMADE.probed.files)) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.writeFileSync(path.join(work, file), content);
    }
    targets = [
      ...FIXED_TARGETS,
      // Empty is a true state of these files (no traced function, no probe, no frame): no series to lose.
      { path: "sys/kernel/debug/tracing/enabled_functions", owner: "redirection" },
      { path: "sys/kernel/debug/kprobes/list", owner: "probes" },
      { path: "proc/110/task/110/stack", owner: "transition" },
      ...threads.map((dir) => ({
        path: `${dir}/patch_state`,
        owner: "transition" as const,
        series: 'livepatch_transition_blocking_threads{patch="lp_busy"}',
      })),
      { path: threads[0] ?? "proc/1/task/1", owner: "transition" },
    ];
    affectedBy = dependents();
    const intact = await scrape(work);
    assert.equal(intact.status, 200);
    baseline = stableSeries(parseExposition(intact.body).series);
    assert.ok(
      baseline.has('livepatch_transition_blocking_threads{patch="lp_busy"}'),
      "the base tree is mid-transition",
    );
  });

  it("the injected faults act as the kernel's would (examples)", async () => {
    const withFaults = async (denied: string[], vanishing: string[]): Promise<ReadonlyMap<string, number>> => {
      const restore = injectFaults({
        denied: new Set(denied.map((p) => path.join(work, p))),
        vanishing: new Set(vanishing.map((p) => path.join(work, p))),
      });
      const backup = path.join(backupDir, "example");
      fs.cpSync(path.join(work, LP), backup, { recursive: true });
      try {
        return parseExposition((await scrape(work)).body).series;
      } finally {
        restore();
        fs.rmSync(path.join(work, LP), { recursive: true, force: true });
        fs.renameSync(backup, path.join(work, LP));
      }
    };
    const unreadable = await withFaults(["sys/kernel/security/lockdown", "proc/1/task/1/patch_state"], []);
    assert.equal(unreadable.get('livepatch_fact_unavailable{name="lockdown",reason="unreadable"}'), 1);
    assert.equal(unreadable.has('livepatch_lockdown_mode{mode="none"}'), false);
    assert.equal(unreadable.get('livepatch_transition_threads{state="unreadable"}'), 1);
    assert.equal(
      unreadable.get('livepatch_fact_unavailable{name="transition_blocking_threads",reason="unreadable"}'),
      1,
    );
    assert.equal(unreadable.get('livepatch_scrape_collector_success{collector="modules"}'), 1);

    // A patch freed between the listing of /sys/kernel/livepatch and its reads is skipped, not an error.
    const vanished = await withFaults([], [`${LP}/lp_busy`]);
    assert.equal(vanished.get("livepatch_patches{}"), 0);
    assert.equal(vanished.get('livepatch_scrape_collector_success{collector="livepatch"}'), 1);
    assert.equal(vanished.get("livepatch_transition_in_progress{}"), 0);
  });

  const damageArb = fc.record({
    target: fc.nat(),
    kind: fc.constantFrom(...DAMAGE),
    garbage: fc.string({ maxLength: 200 }),
    bytes: fc.uint8Array({ maxLength: 200 }),
  });

  it(`${RUNS} generated trees: 200, valid text, only the damaged collectors change, no made-up values`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(damageArb, { minLength: 1, maxLength: 3 }), async (damages) => {
        const run = (runCounter += 1);
        // One damage per path (the last one generated wins).
        const byPath = new Map<string, { target: Target; kind: Damage; garbage: string; bytes: Uint8Array }>();
        for (const d of damages) {
          const target = targets[d.target % targets.length];
          // Kernel pseudo-files never change type: a sysfs attribute cannot become a directory.
          if (target === undefined || (d.kind === "directory" && /^(sys|proc)\//.test(target.path))) continue;
          byPath.set(target.path, { ...d, target });
        }
        // Damage below a damaged directory is moot (and could not be applied to a file).
        const applied = [...byPath.values()].filter(
          (d) => ![...byPath.keys()].some((other) => d.target.path.startsWith(`${other}/`)),
        );
        const denied = new Set<string>();
        const vanishing = new Set<string>();
        const backups: [original: string, backup: string | undefined][] = [];
        let result;
        try {
          for (const [index, d] of applied.entries()) {
            // Copying the whole tree per run is slow; back up what is damaged and put it back after.
            const original = path.join(work, d.target.path);
            const backup = path.join(backupDir, `${run}-${index}`);
            const exists = fs.existsSync(original) || isLink(original);
            if (exists)
              fs.cpSync(original, backup, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
            backups.push([original, exists ? backup : undefined]);
            const faults = damage(work, d.target, d.kind, d.garbage, d.bytes);
            for (const f of faults) (d.kind === "unreadable" ? denied : vanishing).add(f);
          }
          const restoreFs = injectFaults({ denied, vanishing });
          try {
            result = await scrape(work);
          } finally {
            restoreFs();
          }
        } finally {
          for (const [original, backup] of backups.reverse()) {
            fs.rmSync(original, { recursive: true, force: true });
            if (backup !== undefined) fs.renameSync(backup, original);
          }
        }
        assert.equal(fs.readdirSync(backupDir).length, 0, "every damaged path was put back");
        const what = applied.map((a) => `${a.kind} ${a.target.path}`).join(", ");
        assert.equal(result.status, 200, what);
        const exposition = parseExposition(result.body);
        if (run % PROMTOOL_EVERY === 0) {
          const lint = promtool(["check", "metrics"], result.body);
          assert.equal(lint.status, 0, `${what}\n${lint.output}`);
        }

        const affected = new Set(applied.flatMap((a) => [...(affectedBy.get(a.target.owner) ?? [])]));
        const actual = stableSeries(exposition.series);
        for (const name of COLLECTOR_NAMES) {
          if (affected.has(name)) continue;
          const mine = (series: ReadonlyMap<string, number>): string[] =>
            [...series].filter(([key]) => collectorOf(key) === name).map(([k, v]) => `${k} ${v}`);
          assert.deepEqual(mine(actual), mine(baseline), `${name} changed after: ${what}`);
        }
        const newExplanations = [...actual.keys()].filter(
          (key) =>
            !baseline.has(key) &&
            (key.startsWith("livepatch_scrape_collector_file_errors{") ||
              key.startsWith("livepatch_fact_unavailable{")),
        );
        for (const entry of applied) {
          const { target, kind } = entry;
          if (target.series === undefined || !CORRUPTING.has(kind)) continue;
          // Damage upstream (the patch's attributes for a thread's patch_state) may rightly remove it.
          const upstream = applied.some(
            (other) => other.target.owner !== target.owner && affectedBy.get(other.target.owner)?.has(target.owner),
          );
          if (upstream) continue;
          // A patch missing an attribute, or a missing parent directory, is a patch the kernel freed
          // (5.1+): dropping it is right, and its other series go with it, whatever else was damaged.
          const patchGone = applied.some(
            (other) =>
              other !== entry &&
              !CORRUPTING.has(other.kind) &&
              (target.path.startsWith(`${other.target.path}/`) || samePatch(other.target.path, target.path)),
          );
          if (patchGone) continue;
          assert.ok(!actual.has(target.series), `${target.series} reported after ${kind} ${target.path}`);
          const explained =
            actual.get(`livepatch_scrape_collector_success{collector="${target.owner}"}`) === 0 ||
            newExplanations.length > 0;
          assert.ok(explained, `nothing says why ${target.series} is missing after ${kind} ${target.path}`);
        }
        for (const run of result.snapshot?.runs ?? []) {
          if (!affected.has(run.name)) assert.equal(run.success, true, `${run.name}: ${run.error ?? ""} after ${what}`);
        }
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
});
