// Prometheus alert expectations: the exact set of alerts firing for the VM,
// waited for (rules need a scrape, an evaluation and their shortened `for:`).
import type { ActiveAlert } from "../../helpers/prometheus.js";
import { waitFor } from "../../helpers/wait.js";
import type { Alerting } from "../harness/alerting.js";

/** "Name{label=value,...}": every label but instance and job, sorted. */
export function alertKey(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels)
    .filter(([k]) => !["alertname", "instance", "job"].includes(k))
    .sort(([a], [b]) => a.localeCompare(b));
  return `${labels["alertname"] ?? "?"}{${pairs.map(([k, v]) => `${k}=${v}`).join(",")}}`;
}

/**
 * LivepatchNewKernelTaint when these taint letters appear: one alert for the host, none when they are only
 * K, O and E (every third-party live patch sets them), a warning when an error flag (D, M, B, L, W) is among them.
 */
export function newTaintAlerts(letters: string): string[] {
  const counted = letters.split("").filter((letter) => !"KOE".includes(letter));
  if (counted.length === 0) return [];
  return [
    `LivepatchNewKernelTaint{severity=${counted.some((letter) => "DMBLW".includes(letter)) ? "warning" : "info"}}`,
  ];
}

export async function assertFiring(alerting: Alerting, expected: readonly string[], timeoutMs = 60_000): Promise<void> {
  const want = [...expected].sort();
  let last: string[] = [];
  try {
    await waitFor(
      "Prometheus's firing alerts",
      async () => {
        last = (await alerting.firing()).map((a: ActiveAlert) => alertKey(a.labels)).sort();
        return JSON.stringify(last) === JSON.stringify(want);
      },
      timeoutMs,
      500,
    );
  } catch {
    throw new Error(
      `firing alerts after ${timeoutMs / 1000}s:\n  ${last.join("\n  ") || "(none)"}\nexpected:\n  ${want.join("\n  ") || "(none)"}`,
    );
  }
}
