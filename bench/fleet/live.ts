// The live part: one HTTP server on loopback that answers Prometheus' scrape of
// every simulated host (`/metrics?host=<instance>`) with that host's state now,
// or 503 while the host's exporter is down.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { SimulatedHost } from "./host.js";

export interface LiveFleet {
  /** host:port Prometheus scrapes. */
  readonly address: string;
  scrapes(): number;
  stop(): Promise<void>;
}

export async function serveFleet(hosts: readonly SimulatedHost[]): Promise<LiveFleet> {
  const byInstance = new Map(hosts.map((h) => [h.plan.instance, h]));
  let scrapes = 0;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://fleet");
    const host = byInstance.get(url.searchParams.get("host") ?? "");
    const text = host?.liveText(Date.now() / 1000);
    scrapes++;
    if (text === undefined) {
      response.writeHead(host === undefined ? 404 : 503).end();
      return;
    }
    response.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }).end(text);
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    scrapes: () => scrapes,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
