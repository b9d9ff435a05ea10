// The reads one collector makes during one scrape, with their failures
// tallied (for livepatch_scrape_collector_file_errors) and logged.
//
// Logging is deduplicated across scrapes: a file that stays unreadable is
// reported at warn once, when its failure starts or changes, then at debug,
// so a permanent condition does not write a line every 15 seconds.
import type { UnknownReason } from "../fact.js";
import type { Logger } from "../log.js";
import { resolveUnderRoot, type RootResolution } from "./host-paths.js";
import {
  DEFAULT_READ_CAP_BYTES,
  listDir,
  probeDir,
  readBytes,
  readText,
  statPath,
  type ListResult,
  type ReadFailure,
  type ReadResult,
  type StatResult,
} from "./read.js";

/** Failures counted as file errors. "absent" is normal, "vanished" is a normal race. */
export type FileErrorReason = "unreadable" | "too_large" | "io_error" | "invalid";
export const FILE_ERROR_REASONS: readonly FileErrorReason[] = ["unreadable", "too_large", "io_error", "invalid"];

/** Remembers which paths already produced a warning; bounded so it cannot grow without limit. */
export class FailureMemory {
  private readonly seen = new Map<string, string>();
  constructor(private readonly capacity = 4096) {}

  /** True when this failure is new for this path (log it loudly). */
  isNew(path: string, reason: string): boolean {
    if (this.seen.get(path) === reason) return false;
    if (this.seen.size >= this.capacity) this.seen.clear();
    this.seen.set(path, reason);
    return true;
  }

  /** Forgets a path that read fine, so a later failure is reported again. */
  recovered(path: string): boolean {
    return this.seen.delete(path);
  }
}

export interface ReadOptions {
  /** Byte cap for this file. */
  readonly capBytes?: number;
  /** Count failures but do not log each one (bulk walks log a summary instead). */
  readonly quiet?: boolean;
  /** The kernel renders the file whole on the first read (see readText). */
  readonly singleRead?: boolean;
}

export class FileAccess {
  private readonly counts = new Map<FileErrorReason, number>();

  constructor(
    private readonly log: Logger,
    private readonly memory: FailureMemory,
  ) {}

  /** File errors of this scrape so far, by reason. */
  errors(): ReadonlyMap<FileErrorReason, number> {
    return this.counts;
  }

  readText(path: string, options: ReadOptions = {}): ReadResult {
    const result = readText(path, options.capBytes ?? DEFAULT_READ_CAP_BYTES, options.singleRead ?? false);
    this.observe(path, result, options);
    return result;
  }

  readBytes(path: string, capBytes: number): ReturnType<typeof readBytes> {
    const result = readBytes(path, capBytes);
    this.observe(path, result, {});
    return result;
  }

  list(path: string, options: ReadOptions = {}): ListResult {
    const result = listDir(path);
    this.observe(path, result, options);
    return result;
  }

  /** Whether a directory exists and could be listed, without listing it. */
  probeDir(path: string): ReturnType<typeof probeDir> {
    const result = probeDir(path);
    this.observe(path, result, {});
    return result;
  }

  stat(path: string): StatResult {
    const result = statPath(path);
    this.observe(path, result, {});
    return result;
  }

  /** Resolves a host path under --path.rootfs (see resolveUnderRoot). */
  resolveRoot(rootfs: string, hostPath: string): RootResolution {
    const result = resolveUnderRoot(rootfs, hostPath);
    this.observe(`${rootfs}:${hostPath}`, result, {});
    return result;
  }

  /** Records a file whose content could not be parsed. */
  invalid(path: string, detail: string): UnknownReason {
    this.count("invalid");
    this.report(path, "invalid", { detail });
    return "invalid";
  }

  private observe(
    path: string,
    result: { ok: true } | { ok: false; failure: ReadFailure; code: string },
    options: ReadOptions,
  ): void {
    if (result.ok) {
      if (this.memory.recovered(path)) this.log.info({ path }, "file is readable again");
      return;
    }
    const { failure, code } = result;
    if (failure === "absent") return;
    if (failure === "vanished") {
      this.log.debug({ path, code }, "file vanished while being read");
      return;
    }
    this.count(failure);
    if (!options.quiet) this.report(path, failure, { code });
  }

  private count(reason: FileErrorReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  private report(path: string, reason: string, fields: Record<string, string>): void {
    const entry = { path, reason, ...fields };
    if (this.memory.isNew(path, reason)) this.log.warn(entry, "cannot read file");
    else this.log.debug(entry, "cannot read file (still)");
  }
}

/** Turns a failed read into the reason a fact is unknown; absence stays absence. */
export function failureFact(failure: ReadFailure): { state: "absent" } | { state: "unknown"; reason: UnknownReason } {
  return failure === "absent" ? { state: "absent" } : { state: "unknown", reason: failure };
}
