// The families a golden file leaves out because they vary from run to run —
// prom-client's process_* and nodejs_*, the build info, each collector's
// duration — and the vendor client families, captured from the real, built
// exporter (dist/main.js) with a stand-in Canonical Livepatch client. So the
// simulated hosts cost what a real one costs, and follow any change to the
// exporter's default metrics.
import fs from "node:fs";
import path from "node:path";
import { MAIN, startExporter } from "../../support/exporter-process.js";
import { parseExposition, type Family } from "./exposition.js";

/** What `canonical-livepatch status --format json` prints on a covered, patched Ubuntu host. */
const CANONICAL_STATUS = {
  Architecture: "amd64",
  "Client-Version": "10.8.3",
  "Last-Check": "2026-01-01T00:00:00Z",
  Status: [
    {
      Kernel: "6.14.0-15.15-generic",
      Livepatch: {
        CheckState: "checked",
        Fixes: ["cve-2025-21700", "cve-2025-21756", "cve-2025-37752"].map((Name) => ({
          Bug: "",
          Description: "",
          Name,
          Patched: true,
        })),
        State: "applied",
        Version: "104.1",
      },
      Running: true,
      Supported: "supported",
      UpgradeRequiredDate: "2099-01-01",
    },
  ],
  tier: "updates",
};

export interface Captured {
  /** process_*, nodejs_* (dropped by --web.disable-exporter-metrics). */
  readonly runtime: readonly Family[];
  /** livepatch_exporter_build_info. */
  readonly buildInfo: Family;
  /** livepatch_scrape_collector_duration_seconds of every collector that ran. */
  readonly durations: Family;
  /** The Canonical Livepatch collector's families (livepatch_client_*), and its success sample. */
  readonly canonical: readonly Family[];
}

export async function captureExporter(workDir: string): Promise<Captured> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm run fleet:sim does)`);
  const client = path.join(workDir, "canonical-livepatch");
  const status = path.join(workDir, "canonical-status.json");
  fs.writeFileSync(status, `${JSON.stringify(CANONICAL_STATUS)}\n`);
  fs.writeFileSync(client, `#!/bin/sh\ncat '${status}'\n`, { mode: 0o755 });
  const text = await scrapeOnce([`--collector.canonical_livepatch.path=${client}`]);
  const families = parseExposition(text);
  const named = (name: string): Family => {
    const family = families.find((f) => f.name === name);
    if (family === undefined) throw new Error(`the exporter did not expose ${name}`);
    return family;
  };
  const canonical = families
    .filter((f) => f.name.startsWith("livepatch_client_"))
    .map((f) => ({ ...f, samples: f.samples.filter((s) => s.labels["client"] === "canonical_livepatch") }));
  if (!canonical.some((f) => f.name === "livepatch_client_up"))
    throw new Error("the stand-in Canonical Livepatch client did not run");
  return {
    runtime: families.filter((f) => /^(process|nodejs)_/.test(f.name)),
    buildInfo: named("livepatch_exporter_build_info"),
    durations: named("livepatch_scrape_collector_duration_seconds"),
    canonical,
  };
}

/** Starts the exporter on a kernel-chosen loopback port, waits for its client's first run, scrapes, stops. */
async function scrapeOnce(flags: readonly string[]): Promise<string> {
  const exporter = await startExporter(["--log.level=info", ...flags], { timeoutMs: 20_000 });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const body = await (await fetch(`${exporter.url}/metrics`)).text();
      if (body.includes("livepatch_client_up{")) return body;
      if (Date.now() > deadline) throw new Error("the stand-in client never finished a run");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await exporter.stop();
  }
}
