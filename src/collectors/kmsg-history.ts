// What the kernel log has said since boot, built up record by record as the
// kmsg collector reads them. Pure: no I/O, no clock.
//
// - Sequence numbers: a record at or below the last one seen was already
//   counted (the log is replayed whenever it is opened again) and is skipped;
//   a jump counts the records between as lost (overwritten before they were
//   read, including those gone before the exporter started).
// - Transitions: "'<patch>': starting <direction> transition" opens one,
//   "'<patch>': <direction> complete" closes it. Only one transition runs at a
//   time, so "signaling remaining tasks" and "forcing remaining tasks", which
//   name no patch, belong to the one open. A start in the other direction
//   while a patch's transition is open is a reversal (the kernel restarts the
//   transition; its own "reversing" line is debug-only).
// - A patch's "forced" is known false only when its life since its
//   "enabling patch" line is in the log without a gap.
import { known, type Fact, unknown } from "../fact.js";
import {
  classifyMessage,
  type Direction,
  type LivepatchEvent,
  type LivepatchMessage,
  type ModuleEvent,
  REFUSAL_REASONS,
  type RefusalReason,
} from "../parse/kmsg-messages.js";
import { KERNEL_FACILITY, type KmsgRecord } from "../parse/kmsg.js";

/** Distinct patch and module names remembered; more are counted under "" (a log full of garbage stays bounded). */
export const MAX_NAMES = 512;

export interface TransitionEntry {
  readonly direction: Direction;
  readonly startUsec: number;
  readonly startSeq: number;
  /** When its "complete" line was logged; undefined while it runs. */
  readonly endUsec: number | undefined;
}

export interface PatchLog {
  readonly name: string;
  /** Whether a transition of this patch was forced since boot; unknown when the log may have lost it. */
  readonly forced: Fact<boolean>;
  /** When the forcing was logged (microseconds since boot). */
  readonly forcedAtUsec: number | undefined;
  /** Its latest transition, running or completed. */
  readonly latest: TransitionEntry | undefined;
  /** Its last completed transition that the log shows from start to end. */
  readonly lastCompleted: { readonly direction: Direction; readonly seconds: number } | undefined;
}

export interface Counted<L extends string> {
  readonly event: L;
  readonly name: string;
  readonly count: number;
}

/** A copy of the history at one moment, for one scrape's facts. */
export interface KmsgLog {
  /** Records read (every facility). */
  readonly records: number;
  /** Records this boot has logged that were never read: overwritten first. */
  readonly lost: number;
  /** The first sequence number of the most recent gap, if any. */
  readonly lastLossSeq: number | undefined;
  /** Texts that are not records. */
  readonly malformed: number;
  readonly events: readonly Counted<LivepatchEvent>[];
  readonly moduleEvents: readonly Counted<ModuleEvent>[];
  /** The refused module loads by reason, only the reasons seen, in REFUSAL_REASONS' order. */
  readonly refusals: ReadonlyMap<RefusalReason, Refusals>;
  readonly patches: readonly PatchLog[];
  /** The transition the log shows running (opened, not completed). */
  readonly open: { readonly patch: string; readonly entry: TransitionEntry } | undefined;
  /** Sequence number of the last record read. */
  readonly lastSeq: number | undefined;
}

export interface Refusals {
  readonly count: number;
  /** When the last of them was logged, in microseconds since boot. */
  readonly lastUsec: number;
}

interface PatchState {
  /** Sequence number of its first "enabling patch" line, if the log has it. */
  enablingSeq: number | undefined;
  forcedAtUsec: number | undefined;
  latest: TransitionEntry | undefined;
  lastCompleted: { direction: Direction; seconds: number } | undefined;
}

export class KmsgHistory {
  private records = 0;
  private malformed = 0;
  private lost = 0;
  private lastLossSeq: number | undefined;
  private lastSeq: number | undefined;
  private readonly events = new Map<string, number>();
  private readonly moduleEvents = new Map<string, number>();
  private readonly refusals = new Map<RefusalReason, Refusals>();
  private readonly patches = new Map<string, PatchState>();
  private readonly modules = new Set<string>();
  private open: { patch: string; entry: TransitionEntry } | undefined;
  /** The patch whose "enabling patch" line came last, until its transition starts or its enable fails. */
  private enabling: string | undefined;
  private namesOverflowed = false;

  /** Whether names beyond MAX_NAMES were folded into "" (reported once by the collector). */
  get overflowed(): boolean {
    return this.namesOverflowed;
  }

  /** A text that is not a record. */
  addMalformed(): void {
    this.malformed += 1;
  }

  /** Adds one record; false when it was already counted. */
  add(record: KmsgRecord): boolean {
    if (this.lastSeq !== undefined && record.seq <= this.lastSeq) return false;
    const expected = this.lastSeq === undefined ? 0 : this.lastSeq + 1;
    if (record.seq > expected) {
      this.lost += record.seq - expected;
      this.lastLossSeq = expected;
    }
    this.lastSeq = record.seq;
    this.records += 1;
    if (record.facility === KERNEL_FACILITY) this.interpret(record);
    return true;
  }

  snapshot(): KmsgLog {
    return {
      records: this.records,
      lost: this.lost,
      lastLossSeq: this.lastLossSeq,
      malformed: this.malformed,
      events: counted<LivepatchEvent>(this.events),
      moduleEvents: counted<ModuleEvent>(this.moduleEvents),
      refusals: new Map(
        REFUSAL_REASONS.flatMap((reason) => {
          const seen = this.refusals.get(reason);
          return seen === undefined ? [] : [[reason, seen] as const];
        }),
      ),
      patches: [...this.patches].map(([name, state]) => this.patchLog(name, state)),
      open: this.open,
      lastSeq: this.lastSeq,
    };
  }

  private patchLog(name: string, state: PatchState): PatchLog {
    let forced: Fact<boolean>;
    if (state.forcedAtUsec !== undefined) forced = known(true);
    else if (
      state.enablingSeq !== undefined &&
      (this.lastLossSeq === undefined || this.lastLossSeq < state.enablingSeq)
    )
      forced = known(false);
    else forced = unknown("overwritten");
    return {
      name,
      forced,
      forcedAtUsec: state.forcedAtUsec,
      latest: state.latest,
      lastCompleted: state.lastCompleted,
    };
  }

  private interpret(record: KmsgRecord): void {
    const message = classifyMessage(record.message);
    if (message === undefined) return;
    if (message.source === "module") {
      const module = this.moduleName(message.module);
      increment(this.moduleEvents, key(message.event, module));
      if (message.refusal !== undefined) this.refuse(message.refusal, record);
      return;
    }
    this.livepatch(message.message, record);
  }

  private livepatch(message: LivepatchMessage, record: KmsgRecord): void {
    switch (message.kind) {
      case "enabling": {
        const patch = this.patch(message.patch);
        this.enabling = patch;
        const state = this.patches.get(patch);
        if (state !== undefined) state.enablingSeq ??= record.seq;
        this.count("enabling", patch);
        return;
      }
      case "disabling":
        this.count("disabling", this.patch(message.patch));
        return;
      case "start":
        this.start(this.patch(message.patch), message.direction, record);
        return;
      case "complete":
        this.complete(this.patch(message.patch), message.direction, record);
        return;
      case "signaling":
        this.count("signaling", this.open?.patch ?? "");
        return;
      case "forcing": {
        const patch = this.open?.patch ?? "";
        const state = this.patches.get(patch);
        if (state !== undefined) state.forcedAtUsec ??= record.usec;
        this.count("forcing", patch);
        return;
      }
      case "enable_failed": {
        // 4.12+: the kernel cancels the patching transition it had initialised; the module's init fails.
        const patch = this.patch(message.patch);
        if (this.enabling === patch) this.enabling = undefined;
        this.count("enable_failed", patch);
        this.count("cancelling", patch);
        this.refuse("patch_enable_failed", record);
        return;
      }
      case "applying_to_module":
      case "reverting_from_module":
      case "apply_failed":
        this.count(message.kind, this.patch(message.patch));
        return;
      case "module_refused":
        this.count("module_refused", this.patch(message.patch));
        this.refuse("patch_apply_failed", record);
        return;
      case "debug":
      case "other": {
        const patch =
          message.patch === undefined ? (this.open?.patch ?? this.enabling ?? "") : this.patch(message.patch);
        this.count(message.kind, patch);
        return;
      }
    }
  }

  private start(patch: string, direction: Direction, record: KmsgRecord): void {
    if (this.open?.patch === patch && this.open.entry.direction !== direction) {
      this.count("reversing", patch);
    }
    const entry: TransitionEntry = { direction, startUsec: record.usec, startSeq: record.seq, endUsec: undefined };
    this.open = { patch, entry };
    if (this.enabling === patch) this.enabling = undefined;
    const state = this.patches.get(patch);
    if (state !== undefined) state.latest = entry;
    this.count(direction === "patching" ? "patching_started" : "unpatching_started", patch);
  }

  private complete(patch: string, direction: Direction, record: KmsgRecord): void {
    const state = this.patches.get(patch);
    const latest = state?.latest;
    if (state !== undefined && latest !== undefined && latest.endUsec === undefined) {
      state.latest = { ...latest, endUsec: record.usec };
      state.lastCompleted = { direction, seconds: Math.max(0, record.usec - latest.startUsec) / 1e6 };
    }
    if (this.open?.patch === patch) this.open = undefined;
    this.count(direction === "patching" ? "patching_complete" : "unpatching_complete", patch);
  }

  /** The name to count a patch under, remembering it (at most MAX_NAMES of them). */
  private patch(name: string): string {
    if (this.patches.has(name)) return name;
    if (this.patches.size >= MAX_NAMES) {
      this.namesOverflowed = true;
      return "";
    }
    this.patches.set(name, {
      enablingSeq: undefined,
      forcedAtUsec: undefined,
      latest: undefined,
      lastCompleted: undefined,
    });
    return name;
  }

  private moduleName(name: string): string {
    if (name === "" || this.modules.has(name)) return name;
    if (this.modules.size >= MAX_NAMES) {
      this.namesOverflowed = true;
      return "";
    }
    this.modules.add(name);
    return name;
  }

  private count(event: LivepatchEvent, patch: string): void {
    increment(this.events, key(event, patch));
  }

  private refuse(reason: RefusalReason, record: KmsgRecord): void {
    this.refusals.set(reason, { count: (this.refusals.get(reason)?.count ?? 0) + 1, lastUsec: record.usec });
  }
}

const SEPARATOR = "\u0000";

function key(event: string, name: string): string {
  return `${event}${SEPARATOR}${name}`;
}

function increment(map: Map<string, number>, k: string): void {
  map.set(k, (map.get(k) ?? 0) + 1);
}

function counted<L extends string>(map: ReadonlyMap<string, number>): Counted<L>[] {
  return [...map].map(([k, count]) => {
    const at = k.indexOf(SEPARATOR);
    return { event: k.slice(0, at) as L, name: k.slice(at + 1), count };
  });
}
