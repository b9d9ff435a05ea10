// A real Alertmanager (Debian's `prometheus-alertmanager`) for end-to-end tests:
// loopback only, clustering off, a temporary storage directory; always stopped.
// And a webhook receiver on loopback that records every notification it gets.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { startDaemon } from "./daemon.js";
import { scratchDir } from "./fixtures.js";
import { freePort } from "./prometheus.js";

export interface RunningAlertmanager {
  readonly url: string;
  /** host:port, for Prometheus's alerting configuration. */
  readonly address: string;
  readonly logs: string[];
  stop(): Promise<void>;
}

export async function startAlertmanager(config: string): Promise<RunningAlertmanager> {
  const dir = fs.mkdtempSync(path.join(scratchDir(), "alertmanager-"));
  fs.writeFileSync(path.join(dir, "alertmanager.yml"), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    "prometheus-alertmanager",
    [
      `--config.file=${path.join(dir, "alertmanager.yml")}`,
      `--storage.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // An empty address turns the gossip cluster off (it would bind 0.0.0.0:9094).
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    `${url}/-/ready`,
  );
  return { url, address: `127.0.0.1:${port}`, logs: daemon.logs, stop: daemon.stop };
}

/** An alert as Alertmanager's API v2 lists it. */
export interface AlertmanagerAlert {
  readonly labels: Record<string, string>;
  readonly status: { readonly state: "active" | "suppressed" | "unprocessed" };
}

export async function alertmanagerAlerts(alertmanager: RunningAlertmanager): Promise<AlertmanagerAlert[]> {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`);
  if (!response.ok) throw new Error(`alertmanager /api/v2/alerts: HTTP ${response.status}`);
  return (await response.json()) as AlertmanagerAlert[];
}

/** One webhook notification (Alertmanager's webhook payload, version 4). */
export interface Notification {
  /** The URL path it was sent to: which receiver. */
  readonly path: string;
  readonly receivedAt: number;
  readonly status: "firing" | "resolved";
  readonly receiver: string;
  readonly alerts: readonly {
    readonly status: "firing" | "resolved";
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  }[];
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly notifications: Notification[];
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const notifications: Notification[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      try {
        const payload = JSON.parse(body) as Omit<Notification, "path" | "receivedAt">;
        notifications.push({ ...payload, path: request.url ?? "", receivedAt: Date.now() });
        response.writeHead(200).end();
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
