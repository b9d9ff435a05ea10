// Which failure a finished client command is: the reasons of
// livepatch_client_error. Pure.
import type { ClientDefinition, ClientErrorReason } from "./definition.js";
import type { CommandOutcome } from "./exec.js";

/** Texts every client may print; a vendor's own texts are checked first. */
const GENERIC_FAILURE_TEXTS: readonly (readonly [RegExp, ClientErrorReason])[] = [
  [
    /permission denied|operation not permitted|must be (run as )?root|requires root|root privileges/i,
    "permission_denied",
  ],
  [/command not found/i, "not_found"],
];

export interface ClientFailure {
  readonly reason: ClientErrorReason;
  /** One line for logs and the check report. */
  readonly message: string;
}

/** The failure a command outcome is, or undefined when it exited 0 (its stdout is then to be parsed). */
export function classifyOutcome(definition: ClientDefinition, outcome: CommandOutcome): ClientFailure | undefined {
  switch (outcome.kind) {
    case "spawn_failed":
      if (outcome.code === "ENOENT") return { reason: "not_found", message: outcome.message };
      if (outcome.code === "EACCES" || outcome.code === "EPERM")
        return { reason: "permission_denied", message: outcome.message };
      return { reason: "exec_failed", message: outcome.message };
    case "timeout":
      return { reason: "timeout", message: firstLine(`${outcome.stderr}\n${outcome.stdout}`) };
    case "too_large":
      return { reason: "output_too_large", message: `printed more than ${outcome.bytes - 1} bytes` };
    case "aborted":
      return { reason: "timeout", message: "stopped" };
    case "exited": {
      if (outcome.code === 0) return undefined;
      const text = `${outcome.stderr}\n${outcome.stdout}`;
      const status =
        outcome.code === null ? `killed by ${outcome.signal ?? "a signal"}` : `exit status ${outcome.code}`;
      const message = `${status}: ${firstLine(text)}`;
      const matched = failureText(definition, text);
      if (matched !== undefined) return { reason: matched, message };
      // The shell's conventions for "not found" and "not executable", for wrapper scripts.
      if (outcome.code === 127) return { reason: "not_found", message };
      if (outcome.code === 126) return { reason: "permission_denied", message };
      return { reason: "exit_status", message };
    }
  }
}

/** The reason a known failure text in the output stands for, if any. */
export function failureText(definition: ClientDefinition, text: string): ClientErrorReason | undefined {
  for (const [pattern, reason] of [...definition.failureTexts, ...GENERIC_FAILURE_TEXTS]) {
    if (pattern.test(text)) return reason;
  }
  return undefined;
}

/** The first non-empty line, shortened: enough to recognise the failure in a log. */
export function firstLine(text: string): string {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== "");
  if (line === undefined) return "no output";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
