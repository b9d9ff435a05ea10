// What every request passes before the application sees it, in this order:
// configured response headers, no request body, the rate limit, basic
// authentication, then --web.max-requests (src/web/admission.ts) for all but
// the probes. Authentication comes before the request limit: requests without
// valid credentials never take a place from scrapes, and their bcrypt work
// has its own small budget (429 beyond it). Refusals are plain text without
// internals and are counted by reason
// (livepatch_exporter_http_requests_rejected_total).
//
// Refusals for being busy (503 max_requests, 429 auth_busy and rate_limit)
// carry Retry-After: 1. The first on a connection is immediate; a connection
// refused again within that second gets its answer when the second is over.
// A client that honours Retry-After never notices; one that retries at once
// (a load generator, an attacker) is paced, and cannot keep the event loop
// busy refusing it while connections wait to be accepted.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../log.js";
import type { Admission } from "./admission.js";
import type { AuthVerdict } from "./auth.js";
import { hasRequestBody } from "./limits.js";
import type { ActiveWebConfig } from "./reload.js";

export const REJECTION_REASONS = ["max_requests", "rate_limit", "unauthorized", "auth_busy", "request_body"] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Paths that stay reachable under load: probes must see the process, not the queue. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/-/healthy", "/-/ready"]);

/** Retry-After of busy refusals, and the pace of refusals on one connection. */
const RETRY_AFTER_SECONDS = 1;

/**
 * The refusals so far, by reason. A reason is served from the first time the
 * configuration could give it (at 0, so that increase() sees its first
 * refusal) and from then on, even after a reload turned its feature off: a
 * counter does not vanish. A reason the configuration cannot give costs no
 * series (a host without basic authentication has no `unauthorized`).
 */
export class Rejections {
  private readonly counts = new Map<RejectionReason, number>();

  add(reason: RejectionReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** The counts of the reasons ever possible or seen, in REJECTION_REASONS' order. */
  snapshot(possible: readonly RejectionReason[]): ReadonlyMap<RejectionReason, number> {
    for (const reason of possible) if (!this.counts.has(reason)) this.counts.set(reason, 0);
    const shown = new Map<RejectionReason, number>();
    for (const reason of REJECTION_REASONS) {
      const count = this.counts.get(reason);
      if (count !== undefined) shown.set(reason, count);
    }
    return shown;
  }
}

/** The reasons a configuration can refuse for: request_body always, the others with their feature. */
export function possibleRejections(maxRequests: number, active: ActiveWebConfig | undefined): RejectionReason[] {
  const possible: RejectionReason[] = [];
  if (maxRequests > 0) possible.push("max_requests");
  if (active?.rateLimiter !== undefined) possible.push("rate_limit");
  if (active?.auth !== undefined) possible.push("unauthorized", "auth_busy");
  possible.push("request_body");
  return possible;
}

export interface GateOptions {
  /** The web configuration in force; undefined without --web.config.file. */
  readonly active: () => ActiveWebConfig | undefined;
  readonly admission: Admission;
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

  // When each connection may next be refused for being busy.
  const nextBusyRefusal = new WeakMap<Socket, number>();
  const refuseBusy = (
    req: IncomingMessage,
    res: ServerResponse,
    reason: RejectionReason,
    status: number,
    text: string,
  ): void => {
    res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
    const now = performance.now();
    const at = Math.max(now, nextBusyRefusal.get(req.socket) ?? now);
    nextBusyRefusal.set(req.socket, at + RETRY_AFTER_SECONDS * 1000);
    if (at <= now) {
      refuse(res, reason, status, text);
      return;
    }
    const timer = setTimeout(() => refuse(res, reason, status, text), at - now);
    res.once("close", () => clearTimeout(timer));
  };

  const proceed = (req: IncomingMessage, res: ServerResponse, verdict: AuthVerdict): void => {
    if (res.destroyed) return; // the client left while its password was checked
    if (verdict === "denied") {
      res.setHeader("WWW-Authenticate", 'Basic realm="livepatch_exporter", charset="UTF-8"');
      refuse(res, "unauthorized", 401, "Unauthorized");
      return;
    }
    if (verdict === "busy") {
      refuseBusy(req, res, "auth_busy", 429, "Too many password checks in progress");
      return;
    }
    if (UNLIMITED_PATHS.has((req.url ?? "/").split("?")[0] ?? "/")) {
      next(req, res);
      return;
    }
    if (!options.admission.admit(req, res, () => next(req, res))) {
      refuseBusy(req, res, "max_requests", 503, "Too many parallel requests; see --web.max-requests");
    }
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
    if (active?.rateLimiter !== undefined && !active.rateLimiter.take()) {
      refuseBusy(req, res, "rate_limit", 429, "Too Many Requests");
      return;
    }
    const verdict = active?.auth?.check(req.headers.authorization) ?? "allowed";
    if (typeof verdict === "string") {
      proceed(req, res, verdict);
      return;
    }
    verdict.then(
      (result) => proceed(req, res, result),
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
