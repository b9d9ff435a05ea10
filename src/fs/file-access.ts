// The reads one collector makes during one scrape, with their failures
// tallied (for livepatch_scrape_collector_file_errors) and logged.
//
// Logging is deduplicated across scrapes: a file that stays unreadable (or
// keeps an invalid content) is reported at warn once, when its failure starts
// or changes, then at debug, so a permanent condition does not write a line
// every 15 seconds; "readable again" is logged once, when a scrape reads it
// and finds nothing wrong with it.
import type { UnknownReason } from "../fact.js";
import type { Logger } from "../log.js";
import {
  DEFAULT_READ_CAP_BYTES,
  listDir,
  listNames,
  probeDir,
  readBytes,
  readText,
  type Failed,
  type ListResult,
  type NamesResult,
  type ReadFailure,
  type ReadResult,
  type StatResult,
} from "./read.js";
import type { RootFiles, RootListResult } from "./root-files.js";

/** Failures counted as file errors. "absent" is normal, "vanished" is a normal race. */
export type FileErrorReason = Exclude<ReadFailure, "absent" | "vanished"> | "invalid";
export const FILE_ERROR_REASONS: readonly FileErrorReason[] = [
  "unreadable",
  "too_large",
  "io_error",
  "not_regular",
  "outside_rootfs",
  "invalid",
];

/** Remembers which paths already produced a warning; bounded so it cannot grow without limit. */
export class FailureMemory {
  private readonly seen = new Map<string, string>();
  constructor(private readonly capacity = 4096) {}

  /** Whether a failure of this path is remembered (cheap: most paths have none). */
  has(path: string): boolean {
    return this.seen.has(path);
  }

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
  /** Its directory entry, just listed, says it is a regular file (spares an fstat; see readText). */
  readonly listedRegular?: boolean;
}

/** Files refused rather than failed: the log says why, for whoever reads it during an attack. */
const REFUSALS: Partial<Record<FileErrorReason, string>> = {
  not_regular: "refused to read what is not a regular file (a directory, FIFO, socket or device)",
  outside_rootfs: "refused to read a file outside --path.rootfs (a symlink was swapped in while it was opened)",
};

export class FileAccess {
  private readonly counts = new Map<FileErrorReason, number>();
  /** Paths with a remembered failure that read fine in this scrape: recovered, unless found invalid. */
  private readonly readAgain = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly memory: FailureMemory,
    private readonly root: RootFiles,
  ) {}

  /** File errors of this scrape so far, by reason. */
  errors(): ReadonlyMap<FileErrorReason, number> {
    return this.counts;
  }

  readText(path: string, options: ReadOptions = {}): ReadResult {
    const result = readText(
      path,
      options.capBytes ?? DEFAULT_READ_CAP_BYTES,
      options.singleRead ?? false,
      options.listedRegular ?? false,
    );
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

  /** The names in a directory, without their types (cheaper, for long walks). */
  listNames(path: string, options: ReadOptions = {}): NamesResult {
    const result = listNames(path);
    this.observe(path, result, options);
    return result;
  }

  /** Whether a directory exists and could be listed, without listing it. */
  probeDir(path: string): ReturnType<typeof probeDir> {
    const result = probeDir(path);
    this.observe(path, result, {});
    return result;
  }

  /** A file of the host's root filesystem, by its host path (see RootFiles): the name logged is local. */
  async readRootText(hostPath: string, capBytes: number = DEFAULT_READ_CAP_BYTES): Promise<ReadResult> {
    const result = await this.root.readText(hostPath, capBytes);
    this.observe(this.root.local(hostPath), result, {});
    return result;
  }

  async statRoot(hostPath: string): Promise<StatResult> {
    const result = await this.root.stat(hostPath);
    this.observe(this.root.local(hostPath), result, {});
    return result;
  }

  async listRoot(hostPath: string): Promise<RootListResult> {
    const result = await this.root.list(hostPath);
    this.observe(this.root.local(hostPath), result, {});
    return result;
  }

  /** The local name of a host path under --path.rootfs, as logs and invalid() name it. */
  rootPath(hostPath: string): string {
    return this.root.local(hostPath);
  }

  /** Records a file whose content could not be parsed. */
  invalid(path: string, detail: string): UnknownReason {
    this.readAgain.delete(path);
    this.count("invalid");
    this.report(path, "invalid", { detail });
    return "invalid";
  }

  /**
   * The collector is done with this scrape: the files that failed before and
   * read fine now, with no invalid content either, have recovered.
   */
  finish(): void {
    for (const path of this.readAgain) {
      if (this.memory.recovered(path)) this.log.info({ path }, "file is readable again");
    }
    this.readAgain.clear();
  }

  private observe(path: string, result: { ok: true } | Failed, options: ReadOptions): void {
    if (result.ok) {
      if (this.memory.has(path)) this.readAgain.add(path);
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

  private report(path: string, reason: FileErrorReason, fields: Record<string, string>): void {
    const entry = { path, reason, ...fields };
    const message = REFUSALS[reason] ?? "cannot read file";
    if (this.memory.isNew(path, reason)) this.log.warn(entry, message);
    else this.log.debug(entry, `${message} (still)`);
  }
}

/** Turns a failed read into the reason a fact is unknown; absence stays absence. */
export function failureFact(failure: ReadFailure): { state: "absent" } | { state: "unknown"; reason: UnknownReason } {
  return failure === "absent" ? { state: "absent" } : { state: "unknown", reason: failure };
}
