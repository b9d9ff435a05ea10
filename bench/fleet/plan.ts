// The simulated fleet: which kind of host each one is, and what happens to it
// during the simulated hours. Shares follow what a large, mostly healthy fleet
// looks like: most hosts patched and quiet, a rollout wave of a new patch (the
// moment K, O and E appear), a few kernels behind, some reboots pending (a few
// for days), rare errors (a warning or an oops, a stuck or a forced transition,
// a failing collector or client, an exporter down). Seeded, so runs are comparable.
import type { Os } from "./templates.js";

export interface HostPlan {
  readonly index: number;
  /** The target's instance label, as Prometheus would set it. */
  readonly instance: string;
  readonly os: Os;
  /** Kernel updates behind the template's release, until the host reboots. */
  readonly lag: number;
  /** Where in each scrape interval Prometheus scrapes this target, in milliseconds. */
  readonly offsetMs: number;
  /** When the host's exporter started (s); counters count from here. */
  readonly startedAt: number;
  readonly bootTime: number;
  readonly modulesDisabled: boolean;
  /** Canonical Livepatch installed: when its coverage of the running kernel ends, and from when it fails. */
  readonly canonical?: { readonly coverageEnd: number; readonly failingFrom?: number };
  /** Part of the rollout wave: no live patch before this time, then a transition. */
  readonly rolloutAt?: number;
  readonly rolloutSeconds: number;
  /** A transition that never completes, from this time on. */
  readonly stuckFrom?: number;
  readonly taint?: { readonly at: number; readonly letter: "W" | "D" };
  /** A reboot becomes required at `at`, its reasons dated `since`. */
  readonly rebootPending?: { readonly at: number; readonly since: number };
  /** Reboots at this time: unreachable for two minutes, then on the newest kernel, the error taint gone. */
  readonly rebootAt?: number;
  /** The exporter cannot be scraped in [from, to). */
  readonly down?: { readonly from: number; readonly to: number };
  /** /sys/kernel/livepatch vanishes at this time (a collector fails). */
  readonly sysfsGoneFrom?: number;
  /** A transition is forced at this time; the kernel log says so until the host reboots. */
  readonly forcedAt?: number;
}

export interface FleetShape {
  readonly hosts: number;
  readonly seed: number;
  /** Start and end of the simulated time (s): the history, then the live part. */
  readonly start: number;
  readonly end: number;
  readonly scrapeIntervalSeconds: number;
}

const OS_MIX: readonly (readonly [Os, number])[] = [
  ["debian", 0.47],
  ["ubuntu", 0.3],
  ["rhel", 0.15],
  ["noModules", 0.05],
  ["ubuntuOld", 0.03],
];

const DAY = 86_400;

export function planFleet(shape: FleetShape): HostPlan[] {
  const random = seeded(shape.seed);
  const between = (a: number, b: number): number => a + (b - a) * random();
  const chance = (p: number): boolean => random() < p;
  const { start, end } = shape;
  const width = Math.max(5, String(shape.hosts).length);
  const hosts: HostPlan[] = [];
  for (let index = 0; index < shape.hosts; index++) {
    const os = pick(OS_MIX, random());
    const patchable = os !== "noModules";
    const ubuntu = os === "ubuntu" || os === "ubuntuOld";
    const rebootAt = patchable && chance(0.01) ? between(start + 600, end - 600) : undefined;
    const downFor = chance(0.003) ? between(600, 7200) : chance(0.001) ? end - start + 1 : undefined;
    const downFrom = downFor === undefined ? undefined : Math.max(start, between(start, end) - downFor / 2);
    // A reboot pending since before the simulated hours (some for days), or one that appears during them.
    const pendingSince = chance(0.08) ? start - between(DAY / 4, 10 * DAY) : undefined;
    const pendingAt = pendingSince === undefined && chance(0.02) ? between(start, end) : undefined;
    const rolloutAt = patchable && chance(0.1) ? between(start + 600, end - 1200) : undefined;
    const canonical = ubuntu && chance(0.8);
    hosts.push({
      index,
      instance: `fleet-${String(index + 1).padStart(width, "0")}:10027`,
      os,
      lag: random() < 0.85 ? 0 : random() < 0.8 ? 1 : 2,
      offsetMs: Math.floor(random() * shape.scrapeIntervalSeconds * 1000),
      startedAt: start - between(DAY, 20 * DAY),
      bootTime: start - between(20 * DAY, 60 * DAY),
      modulesDisabled: patchable && chance(0.01),
      ...(canonical
        ? {
            canonical: {
              coverageEnd: end + (chance(0.1) ? between(DAY, 13 * DAY) : between(20 * DAY, 120 * DAY)),
              ...(chance(0.005) ? { failingFrom: between(start, end - 3600) } : {}),
            },
          }
        : {}),
      ...(rolloutAt === undefined ? {} : { rolloutAt }),
      rolloutSeconds: between(30, 300),
      ...(patchable && chance(0.001) ? { stuckFrom: between(start, end - 3 * 3600) } : {}),
      ...(chance(0.003) ? { taint: { at: between(start, end), letter: chance(0.8) ? "W" : "D" } as const } : {}),
      ...(pendingSince === undefined ? {} : { rebootPending: { at: start, since: pendingSince } }),
      ...(pendingAt === undefined ? {} : { rebootPending: { at: pendingAt, since: pendingAt } }),
      ...(rebootAt === undefined ? {} : { rebootAt }),
      ...(downFrom === undefined || downFor === undefined ? {} : { down: { from: downFrom, to: downFrom + downFor } }),
      ...(patchable && chance(0.002) ? { sysfsGoneFrom: between(start, end) } : {}),
      ...(patchable && chance(0.002) ? { forcedAt: between(start, end) } : {}),
    });
  }
  return hosts;
}

function pick<T>(mix: readonly (readonly [T, number])[], roll: number): T {
  let acc = 0;
  for (const [value, share] of mix) {
    acc += share;
    if (roll < acc) return value;
  }
  const last = mix.at(-1);
  if (last === undefined) throw new Error("empty mix");
  return last[0];
}

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
