// One vocabulary for every vendor, so one dashboard panel serves them all:
// what a client's last successful run says, normalised from its own output.

/**
 * Patch states across vendors:
 * - applied: the patch is active in the running kernel;
 * - applying / removing: in transition (kpatch enabling... / disabling...);
 * - disabled: loaded but not active;
 * - not_loaded: installed for the running kernel but not loaded;
 * - failed: the client tried and failed to apply it;
 * - available: offered by the vendor, not installed (Ksplice --available).
 * Each client reports only the states it can tell apart (ClientView.patches keys).
 */
export const PATCH_STATES = [
  "applied",
  "applying",
  "removing",
  "disabled",
  "not_loaded",
  "failed",
  "available",
] as const;
export type PatchState = (typeof PATCH_STATES)[number];

export interface ClientFix {
  /** CVE-YYYY-NNNN for CVEs (upper case for every vendor), else the vendor's name. */
  readonly name: string;
  readonly patched: boolean;
}

export interface ClientView {
  /** Patches by state (0 for states the client can report but has none in); undefined when unknown. */
  readonly patches: ReadonlyMap<PatchState, number> | undefined;
  /** Fixes (CVEs) the client reports, each once; undefined when the client has no CVE data. */
  readonly fixes: readonly ClientFix[] | undefined;
  /**
   * CVEs for which the client installed a known-exploit detector, not a fix
   * (Ksplice "Known exploit detection for CVE-…"); undefined for clients
   * that have no such updates. Never counted in fixes.
   */
  readonly exploitDetections: readonly string[] | undefined;
  /**
   * The client's own state, as the vendor names it (Canonical Livepatch.State,
   * klp/kgr/kpatch ready or in_progress, KernelCare kpatch-state); a value the
   * exporter does not know passes through. Undefined when the client has none.
   */
  readonly state: string | undefined;
  /** Whether the vendor still supports (covers) the running kernel (Canonical Supported, KernelCare). */
  readonly supportState: string | undefined;
  /** The kernel version the running kernel is patched up to (Ksplice, KernelCare). */
  readonly effectiveKernel: string | undefined;
  /** When the vendor's coverage of the running kernel ends, in seconds since the epoch. */
  readonly coverageEndSeconds: number | undefined;
  /**
   * The client says the running kernel is covered and every live patch
   * available for it is applied (possibly none yet): what lets a kernel
   * reboot wait (Ubuntu Pro's "yes-kernel-livepatches-applied").
   */
  readonly coveredAndPatched: boolean;
  /** What is wrong according to the client, for the check report (empty: nothing). */
  readonly problems: readonly string[];
  /** Other facts worth a line in the check report. */
  readonly details: readonly string[];
}

/** A view that says nothing yet: clients fill in what their output tells. */
export function clientView(fields: Partial<ClientView>): ClientView {
  return {
    patches: undefined,
    fixes: undefined,
    exploitDetections: undefined,
    state: undefined,
    supportState: undefined,
    effectiveKernel: undefined,
    coverageEndSeconds: undefined,
    coveredAndPatched: false,
    problems: [],
    details: [],
    ...fields,
  };
}

/** Counts per state, with every state the client can report present (0 when none). */
export function countByState<T>(
  items: readonly T[],
  states: readonly PatchState[],
  stateOf: (item: T) => PatchState | undefined,
): Map<PatchState, number> {
  const counts = new Map<PatchState, number>(states.map((s) => [s, 0]));
  for (const item of items) {
    const state = stateOf(item);
    if (state !== undefined) counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return counts;
}

/** Fixes each once by name; a fix reported both patched and not counts as patched. */
export function uniqueFixes(fixes: Iterable<ClientFix>): ClientFix[] {
  const byName = new Map<string, boolean>();
  for (const fix of fixes) byName.set(fix.name, (byName.get(fix.name) ?? false) || fix.patched);
  return [...byName].map(([name, patched]) => ({ name, patched }));
}
