// What the exporter knows about one vendor client: where it is usually
// installed, which commands to run, which failure texts mean what, and how
// its output becomes a ClientView.
import type { ClientName } from "./names.js";
import type { ClientView } from "./view.js";

/** Why a client run failed; each is a label value of livepatch_client_error. */
export const CLIENT_ERROR_REASONS = [
  "not_found",
  "permission_denied",
  "daemon_unreachable",
  "not_enabled",
  "exec_failed",
  "exit_status",
  "timeout",
  "output_too_large",
  "unparseable",
] as const;
export type ClientErrorReason = (typeof CLIENT_ERROR_REASONS)[number];

export interface InterpretContext {
  /** The running kernel's release (uname -r): the kernel the client's commands see. */
  readonly runningRelease: string;
  /** When the run finished, for dates the client gives (coverage end); Date.now() when absent. */
  readonly nowMs?: number;
}

export interface ClientDefinition {
  readonly name: ClientName;
  /** The vendor's product, for logs and the check report. */
  readonly title: string;
  /** Absolute paths tried in order when no --collector.<name>.path is given. */
  readonly usualPaths: readonly string[];
  /** Argument lists to run with the binary, in order; every one must succeed. */
  readonly commands: readonly (readonly string[])[];
  /** Vendor failure texts, checked before the generic ones. */
  readonly failureTexts: readonly (readonly [RegExp, ClientErrorReason])[];
  /**
   * Loads what interpret() needs for these outputs that is not loaded at
   * start-up: a parser only some output formats need (Canonical's YAML).
   * The runner awaits it before interpret().
   */
  readonly loadParser?: (outputs: readonly string[]) => Promise<void>;
  /** The commands' standard outputs (one per command) as a view; undefined when unparseable. */
  interpret(outputs: readonly string[], context: InterpretContext): ClientView | undefined;
  /**
   * A command's output (stdout and stderr) that answers for the whole run
   * whatever its exit status: a working client saying the running kernel is
   * not supported ("your kernel … is not eligible", "Unknown kernel … no
   * patches available") is a state, not a failure. Checked on every command
   * before its exit status; the run stops at the first answer.
   */
  readonly answer?: (text: string, context: InterpretContext) => ClientView | undefined;
  /**
   * Detection yields to this client: when both are installed (SLE 15 ships
   * kgr as a wrapper of klp) only that one is enabled automatically.
   */
  readonly supersededBy?: ClientName;
}
