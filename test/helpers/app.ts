// The Express app built in-process and served on a loopback port chosen by the kernel.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, type AppDependencies } from "../../src/app.js";
import { silentLogger } from "../../src/log.js";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { MetricsRenderer } from "../../src/views/metrics.js";

export interface ServedApp {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly server: Server;
  readonly close: () => Promise<void>;
}

export async function serveApp(
  snapshot: () => Promise<Snapshot>,
  overrides: Partial<AppDependencies> = {},
): Promise<ServedApp> {
  const app = createApp({
    snapshot,
    renderer: new MetricsRenderer({ exporterMetrics: false }),
    telemetryPath: "/metrics",
    build: { version: "0", revision: "0" },
    isReady: () => true,
    runtimeInfo: () => Promise.resolve({ entries: [] }),
    log: silentLogger,
    ...overrides,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
