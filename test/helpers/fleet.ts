// A simulated fleet: one real exporter process per fixture tree, all scraped
// by a real Prometheus that loads the project's rules (a test copy with short
// `for:` and evaluation intervals). Used by the fleet end-to-end tests.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { CANONICAL_JSON, KCARECTL_INFO, KCARECTL_PATCH_INFO } from "../fixtures/client-outputs.js";
import { HANDMADE } from "../fixtures/handmade.js";
import { fakeClient } from "./fake-client.js";
import { buildTree, handmadeTree, pathFlags, realKernelTree } from "./fixtures.js";
import { freePort, startPrometheus, targets, type RunningPrometheus } from "./prometheus.js";
import { waitFor } from "./wait.js";
import { startExporter, type RunningExporter } from "../../support/exporter-process.js";

const RULES_DIR = fileURLToPath(new URL("../../deploy/prometheus/rules/", import.meta.url));

const DAY = 86_400_000;

/** Canonical Livepatch: the running kernel supported, patches applied, coverage ending in 10 days. */
function canonicalCovered(): string[] {
  const coverageEnd = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
  const fake = fakeClient("canonical-livepatch", {
    "status --format json": { stdout: CANONICAL_JSON.replace('"2025-03-07"', `"${coverageEnd}"`) },
  });
  return [`--collector.canonical_livepatch.path=${fake.path}`];
}

/** Canonical Livepatch on a machine that was never attached. */
function canonicalNotEnabled(): string[] {
  const fake = fakeClient("canonical-livepatch", { "*": { stdout: "Machine is not enabled\n", exit: 1 } });
  return [`--collector.canonical_livepatch.path=${fake.path}`];
}

/** TuxCare KernelCare, invisible in /sys/kernel/livepatch: patches applied, an effective kernel release. */
function kernelcare(): string[] {
  const fake = fakeClient("kcarectl", {
    "--info": { stdout: KCARECTL_INFO },
    "--patch-info": { stdout: KCARECTL_PATCH_INFO },
  });
  return [`--collector.kernelcare.path=${fake.path}`];
}

/** The hosts of the fleet, by the instance label Prometheus gives them: their tree and extra flags. */
export const FLEET_HOSTS = {
  clean: () => realKernelTree("clean"),
  patched: () => realKernelTree("basic-enabled"),
  // The stuck transition, with the blocking kthread's stack and probes on the patched function.
  stuck: () => handmadeTree("probed"),
  "modules-disabled": () => realKernelTree("modules-disabled"),
  // Starts clean; the test taints it with D and W while Prometheus watches.
  tainted: () => realKernelTree("clean"),
  "reboot-required": () => handmadeTree("reboot-required"),
  "older-kernel": () => handmadeTree("older-kernel"),
  // Starts patched; the test removes its sysfs while Prometheus watches.
  "sysfs-vanishes": () => realKernelTree("basic-enabled"),
  "ubuntu-1804": () => handmadeTree("kernel-4.15"),
  "orphan-module": () => handmadeTree("module-without-patch"),
  // A reboot for the kernel only, which Canonical Livepatch covers: it can wait.
  "livepatch-covered": () =>
    buildTree({
      ...HANDMADE["reboot-required"],
      files: { ...HANDMADE["reboot-required"].files, "run/reboot-required.pkgs": "linux-image-6.1.0-57-amd64\n" },
    }),
  "client-broken": () => realKernelTree("clean"),
  kernelcare: () => realKernelTree("clean"),
  // 6.14: replace and stack_order, a cumulative patch over an older one.
  "ubuntu-2404": () => handmadeTree("kernel-6.14"),
} as const;
export type FleetHost = keyof typeof FLEET_HOSTS;

/**
 * Flags beyond the paths, per host: the stuck host names its blocking threads and runs the opt-in collectors
 * of patched functions; two run a vendor client; one cannot read its kernel log (a container without the
 * device mapped in).
 */
const HOST_FLAGS: Partial<Record<FleetHost, () => string[]>> = {
  stuck: () => [
    "--collector.transition.blocking-threads",
    "--collector.functions",
    "--collector.redirection",
    "--collector.probes",
  ],
  "older-kernel": () => ["--path.kmsg=/nonexistent/dev/kmsg"],
  "livepatch-covered": canonicalCovered,
  "client-broken": canonicalNotEnabled,
  kernelcare,
};

/** A target nothing listens on. */
export const DEAD_HOST = "dead";

export interface Fleet {
  readonly prometheus: RunningPrometheus;
  readonly exporters: ReadonlyMap<FleetHost, RunningExporter>;
  readonly roots: ReadonlyMap<FleetHost, string>;
  stop(): Promise<void>;
}

export async function startFleet(): Promise<Fleet> {
  const exporters = new Map<FleetHost, RunningExporter>();
  const roots = new Map<FleetHost, string>();
  let prometheus: RunningPrometheus | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([prometheus?.stop(), ...[...exporters.values()].map((e) => e.stop())]);
  };
  try {
    for (const [host, build] of Object.entries(FLEET_HOSTS) as [FleetHost, () => string][]) {
      const root = build();
      settleTimes(root, host);
      settleBoot(root, host);
      roots.set(host, root);
      exporters.set(host, await startExporter([...pathFlags(root), ...(HOST_FLAGS[host]?.() ?? [])]));
    }
    const deadPort = await freePort();
    const staticConfigs = [
      ...[...exporters].map(([host, exporter]) => ({
        targets: [exporter.url.replace("http://", "")],
        labels: { instance: host },
      })),
      { targets: [`127.0.0.1:${deadPort}`], labels: { instance: DEAD_HOST } },
    ];
    const files = fastRuleFiles();
    const config = stringify({
      global: { scrape_interval: "1s", scrape_timeout: "900ms", evaluation_interval: "1s" },
      rule_files: Object.keys(files),
      scrape_configs: [{ job_name: "livepatch", static_configs: staticConfigs }],
    });
    prometheus = await startPrometheus(config, files);
    const started = prometheus;
    await waitFor(
      "every target to be scraped",
      async () => {
        const active = await targets(started);
        return active.length === exporters.size + 1 && active.every((t) => t.lastScrape !== "0001-01-01T00:00:00Z");
      },
      30_000,
      250,
    );
    return { prometheus, exporters, roots, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The project's rule files (name -> fastRules() text), for a test Prometheus. */
export function fastRuleFiles(): Record<string, string> {
  const names = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml"));
  return Object.fromEntries(names.map((f) => [f, fastRules(fs.readFileSync(path.join(RULES_DIR, f), "utf8"))]));
}

/**
 * The rules with durations of an hour or less shortened to 2 s, so those
 * alerts fire within the test; longer ones (2h, 3d, 14d) are kept, so those
 * alerts stay pending. Evaluation every second.
 */
export function fastRules(yamlText: string): string {
  const doc = parse(yamlText) as { groups: { interval?: string; rules: { for?: string; expr?: string }[] }[] };
  for (const group of doc.groups) {
    if (group.interval !== undefined) group.interval = "1s";
    for (const rule of group.rules) {
      if (rule.for !== undefined && durationSeconds(rule.for) <= 3600) rule.for = "2s";
      if (rule.expr !== undefined) rule.expr = fastAges(rule.expr);
    }
  }
  return stringify(doc);
}

/**
 * An age threshold of an hour or less (`time() - x_timestamp_seconds > 30 * 60`) becomes 2 s, as `for:` does;
 * longer ones stay.
 */
function fastAges(expr: string): string {
  return expr.replace(
    /(time\(\) - [a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})? > )(\d+)(?: \* (\d+))?/g,
    (whole, comparison: string, a: string, b: string | undefined) =>
      Number(a) * Number(b ?? 1) <= 3600 ? `${comparison}2` : whole,
  );
}

function durationSeconds(text: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  const match = /^(\d+)([smhdw])$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`unsupported duration ${text}`);
  return Number(match[1]) * (units[match[2]] ?? 0);
}

/**
 * The kernel log's times are since boot: the stuck host booted three hours ago, so its transition, a few
 * seconds into the boot, has run for about three hours whenever the test runs.
 */
function settleBoot(root: string, host: FleetHost): void {
  if (host !== "stuck") return;
  const stat = path.join(root, "proc/stat");
  const bootedAt = Math.floor((Date.now() - 3 * 3600 * 1000) / 1000);
  fs.writeFileSync(stat, fs.readFileSync(stat, "utf8").replace(/^btime \d+$/m, `btime ${bootedAt}`));
}

/**
 * File times decide reboot ages: make them independent of when the test runs.
 * Everything under lib/modules and run is "now", except on the reboot-required
 * and livepatch-covered
 * hosts, where the sentinel and the newer kernel appeared four days ago.
 */
function settleTimes(root: string, host: FleetHost): void {
  const now = new Date();
  for (const dir of ["lib/modules", "run"]) {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) continue;
    for (const entry of fs.readdirSync(full)) fs.utimesSync(path.join(full, entry), now, now);
    fs.utimesSync(full, now, now);
  }
  if (host === "reboot-required" || host === "livepatch-covered") {
    const fourDaysAgo = new Date(Date.now() - 4 * DAY);
    for (const file of ["run/reboot-required", "lib/modules/6.1.0-57-amd64"]) {
      fs.utimesSync(path.join(root, file), fourDaysAgo, fourDaysAgo);
    }
  }
}
