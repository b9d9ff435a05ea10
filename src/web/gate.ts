// What every request passes before the application sees it, in this order:
// configured response headers, no request body, --web.max-requests, the
// rate limit, basic authentication. Refusals are plain text without internals
// and are counted by reason (livepatch_exporter_http_requests_rejected_total).
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { hasRequestBody, type InFlightLimit } from "./limits.js";
import type { ActiveWebConfig } from "./reload.js";

export const REJECTION_REASONS = ["max_requests", "rate_limit", "unauthorized", "request_body"] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Paths that stay reachable under load: probes must see the process, not the queue. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/-/healthy", "/-/ready"]);

export class Rejections {
  private readonly counts = new Map<RejectionReason, number>(REJECTION_REASONS.map((r) => [r, 0]));

  add(reason: RejectionReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  snapshot(): ReadonlyMap<RejectionReason, number> {
    return new Map(this.counts);
  }
}

export interface GateOptions {
  /** The web configuration in force; undefined without --web.config.file. */
  readonly active: () => ActiveWebConfig | undefined;
  readonly limit: InFlightLimit;
  readonly rejections: Rejections;
  readonly log: Logger;
}

export function createGate(options: GateOptions, next: RequestListener): RequestListener {
  const refuse = (res: ServerResponse, reason: RejectionReason, status: number, text: string): void => {
    options.rejections.add(reason);
    res.statusCode = status;
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.end(`${text}\n`);
  };

  return (req: IncomingMessage, res: ServerResponse) => {
    const active = options.active();
    for (const [name, value] of Object.entries(active?.config.headers ?? {})) res.setHeader(name, value);

    if (hasRequestBody(req)) {
      // Never read: close the connection rather than drain an unbounded body.
      res.setHeader("Connection", "close");
      // Other methods get their 405 (with Allow) from the application.
      if (req.method === "GET" || req.method === "HEAD") {
        refuse(res, "request_body", 413, "Request body not accepted");
        return;
      }
    }
    if (!UNLIMITED_PATHS.has((req.url ?? "/").split("?")[0] ?? "/")) {
      if (!options.limit.tryAcquire()) {
        res.setHeader("Retry-After", "1");
        refuse(res, "max_requests", 503, "Too many parallel requests; see --web.max-requests");
        return;
      }
      res.once("close", () => options.limit.release());
    }
    if (active?.rateLimiter !== undefined && !active.rateLimiter.take()) {
      refuse(res, "rate_limit", 429, "Too Many Requests");
      return;
    }
    const auth = active?.auth;
    if (auth === undefined) {
      next(req, res);
      return;
    }
    auth.check(req.headers.authorization).then(
      (ok) => {
        if (ok) {
          next(req, res);
          return;
        }
        res.setHeader("WWW-Authenticate", 'Basic realm="livepatch_exporter", charset="UTF-8"');
        refuse(res, "unauthorized", 401, "Unauthorized");
      },
      (error: unknown) => {
        options.log.error({ err: error instanceof Error ? error.message : String(error) }, "authentication failed");
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end("Internal Server Error\n");
        }
      },
    );
  };
}
