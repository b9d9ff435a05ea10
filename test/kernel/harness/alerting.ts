// The chain users rely on, on the host: a real Prometheus scrapes the exporter
// in the VM and evaluates the project's own rules (deploy/prometheus/rules,
// with durations shortened by the fleet tests' fastRules: a test-only copy),
// and sends its alerts to a real Alertmanager running the project's own
// routing (deploy/alertmanager/alertmanager.yml, with the webhook receivers
// pointed at a recorder on loopback and the grouping waits shortened).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import {
  alertmanagerAlerts,
  startAlertmanager,
  startWebhookReceiver,
  type AlertmanagerAlert,
  type Notification,
  type RunningAlertmanager,
  type WebhookReceiver,
} from "../../helpers/alertmanager.js";
import { fastRuleFiles } from "../../helpers/fleet.js";
import {
  alerts,
  startPrometheus,
  targets,
  type ActiveAlert,
  type RunningPrometheus,
} from "../../helpers/prometheus.js";
import { waitFor } from "../../helpers/wait.js";

const DEPLOY = fileURLToPath(new URL("../../../deploy/", import.meta.url));

/** The instance label of the VM's exporter in Prometheus. */
export const INSTANCE = "kernel-vm";

export interface Alerting {
  readonly prometheus: RunningPrometheus;
  readonly alertmanager: RunningAlertmanager;
  readonly webhook: WebhookReceiver;
  /** Alerts Prometheus has firing now (pending ones left out). */
  firing(): Promise<ActiveAlert[]>;
  /** Alerts Alertmanager holds now. */
  received(): Promise<AlertmanagerAlert[]>;
  stop(): Promise<void>;
}

/** The shipped Alertmanager configuration, with every webhook sent to `receiver` and no grouping delays. */
export function testAlertmanagerConfig(receiver: string): string {
  interface Route {
    group_wait?: string;
    group_interval?: string;
    routes?: Route[];
  }
  const doc = parse(fs.readFileSync(path.join(DEPLOY, "alertmanager", "alertmanager.yml"), "utf8")) as {
    route: Route;
    receivers: { webhook_configs?: { url: string }[] }[];
  };
  const shorten = (route: Route): void => {
    if (route.group_wait !== undefined) route.group_wait = "1s";
    if (route.group_interval !== undefined) route.group_interval = "1s";
    for (const child of route.routes ?? []) shorten(child);
  };
  shorten(doc.route);
  for (const r of doc.receivers) {
    for (const hook of r.webhook_configs ?? []) hook.url = `${receiver}${new URL(hook.url).pathname}`;
  }
  return stringify(doc);
}

/** Starts the chain for one exporter at `exporterUrl` (http://127.0.0.1:<port>). */
export async function startAlerting(exporterUrl: string): Promise<Alerting> {
  const webhook = await startWebhookReceiver();
  let alertmanager: RunningAlertmanager | undefined;
  let prometheus: RunningPrometheus | undefined;
  const stop = async (): Promise<void> => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await webhook.stop();
  };
  try {
    alertmanager = await startAlertmanager(testAlertmanagerConfig(webhook.url));
    const files = fastRuleFiles();
    const config = stringify({
      // A scrape in the TCG guest takes 0.1-0.8 s; 2 s leaves room on a loaded machine.
      global: { scrape_interval: "2s", scrape_timeout: "2s", evaluation_interval: "1s" },
      rule_files: Object.keys(files),
      alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] },
      scrape_configs: [
        {
          job_name: "livepatch",
          static_configs: [{ targets: [new URL(exporterUrl).host], labels: { instance: INSTANCE } }],
        },
      ],
    });
    prometheus = await startPrometheus(config, files);
    const running = prometheus;
    await waitFor(
      "Prometheus to scrape the exporter in the VM",
      async () => (await targets(running)).some((t) => t.health === "up"),
      60_000,
      500,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const [p, a] = [prometheus, alertmanager];
  return {
    prometheus: p,
    alertmanager: a,
    webhook,
    firing: async () => (await alerts(p)).filter((alert) => alert.state === "firing"),
    received: () => alertmanagerAlerts(a),
    stop,
  };
}

/** Waits until the webhook recorder got a notification on `path` (a receiver) that `matches`. */
export async function waitForNotification(
  alerting: Alerting,
  what: string,
  matches: (notification: Notification) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(what, () => alerting.webhook.notifications.some(matches), timeoutMs, 250);
}
