// --web.max-requests, and the order requests are served in.
//
// Node's HTTP server runs a request's handler as soon as the request is
// parsed, and a scrape is mostly synchronous work: with many keep-alive
// scrapers, one turn of the event loop served every request that had
// arrived, one scrape after another, before it accepted a connection or read
// a probe (200 scrapers: probes on new connections waited 15-20 s, and the
// limit never refused anything, since no two requests were ever in flight).
//
// So requests other than probes are not served while they are parsed. Each is
// admitted into a queue, and the queue starts one request per turn of the
// event loop: between two, the loop accepts connections, answers probes and
// refuses what is over the limit. Queued and served requests both count
// towards --web.max-requests; beyond it, the answer is 503 at once rather than
// a wait. A connection has at most one request admitted at a time, so a
// client pipelining requests takes one place, not many.
//
// libuv accepts one connection per turn of the loop. When many connections
// arrive at once (a scraper pool starting), a turn that also served a scrape
// would accept them at the pace of scrapes, and a probe's connection waits
// behind all of them; so while connections are being accepted, serving waits
// for turns without one, for at most ACCEPT_PRIORITY_MS at a time.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The longest serving waits for a burst of new connections to be accepted. */
const ACCEPT_PRIORITY_MS = 200;

interface Waiting {
  readonly res: ServerResponse;
  readonly serve: () => void;
}

export class Admission {
  private admitted = 0;
  private readonly queue: Waiting[] = [];
  private readonly busy = new WeakSet<Socket>();
  private scheduled = false;
  private accepted = false;
  private waitingSinceMs: number | undefined;

  /** `max`: requests admitted at once, waiting or being served; 0: no limit. */
  constructor(readonly max: number) {}

  /** Requests admitted and not answered yet. */
  get size(): number {
    return this.admitted;
  }

  /**
   * Queues `serve` for its turn and returns true, or returns false when the
   * limit is reached or the connection already has a request admitted (the
   * caller refuses). The place is freed when the response closes, answered or
   * abandoned.
   */
  admit(req: IncomingMessage, res: ServerResponse, serve: () => void): boolean {
    const { socket } = req;
    if ((this.max > 0 && this.admitted >= this.max) || this.busy.has(socket)) return false;
    this.admitted += 1;
    this.busy.add(socket);
    res.once("close", () => {
      this.admitted -= 1;
      this.busy.delete(socket);
    });
    this.queue.push({ res, serve });
    this.schedule();
    return true;
  }

  /** A connection was accepted in this turn of the loop: the next one may have another to accept. */
  connectionAccepted(): void {
    this.accepted = true;
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate: after the poll phase, so I/O that arrived meanwhile is handled first.
    setImmediate(this.next);
  }

  private readonly next = (): void => {
    this.scheduled = false;
    if (this.accepted) {
      this.accepted = false;
      const now = performance.now();
      this.waitingSinceMs ??= now;
      if (now - this.waitingSinceMs < ACCEPT_PRIORITY_MS) {
        this.schedule();
        return;
      }
    }
    this.waitingSinceMs = undefined;
    let waiting = this.queue.shift();
    // A client that left while waiting has nothing to be served.
    while (waiting !== undefined && (waiting.res.destroyed || waiting.res.writableEnded)) waiting = this.queue.shift();
    waiting?.serve();
    this.schedule();
  };
}
