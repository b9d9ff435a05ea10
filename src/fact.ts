// A fact read from the host, with the difference this exporter exists to keep:
// "the kernel does not have it" (absent) is not "we could not tell" (unknown),
// and neither is 0.
import type { ReadFailure } from "./fs/read.js";

/** Why a fact is unknown: a read failure other than absence, or a value we could not parse. */
export type UnknownReason =
  | Exclude<ReadFailure, "absent">
  | "invalid"
  | "not_mounted"
  | "not_found"
  | "dependency_failed"
  /** The kernel log that would have told was overwritten before it could be read. */
  | "overwritten";

export type Fact<T> =
  | { readonly state: "ok"; readonly value: T }
  | { readonly state: "absent" }
  | { readonly state: "unknown"; readonly reason: UnknownReason };

export const ABSENT: Fact<never> = { state: "absent" };

export function known<T>(value: T): Fact<T> {
  return { state: "ok", value };
}

export function unknown(reason: UnknownReason): Fact<never> {
  return { state: "unknown", reason };
}

export function mapFact<T, U>(fact: Fact<T>, map: (value: T) => U): Fact<U> {
  return fact.state === "ok" ? known(map(fact.value)) : fact;
}
