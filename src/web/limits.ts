// The limits that keep one exporter from being knocked over by its clients:
// a token bucket (rate_limit of the web config), request bodies (an exporter
// takes none), and the HTTP server's own timeouts and sizes. Parallel
// requests (--web.max-requests) are src/web/admission.ts.
import type { IncomingMessage } from "node:http";

/** Go's rate.Limiter as the toolkit uses it: one token per interval, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedMs = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedMs) / this.intervalMs);
    this.updatedMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** GET and HEAD carry no body here; one announced anyway is refused before it is read. */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined && length !== "0") return true;
  return req.headers["transfer-encoding"] !== undefined;
}

/** What the HTTP server accepts at most, and for how long it waits. */
export interface ServerLimits {
  /** The client must send the request line and headers within this time (slowloris). */
  readonly headersTimeoutMs: number;
  /** The whole request must arrive within this time, and an idle connection is closed after it. */
  readonly requestTimeoutMs: number;
}

/** Request line plus headers; Prometheus sends a few hundred bytes. */
export const MAX_HEADER_BYTES = 8 * 1024;
export const MAX_HEADER_COUNT = 64;
