// Connections within the open file limit.
//
// Every connection is a file descriptor. Left alone, idle keep-alive
// connections could use up the limit: accept(2) then fails with EMFILE, libuv
// closes each new connection at once, and nothing is logged (with 48 files, 28
// idle connections shut out every probe for 10 s). So:
//
// - the server accepts at most the connections the limit leaves room for once
//   the runtime, host reads and vendor clients are counted (src/file-limit.ts);
// - when connections come near that cap, the ones idle longest (no request in
//   progress for at least a second) are closed, so a new connection, a probe
//   above all, finds room;
// - the cap being reached (Node drops the connection) and an accept error
//   (EMFILE from elsewhere) are each logged once per episode, at warn, and
//   reclaim idle connections; "accepting connections again" is logged when the
//   pressure is over.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../log.js";
import type { WebServer } from "./server.js";

/** Connections kept free below the cap, for probes: reclaiming starts here. */
const HEADROOM = 8;
/** A connection must have been idle this long to be reclaimed: a new one has not sent its request yet. */
const IDLE_GRACE_MS = 1000;

interface Tracked {
  /** Requests in progress (more than one only when pipelining). */
  active: number;
  idleSinceMs: number;
}

export interface ConnectionGuardOptions {
  /** Connections at most; undefined: no cap (the limit is unknown or unlimited). */
  readonly cap: number | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

export class ConnectionGuard {
  private readonly tracked = new Map<Socket, Tracked>();
  private pressure = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    server: WebServer,
    private readonly options: ConnectionGuardOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    if (options.cap !== undefined) server.maxConnections = options.cap;
    server.on("connection", (socket: Socket) => this.opened(socket));
    server.on("request", (req: IncomingMessage, res: ServerResponse) => this.busy(req.socket, res));
    server.on("drop", () => this.overloaded("connection limit reached: new connections are closed", undefined));
  }

  /** Open connections. */
  get size(): number {
    return this.tracked.size;
  }

  /** An error of the listening socket after start: an accept that failed (EMFILE, ENFILE). Logged, never fatal. */
  acceptFailed(error: NodeJS.ErrnoException): void {
    this.overloaded("cannot accept connections", error.code ?? error.message);
  }

  private opened(socket: Socket): void {
    this.tracked.set(socket, { active: 0, idleSinceMs: this.now() });
    socket.once("close", () => {
      this.tracked.delete(socket);
      if (this.pressure && this.tracked.size <= this.reclaimFrom() / 2) {
        this.pressure = false;
        this.options.log.info({ connections: this.tracked.size }, "accepting connections again");
      }
    });
    const { cap } = this.options;
    if (cap !== undefined && this.tracked.size >= this.reclaimFrom()) {
      this.overloaded("connections near the limit the open file limit allows", undefined);
    }
  }

  private busy(socket: Socket, res: ServerResponse): void {
    // Over TLS the request's socket wraps the accepted one.
    const raw = (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
    const state = this.tracked.get(raw);
    if (state === undefined) return;
    state.active += 1;
    res.once("close", () => {
      state.active -= 1;
      state.idleSinceMs = this.now();
    });
  }

  private reclaimFrom(): number {
    return Math.max(1, (this.options.cap ?? Number.POSITIVE_INFINITY) - HEADROOM);
  }

  /**
   * Logs once per episode, then closes the connections idle longest, oldest
   * first, down to half the cap; while the pressure lasts, again each time the
   * idle grace has passed (a burst of new connections is idle only then).
   */
  private overloaded(message: string, error: string | undefined): void {
    const closed = this.reclaimIdle();
    const fields = { connections: this.tracked.size, cap: this.options.cap, closedIdle: closed, err: error };
    if (this.pressure) this.options.log.debug(fields, message);
    else this.options.log.warn(fields, `${message}; closing idle connections`);
    this.pressure = true;
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      if (this.pressure && this.tracked.size >= this.reclaimFrom()) this.overloaded(message, error);
    }, IDLE_GRACE_MS);
    this.retry.unref();
  }

  private reclaimIdle(): number {
    const now = this.now();
    const idle = [...this.tracked]
      .filter(([, state]) => state.active === 0 && now - state.idleSinceMs >= IDLE_GRACE_MS)
      .sort(([, a], [, b]) => a.idleSinceMs - b.idleSinceMs);
    const target = Math.floor(this.reclaimFrom() / 2);
    let closed = 0;
    for (const [socket] of idle) {
      if (this.tracked.size - closed <= target) break;
      socket.destroy();
      closed += 1;
    }
    return closed;
  }
}
