// Host templates from the golden files (test/golden/*.prom: what the real
// exporter prints for real and hand-made kernel trees), completed with the
// families the golden files leave out (captured from the built exporter), and
// the edits that move a host from one state to another. The golden files are
// read as data; nothing here imports test code.
import fs from "node:fs";
import path from "node:path";
import { TAINT_FLAGS } from "../../src/parse/taint.js";
import { COLLECTORS } from "../../src/registry.js";
import type { Captured } from "./capture.js";
import { parseExposition } from "./exposition.js";
import { HostMetrics, type ModelFamily, type ModelSample, type Motion } from "./metrics.js";

/** The golden files the fleet is made of: five kinds of host, and two states other hosts pass through. */
export const GOLDEN = {
  debian: "basic-enabled",
  ubuntu: "kernel-6.14",
  rhel: "distro-taint",
  ubuntuOld: "kernel-4.15",
  noModules: "no-modules",
  transition: "busy-stuck",
  reboot: "reboot-required",
} as const;
export type Os = "debian" | "ubuntu" | "rhel" | "ubuntuOld" | "noModules";

export interface Templates {
  readonly base: Readonly<Record<Os, HostMetrics>>;
  readonly transition: HostMetrics;
  readonly reboot: HostMetrics;
  readonly captured: Captured;
  /** Series per golden host, livepatch_* only, as the golden file has them. */
  readonly goldenSeries: Readonly<Record<string, number>>;
}

export function loadTemplates(goldenDir: string, captured: Captured): Templates {
  const read = (name: string): HostMetrics =>
    HostMetrics.of(parseExposition(fs.readFileSync(path.join(goldenDir, `${name}.prom`), "utf8")));
  const goldenSeries = Object.fromEntries(
    fs
      .readdirSync(goldenDir)
      .filter((f) => f.endsWith(".prom"))
      .map((f) => [f.replace(/\.prom$/, ""), read(f.replace(/\.prom$/, "")).sampleCount]),
  );
  const complete = (m: HostMetrics): HostMetrics => withExporterFamilies(m, captured);
  return {
    base: {
      debian: complete(read(GOLDEN.debian)),
      ubuntu: complete(quietKernelLog(withoutPatch(read(GOLDEN.ubuntu), "lp_basic"))),
      rhel: complete(noRebootPending(read(GOLDEN.rhel))),
      ubuntuOld: complete(read(GOLDEN.ubuntuOld)),
      noModules: complete(read(GOLDEN.noModules)),
    },
    transition: read(GOLDEN.transition),
    reboot: read(GOLDEN.reboot),
    captured,
    goldenSeries,
  };
}

/** The build info, one duration per collector that ran, and the runtime families. */
function withExporterFamilies(m: HostMetrics, captured: Captured): HostMetrics {
  const collectors = m.samplesOf("livepatch_scrape_collector_success").map((s) => s.labels["collector"] ?? "");
  const durations: ModelSample[] = collectors.map((collector) => {
    const seen = captured.durations.samples.find((s) => s.labels["collector"] === collector);
    return {
      name: captured.durations.name,
      labels: { collector },
      value: seen?.value ?? 0.001,
      motion: { kind: "jitter", spread: 0.5 },
    };
  });
  const runtime = captured.runtime.map((family) => ({
    ...family,
    samples: family.samples.map((s): ModelSample => (isCpuCounter(s.name) ? { ...s, motion: cpuMotion(s.name) } : s)),
  }));
  return HostMetrics.of([captured.buildInfo, { ...captured.durations, samples: durations }, ...m.all(), ...runtime]);
}

const isCpuCounter = (name: string): boolean => /^process_cpu_(user_|system_)?seconds_total$/.test(name);

/** About 2 ms of CPU per second (a scrape every 30 s and the event loop's own work). */
function cpuMotion(name: string): Motion {
  const share = name.includes("user") ? 0.0013 : name.includes("system") ? 0.0007 : 0.002;
  return { kind: "counter", perSecond: share };
}

/**
 * The host without one of its patches, as if it had never been loaded. The
 * kernel-6.14 golden file stacks the lab's lp_basic under Canonical's
 * cumulative patch (replace=1) to exercise stacking; an Ubuntu host patched by
 * Canonical Livepatch carries that one patch, each new one replacing the last.
 */
function withoutPatch(m: HostMetrics, patch: string): HostMetrics {
  const order = m.value("livepatch_patch_stack_order", { patch });
  if (order === undefined) throw new Error(`the template has no patch ${patch}`);
  const kept = HostMetrics.of(
    m.all().map((f) => ({
      ...f,
      samples: f.samples.filter((s) => s.labels["patch"] !== patch && s.labels["module"] !== patch),
    })),
  );
  const less = (s: ModelSample): ModelSample | undefined => (s.value > 1 ? { ...s, value: s.value - 1 } : undefined);
  return kept
    .map("livepatch_patches", (s) => ({ ...s, value: s.value - 1 }))
    .map("livepatch_modules_loaded", (s) => ({ ...s, value: s.value - 1 }))
    .map("livepatch_modules_tainted", less)
    .map("livepatch_patch_stack_order", (s) => (s.value > order ? { ...s, value: s.value - 1 } : s));
}

const NOISY_EVENTS = ["forcing", "apply_failed", "module_refused"];

/**
 * A quiet kernel log. The kernel-6.14 golden file's log was made to exercise
 * the kmsg collector: a forced transition and a refused module load. As the
 * template of every Ubuntu host it would give 30% of the fleet a transition
 * forced since boot (LivepatchTransitionForced firing for each, three thousand
 * alerts at 10,000 hosts). A few hosts get one from the plan instead
 * (withForcedTransition).
 */
function quietKernelLog(m: HostMetrics): HostMetrics {
  return m
    .map("livepatch_kmsg_events_total", (s) => (NOISY_EVENTS.includes(s.labels["event"] ?? "") ? undefined : s))
    .map("livepatch_kmsg_patch_forced", (s) => ({ ...s, value: 0 }))
    .without("livepatch_kmsg_refused_module_loads_total", "livepatch_kmsg_last_refused_module_load_timestamp_seconds");
}

/** Someone forced the transition of the host's first patch (echo 1 > force): the kernel log says so until boot. */
export function withForcedTransition(m: HostMetrics): HostMetrics {
  const patch = m.samplesOf("livepatch_kmsg_patch_forced")[0]?.labels["patch"];
  if (patch === undefined) return m;
  const forcing = { event: "forcing", patch };
  const counted = m.value("livepatch_kmsg_events_total", forcing);
  const next = m.set("livepatch_kmsg_patch_forced", { patch }, 1);
  return counted === undefined
    ? next.add("livepatch_kmsg_events_total", [{ name: "livepatch_kmsg_events_total", labels: forcing, value: 1 }])
    : next.set("livepatch_kmsg_events_total", forcing, counted + 1);
}

/** A host whose newer kernel is not installed yet: every reason 0, the newest installed is the running one. */
function noRebootPending(m: HostMetrics): HostMetrics {
  const release = runningRelease(m);
  return m
    .map("livepatch_reboot_required", (s) => ({ ...s, value: 0 }))
    .without("livepatch_reboot_required_packages", "livepatch_reboot_required_timestamp_seconds")
    .map("livepatch_kernel_newest_installed_info", (s) => ({ ...s, labels: { release } }));
}

export function runningRelease(m: HostMetrics): string {
  const release = m.samplesOf("livepatch_kernel_info")[0]?.labels["release"];
  if (release === undefined) throw new Error("a template without livepatch_kernel_info");
  return release;
}

/** The release `steps` updates away: the first number after the first dash, minus `steps` (negative: newer). */
export function releaseAt(release: string, steps: number): string {
  return release.replace(/-(\D*)(\d+)/, (_whole, prefix: string, digits: string) => {
    return `-${prefix}${Math.max(1, Number(digits) - steps)}`;
  });
}

/** The host runs a release `lag` updates behind the template's. */
export function withKernelLag(m: HostMetrics, lag: number): HostMetrics {
  const release = runningRelease(m);
  return m.replaceLabelText(release, releaseAt(release, lag));
}

const TAINT = "livepatch_kernel_taint_flag";
const MASK = "livepatch_kernel_tainted";
const letter = (l: string) => {
  const flag = TAINT_FLAGS.find((f) => f.letter === l);
  if (flag === undefined) throw new Error(`no taint flag ${l}`);
  return flag;
};

/**
 * Sets taint flags: the mask, and the flag's series — added, as the exporter
 * emits only set bits, or set to 1 where the golden file has a series for every
 * bit (the exporter's output before it did).
 */
export function withTaint(m: HostMetrics, letters: readonly string[]): HostMetrics {
  let next = m;
  for (const l of letters) {
    const flag = letter(l);
    const mask = next.value(MASK) ?? 0;
    if (Math.floor(mask / 2 ** flag.bit) % 2 === 1) continue;
    next = next.set(MASK, {}, mask + 2 ** flag.bit);
    next =
      next.value(TAINT, { flag: l }) === undefined
        ? next.add(TAINT, [
            { name: TAINT, labels: { bit: String(flag.bit), flag: flag.letter, name: flag.name }, value: 1 },
          ])
        : next.set(TAINT, { flag: l }, 1);
  }
  return next;
}

/** Clears taint flags (a host that never loaded a live patch since boot), in the golden file's style. */
function withoutTaint(m: HostMetrics, letters: readonly string[]): HostMetrics {
  let next = m;
  const everyBit = m.samplesOf(TAINT).some((s) => s.value === 0);
  for (const l of letters) {
    const flag = letter(l);
    const mask = next.value(MASK) ?? 0;
    if (Math.floor(mask / 2 ** flag.bit) % 2 === 0) continue;
    next = next
      .set(MASK, {}, mask - 2 ** flag.bit)
      .map(TAINT, (s) => (s.labels["flag"] !== l ? s : everyBit ? { ...s, value: 0 } : undefined));
  }
  return next;
}

export const LIVEPATCH_TAINT = ["K", "O", "E"] as const;

const PATCH_FAMILIES = [
  "livepatch_patches",
  "livepatch_patch_enabled",
  "livepatch_patch_transition",
  "livepatch_patch_replace",
  "livepatch_patch_stack_order",
  "livepatch_patch_state",
  "livepatch_object_patched",
  "livepatch_object_functions",
];
/** Every family of the transition collector, as its view declares them. */
const TRANSITION_FAMILIES = Object.keys(COLLECTORS.transition.view.metrics);

/** No live patch loaded since boot: no patch series, no K, O or E. */
export function unpatched(m: HostMetrics): HostMetrics {
  const patches = m.value("livepatch_patches") ?? 0;
  return (
    withoutTaint(m, LIVEPATCH_TAINT)
      .without(...PATCH_FAMILIES.slice(1))
      .set("livepatch_patches", {}, 0)
      // Only the letters some module carries have a series.
      .map("livepatch_modules_tainted", (s) => (["K", "O", "E"].includes(s.labels["flag"] ?? "") ? undefined : s))
      .map("livepatch_modules_loaded", (s) => ({ ...s, value: Math.max(0, s.value - patches) }))
  );
}

/** A new patch switching threads (from the golden host stuck in transition). */
export function inTransition(m: HostMetrics, t: Templates): HostMetrics {
  return withTaint(m.from(t.transition, [...PATCH_FAMILIES, ...TRANSITION_FAMILIES]), LIVEPATCH_TAINT);
}

/** A reboot pending since `since` (seconds): the golden reboot-required host's reasons, a newer kernel installed. */
export function rebootPending(m: HostMetrics, t: Templates, since: number, debianLike: boolean): HostMetrics {
  const newer = releaseAt(runningRelease(m), -1);
  const reasons = debianLike ? ["reboot_required_file", "newer_kernel_installed"] : ["newer_kernel_installed"];
  const timestamps: ModelSample[] = reasons.map((reason) => ({
    name: "livepatch_reboot_required_timestamp_seconds",
    labels: { reason },
    value: since,
  }));
  let next = m
    .map("livepatch_reboot_required", (s) => ({ ...s, value: reasons.includes(s.labels["reason"] ?? "") ? 1 : 0 }))
    .map("livepatch_kernel_newest_installed_info", (s) => ({ ...s, labels: { release: newer } }))
    .add("livepatch_reboot_required_timestamp_seconds", timestamps);
  if (debianLike) next = next.from(t.reboot, ["livepatch_reboot_required_packages"]);
  if (next.get("livepatch_client_up") !== undefined) {
    next = next.add("livepatch_reboot_can_wait", [
      { name: "livepatch_reboot_can_wait", labels: { client: "canonical_livepatch" }, value: 1 },
    ]);
  }
  return next;
}

/** /sys/kernel/livepatch vanished: the livepatch and transition collectors fail, readiness is unknown. */
export function sysfsGone(m: HostMetrics): HostMetrics {
  return m
    .map("livepatch_scrape_collector_success", (s) =>
      ["livepatch", "transition"].includes(s.labels["collector"] ?? "") ? { ...s, value: 0 } : s,
    )
    .without(
      "livepatch_sysfs_present",
      "livepatch_modules_without_patch",
      "livepatch_module_without_patch",
      "livepatch_ready",
      ...PATCH_FAMILIES,
      ...TRANSITION_FAMILIES,
    )
    .map("livepatch_ready_check", (s) => (s.labels["check"] === "sysfs_present" ? undefined : s));
}

/** kernel.modules_disabled=1: no module, so no live patch, can be loaded until reboot. */
export function modulesDisabled(m: HostMetrics): HostMetrics {
  return m
    .set("livepatch_modules_disabled", {}, 1)
    .set("livepatch_ready_check", { check: "modules_not_disabled" }, 0)
    .set("livepatch_ready", {}, 0);
}

/** Canonical Livepatch installed (its collector's families), covering the kernel until `coverageEnd`. */
export function withCanonical(m: HostMetrics, t: Templates, coverageEnd: number): HostMetrics {
  const families: ModelFamily[] = t.captured.canonical.map((family) => ({
    ...family,
    samples: family.samples.map((s): ModelSample => {
      if (s.name === "livepatch_client_coverage_end_timestamp_seconds") return { ...s, value: coverageEnd };
      if (s.name === "livepatch_client_last_run_timestamp_seconds")
        return { ...s, motion: { kind: "last-step", every: 300 } };
      if (s.name === "livepatch_client_runs_total" && s.labels["result"] === "success")
        return { ...s, motion: { kind: "steps", every: 300 } };
      if (s.name === "livepatch_client_last_run_duration_seconds")
        return { ...s, motion: { kind: "jitter", spread: 0.3 } };
      return s;
    }),
  }));
  const took = t.captured.durations.samples.find((s) => s.labels["collector"] === "canonical_livepatch")?.value;
  return m
    .with(...families)
    .add("livepatch_scrape_collector_success", [
      { name: "livepatch_scrape_collector_success", labels: { collector: "canonical_livepatch" }, value: 1 },
    ])
    .add("livepatch_scrape_collector_duration_seconds", [
      {
        name: "livepatch_scrape_collector_duration_seconds",
        labels: { collector: "canonical_livepatch" },
        value: took ?? 0.0002,
        motion: { kind: "jitter", spread: 0.5 },
      },
    ]);
}

/** The client's daemon is unreachable: its last run failed, so only its run counters and the error remain. */
export function canonicalFailing(m: HostMetrics): HostMetrics {
  const keep = ["livepatch_client_run_interval_seconds", "livepatch_client_last_run_timestamp_seconds"];
  const dropped = m
    .all()
    .filter(
      (f) =>
        f.name.startsWith("livepatch_client_") && !keep.includes(f.name) && f.name !== "livepatch_client_runs_total",
    )
    .map((f) => f.name);
  return m
    .without(...dropped, "livepatch_reboot_can_wait")
    .map("livepatch_client_runs_total", (s) => {
      if (s.labels["result"] === "daemon_unreachable") return { ...s, motion: { kind: "steps", every: 300 } };
      return s.labels["result"] === "success" ? { name: s.name, labels: s.labels, value: 0 } : s;
    })
    .add("livepatch_client_up", [{ name: "livepatch_client_up", labels: { client: "canonical_livepatch" }, value: 0 }])
    .add("livepatch_client_error", [
      {
        name: "livepatch_client_error",
        labels: { client: "canonical_livepatch", reason: "daemon_unreachable" },
        value: 1,
      },
    ]);
}
