// The options collectors are made with (the --collector.<name>.* flags), and
// their defaults, apart from the collectors so that every collector can take
// them without importing another.
import type { ClientName } from "../clients/names.js";
import type { ClientStateSource } from "../clients/runner.js";

export interface TransitionOptions {
  /** Upper bound on threads read per scrape. */
  readonly maxThreads: number;
  /** Report pid/tid/comm of blocking threads. */
  readonly blockingThreads: boolean;
  /** At most this many blocking threads are reported. */
  readonly blockingThreadsLimit: number;
}

export const DEFAULT_TRANSITION_OPTIONS: TransitionOptions = {
  maxThreads: 100_000,
  blockingThreads: false,
  blockingThreadsLimit: 20,
};

/** The opt-in collectors of patched functions (functions, redirection, probes). */
export interface FunctionsOptions {
  /** At most this many functions are listed one by one (per-function series and report lines). */
  readonly limit: number;
}

export const DEFAULT_FUNCTIONS_OPTIONS: FunctionsOptions = { limit: 500 };

export interface ClientCollectorOptions {
  readonly fixInfo: boolean;
  readonly fixInfoLimit: number;
}

export const DEFAULT_CLIENT_COLLECTOR_OPTIONS: ClientCollectorOptions = { fixInfo: false, fixInfoLimit: 100 };

export interface CollectorOptions {
  readonly transition: TransitionOptions;
  readonly functions: FunctionsOptions;
  readonly clients: ClientCollectorOptions;
}

/** The background runners of the clients this process runs; a client without one is not running. */
export type ClientSources = Partial<Readonly<Record<ClientName, ClientStateSource>>>;
