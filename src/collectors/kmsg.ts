// The kernel log (/dev/kmsg, or --path.kmsg): what sysfs cannot show because
// it happened over time. When each transition started and how long the last
// one took, whether a transition was forced, which module loads the kernel
// refused and why, and the live patching lines the kernel printed.
//
// The log is drained when the exporter starts (opening it replays the whole
// ring buffer, so the history since boot is known from the first scrape) and
// again on every scrape, without blocking (src/fs/kmsg-device.ts). Sequence
// numbers make every record count once, and show how many were overwritten
// before they could be read (src/collectors/kmsg-history.ts).
//
// Reading it needs CAP_SYSLOG when kernel.dmesg_restrict=1: the log is then
// reported unreadable, with the reason, and retried on every scrape.
import { known, type Fact, unknown, type UnknownReason } from "../fact.js";
import { KmsgLogReader, type KmsgError, type KmsgKind } from "../fs/kmsg-device.js";
import type { Logger } from "../log.js";
import { parseRecord, splitRecords } from "../parse/kmsg.js";
import { KmsgHistory, type KmsgLog } from "./kmsg-history.js";
import type { Collector } from "./types.js";

export interface KmsgFacts {
  /** The path read (--path.kmsg) and what it is: the device, or a saved copy replayed as if it were. */
  readonly path: string;
  readonly kind: KmsgKind | undefined;
  /** known(true) when this scrape read the log to its end; unknown (with the reason) when it could not. */
  readonly readable: Fact<true>;
  /** What the log has said since boot, as far as it was read; undefined until it could be read once. */
  readonly log: KmsgLog | undefined;
}

/** At start-up the whole ring buffer is replayed: up to a few hundred thousand records. */
const START_DRAIN_LIMIT = 2_000_000;
/** On a scrape: what a flood could add between two scrapes; the rest waits for the next one. */
const SCRAPE_DRAIN_LIMIT = 200_000;

export const kmsg: Collector<KmsgFacts> = {
  help: "the kernel log (/dev/kmsg): transitions in time, forced patches, refused module loads",
  create: ({ paths, log }) => {
    const reader = new KmsgReader(paths.kmsg, log.child({ collector: "kmsg" }));
    // Drained at start, so that nothing logged before the first scrape can be overwritten unseen.
    reader.read(START_DRAIN_LIMIT);
    return () => reader.collect();
  },
};

class KmsgReader {
  private readonly device: KmsgLogReader;
  private readonly history = new KmsgHistory();
  private everRead = false;
  private lastError: string | undefined;
  private overflowReported = false;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.device = new KmsgLogReader(path);
  }

  /** One scrape: the path is the one the exporter started with (--path.kmsg, ctx.paths.kmsg). */
  collect(): KmsgFacts {
    const error = this.read(SCRAPE_DRAIN_LIMIT);
    return {
      path: this.path,
      kind: this.device.kind,
      readable: error === undefined ? known(true) : unknown(reasonOf(error)),
      log: this.everRead ? this.history.snapshot() : undefined,
    };
  }

  /** Drains the log into the history; the error when it could not be read to its end. */
  read(limit: number): KmsgError | undefined {
    const drain = this.device.drain(limit);
    for (const chunk of drain.chunks) {
      for (const text of splitRecords(chunk)) {
        const record = parseRecord(text);
        if (record === undefined) {
          this.history.addMalformed();
          this.log.debug({ path: this.path, text: text.slice(0, 200) }, "not a kernel log record");
        } else this.history.add(record);
      }
    }
    if (drain.error === undefined) this.everRead = true;
    if (drain.overwritten > 0) {
      this.log.warn(
        { path: this.path, reads: drain.overwritten },
        "kernel log records were overwritten before they could be read (livepatch_kmsg_lost_records_total)",
      );
    }
    if (drain.truncated) {
      this.log.warn({ path: this.path, limit }, "kernel log drain stopped at its limit; the rest is read next scrape");
    }
    if (this.history.overflowed && !this.overflowReported) {
      this.overflowReported = true;
      this.log.warn({ path: this.path }, 'more distinct patch or module names than remembered; the rest count as ""');
    }
    this.report(drain.error);
    return drain.error;
  }

  /** Logs a failure when it starts or changes, and the recovery; not on every scrape. */
  private report(error: KmsgError | undefined): void {
    const now = error === undefined ? undefined : `${error.failure}:${error.code}`;
    if (now === this.lastError) return;
    if (error === undefined) this.log.info({ path: this.path }, "kernel log is readable again");
    else
      this.log.warn(
        { path: this.path, reason: error.failure, code: error.code },
        error.code === "EPERM" || error.code === "EACCES"
          ? "cannot read the kernel log: with kernel.dmesg_restrict=1 reading it needs CAP_SYSLOG"
          : "cannot read the kernel log",
      );
    this.lastError = now;
  }
}

function reasonOf(error: KmsgError): UnknownReason {
  // A missing device in a container means it was not mapped in: not found, rather than "absent from the kernel".
  return error.failure === "absent" ? "not_found" : error.failure;
}
