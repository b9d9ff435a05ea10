// Runs the real collectors over a fixture tree and returns the snapshot.
import { isClientName } from "../../src/clients/names.js";
import {
  DEFAULT_CLIENT_COLLECTOR_OPTIONS,
  DEFAULT_FUNCTIONS_OPTIONS,
  DEFAULT_TRANSITION_OPTIONS,
  type ClientCollectorOptions,
  type ClientSources,
  type FunctionsOptions,
  type TransitionOptions,
} from "../../src/collectors/options.js";
import type { Derived } from "../../src/derive/index.js";
import { createReaders } from "../../src/exporter.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { COLLECTOR_NAMES, COLLECTORS, type CollectorName } from "../../src/registry.js";
import { SnapshotSource, type Readers } from "../../src/snapshot/collect.js";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { hostPaths } from "./fixtures.js";

export interface CollectOptions {
  readonly enabled?: readonly CollectorName[];
  readonly transition?: Partial<TransitionOptions>;
  readonly functions?: Partial<FunctionsOptions>;
  readonly clientOptions?: Partial<ClientCollectorOptions>;
  /** State sources (runners or fakes) of the clients to collect. */
  readonly clients?: ClientSources;
  /** Replace real readers (to make one fail, hang...). */
  readonly replace?: Partial<Readers>;
  readonly timeoutMs?: number;
  readonly log?: Logger;
}

export function snapshotSource(root: string, options: CollectOptions = {}): SnapshotSource {
  const readers = createReaders({
    options: {
      transition: { ...DEFAULT_TRANSITION_OPTIONS, ...options.transition },
      functions: { ...DEFAULT_FUNCTIONS_OPTIONS, ...options.functions },
      clients: { ...DEFAULT_CLIENT_COLLECTOR_OPTIONS, ...options.clientOptions },
    },
    clients: options.clients ?? {},
    paths: hostPaths(root),
    log: silentLogger,
  });
  return new SnapshotSource({
    paths: hostPaths(root),
    readers: { ...readers, ...options.replace },
    enabled: new Set(
      options.enabled ??
        COLLECTOR_NAMES.filter((name) =>
          isClientName(name) ? options.clients?.[name] !== undefined : COLLECTORS[name].collector.optIn !== true,
        ),
    ),
    timeoutMs: options.timeoutMs ?? 5000,
    log: options.log ?? silentLogger,
  });
}

export function snapshotOf(root: string, options: CollectOptions = {}): Promise<Snapshot> {
  return snapshotSource(root, options).snapshot();
}

/** The facts of a collector, failing the test when it did not succeed. */
export function factsOf<N extends CollectorName>(snapshot: Snapshot, name: N): NonNullable<Snapshot["facts"][N]> {
  const facts = snapshot.facts[name];
  if (facts === undefined) {
    const run = snapshot.runs.find((r) => r.name === name);
    throw new Error(`collector ${name} has no facts: ${run?.error ?? "did not run"}`);
  }
  return facts;
}

/** A derived fact, failing the test when it was not derived. */
export function derivedOf<K extends keyof Derived>(snapshot: Snapshot, key: K): NonNullable<Derived[K]> {
  const value = snapshot.derived[key];
  if (value === undefined) throw new Error(`${key} was not derived`);
  return value;
}

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that records every line, with the bindings of its children merged into the fields. */
export function recordingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, string>): Logger => {
    const at =
      (level: LogLine["level"]) =>
      (fields: object, message: string): void =>
        void lines.push({ level, message, fields: { ...bindings, ...fields } });
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { log: make({}), lines };
}
