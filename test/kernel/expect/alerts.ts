// Prometheus alert expectations: the exact set of alerts firing for the VM,
// waited for (rules need a scrape, an evaluation and their shortened `for:`).
import type { ActiveAlert } from "../../helpers/prometheus.js";
import { waitFor } from "../../helpers/wait.js";
import type { Alerting } from "../harness/alerting.js";
import { taintValue } from "./metrics.js";

/** "Name{label=value,...}": every label but instance and job, sorted. */
export function alertKey(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels)
    .filter(([k]) => !["alertname", "instance", "job"].includes(k))
    .sort(([a], [b]) => a.localeCompare(b));
  return `${labels["alertname"] ?? "?"}{${pairs.map(([k, v]) => `${k}=${v}`).join(",")}}`;
}

const TAINT_NAMES: Readonly<Record<string, [number, string]>> = {
  O: [12, "OOT_MODULE"],
  E: [13, "UNSIGNED_MODULE"],
  K: [15, "LIVEPATCH"],
};

/** LivepatchNewKernelTaint for each of these taint letters (info: expected with third-party live patches). */
export function newTaintAlerts(letters: string): string[] {
  return letters.split("").map((letter) => {
    const [bit, name] = TAINT_NAMES[letter] ?? [Math.log2(taintValue(letter)), "?"];
    return `LivepatchNewKernelTaint{bit=${bit},flag=${letter},name=${name},severity=info}`;
  });
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
