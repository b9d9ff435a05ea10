// The Express application: /metrics, the landing page, health and readiness.
// Building it has no side effects (no listening, no signals): main.ts owns
// the process, tests build apps freely.
//
// The landing page and the report it shows are loaded on the first request
// for "/": Prometheus only ever asks for /metrics, and a process that nobody
// opens in a browser keeps neither in memory.
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from "express";
import type { Logger } from "./log.js";
import type { Snapshot } from "./snapshot/snapshot.js";
import type { RuntimeInfo } from "./host-info.js";
import type { MetricsRenderer } from "./views/metrics.js";
import type { BuildInfo } from "./views/exporter.js";
import { SharedExpositions } from "./views/expositions.js";
import { snapshotSamples } from "./views/samples.js";
import type { Sample } from "./views/view.js";

export interface AppDependencies {
  readonly snapshot: () => Promise<Snapshot>;
  readonly renderer: MetricsRenderer;
  readonly telemetryPath: string;
  readonly build: BuildInfo;
  /** false once shutdown has begun: /-/ready answers 503. */
  readonly isReady: () => boolean;
  readonly runtimeInfo: () => Promise<RuntimeInfo>;
  readonly log: Logger;
  /** Samples about the process rather than the host (the HTTP front's state), rendered after the snapshot's. */
  readonly extraSamples?: () => readonly Sample[];
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", "simple");

  app.use(onlyGetAndHead);

  // Scrapes that share a snapshot share its rendering (src/views/expositions.ts).
  const expositions = new SharedExpositions((snapshot) =>
    deps.renderer.render([...snapshotSamples(snapshot, deps.build), ...(deps.extraSamples?.() ?? [])]),
  );
  app.get(deps.telemetryPath, async (req, res) => {
    const exposition = await expositions.of(await deps.snapshot());
    res.set("Content-Type", deps.renderer.contentType);
    res.set("Cache-Control", "no-store");
    res.set("Vary", "Accept-Encoding");
    if (wantsGzip(req)) {
      res.set("Content-Encoding", "gzip");
      res.send(exposition.gzipped());
    } else {
      res.send(exposition.text);
    }
  });

  app.get("/", async (_req, res) => {
    const [snapshot, runtime, { landingPage }, { buildReport }] = await Promise.all([
      deps.snapshot(),
      deps.runtimeInfo(),
      import("./views/landing.js"),
      import("./views/report.js"),
    ]);
    res.set("Content-Type", "text/html; charset=utf-8");
    res.set("Cache-Control", "no-store");
    res.send(
      landingPage({
        report: buildReport(snapshot),
        paths: snapshot.paths,
        telemetryPath: deps.telemetryPath,
        version: deps.build.version,
        runtime: runtime.entries,
      }),
    );
  });

  app.get("/-/healthy", (_req, res) => {
    res.type("text/plain").send("Healthy\n");
  });

  app.get("/-/ready", (_req, res) => {
    if (deps.isReady()) res.type("text/plain").send("Ready\n");
    else res.status(503).type("text/plain").send("Shutting down\n");
  });

  app.use((_req, res) => {
    res.status(404).type("text/plain").send("Not Found\n");
  });

  app.use(errorHandler(deps.log));
  return app;
}

/** Accept-Encoding allows gzip (and prefers it to no encoding), as Prometheus asks; promhttp does the same. */
function wantsGzip(req: Request): boolean {
  return req.headers["accept-encoding"] !== undefined && req.acceptsEncodings("gzip", "identity") === "gzip";
}

/** An exporter is read-only: anything but GET and HEAD is refused. */
const onlyGetAndHead: RequestHandler = (req, res, next) => {
  if (req.method === "GET" || req.method === "HEAD") {
    next();
    return;
  }
  res.status(405).set("Allow", "GET, HEAD").type("text/plain").send("Method Not Allowed\n");
};

/** Logs the error and answers 500 with no stack trace or internals. */
function errorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    log.error({ err: error instanceof Error ? error.message : String(error), path: req.path }, "request failed");
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(500).type("text/plain").send("Internal Server Error\n");
  };
}
