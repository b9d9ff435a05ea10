// Kernel taint: the bit table of kernel/panic.c taint_flags[] (bits 0-19,
// upstream numbers are never reassigned) and its decoding. Bits beyond the
// table (RHEL and SUSE use 27-31, with different meanings) are kept as
// unknown bits, never dropped.

/**
 * What a set bit tells an operator:
 * - error: the kernel hit a problem since boot (oops, warning, MCE, bad page, soft lockup);
 * - livepatch: a live patch module was loaded at some point since boot;
 * - module: a module outside the vendor's signed tree was loaded (expected with third-party live patches);
 * - support: affects vendor support or debugging trust;
 * - info: build or test facts.
 */
export type TaintKind = "error" | "livepatch" | "module" | "support" | "info";

export interface TaintFlag {
  readonly bit: number;
  readonly letter: string;
  readonly name: string;
  readonly description: string;
  readonly kind: TaintKind;
  /** Can appear in /sys/module/<m>/taint and the "(...)" of /proc/modules. */
  readonly perModule: boolean;
}

export const TAINT_FLAGS: readonly TaintFlag[] = [
  flag(0, "P", "PROPRIETARY_MODULE", "proprietary module loaded", "support", true),
  flag(1, "F", "FORCED_MODULE", "module force-loaded", "support", true),
  flag(2, "S", "CPU_OUT_OF_SPEC", "system out of specification", "support", false),
  flag(3, "R", "FORCED_RMMOD", "module force-unloaded", "support", false),
  flag(4, "M", "MACHINE_CHECK", "machine check exception", "error", false),
  flag(5, "B", "BAD_PAGE", "bad page reference or unexpected page flags", "error", false),
  flag(6, "U", "USER", "taint requested by userspace", "support", false),
  flag(7, "D", "DIE", "kernel died recently (oops or BUG)", "error", false),
  flag(8, "A", "OVERRIDDEN_ACPI_TABLE", "ACPI table overridden", "support", false),
  flag(9, "W", "WARN", "kernel issued a warning", "error", false),
  flag(10, "C", "CRAP", "staging driver loaded", "support", true),
  flag(11, "I", "FIRMWARE_WORKAROUND", "working around a severe firmware bug", "support", false),
  flag(12, "O", "OOT_MODULE", "out-of-tree module loaded", "module", true),
  flag(13, "E", "UNSIGNED_MODULE", "unsigned module loaded", "module", true),
  flag(14, "L", "SOFTLOCKUP", "soft lockup occurred", "error", false),
  flag(15, "K", "LIVEPATCH", "kernel has been live patched", "livepatch", true),
  flag(16, "X", "AUX", "auxiliary taint (distribution-defined)", "support", true),
  flag(17, "T", "RANDSTRUCT", "built with struct randomization", "info", true),
  flag(18, "N", "TEST", "an in-kernel test has been run", "info", true),
  flag(19, "J", "FWCTL", "fwctl mutating debug RPC used", "support", true),
];

function flag(
  bit: number,
  letter: string,
  name: string,
  description: string,
  kind: TaintKind,
  perModule: boolean,
): TaintFlag {
  return { bit, letter, name, description, kind, perModule };
}

export const MODULE_TAINT_LETTERS: readonly string[] = TAINT_FLAGS.filter((f) => f.perModule).map((f) => f.letter);

export interface DecodedTaint {
  /** Every upstream bit with whether it is set. */
  readonly flags: readonly { readonly flag: TaintFlag; readonly set: boolean }[];
  /** Set bits the upstream table does not name. */
  readonly unknownBits: readonly number[];
}

export function decodeTaint(value: bigint): DecodedTaint {
  const flags = TAINT_FLAGS.map((f) => ({ flag: f, set: ((value >> BigInt(f.bit)) & 1n) === 1n }));
  const unknownBits: number[] = [];
  for (let bit = TAINT_FLAGS.length; bit < 64; bit += 1) {
    if (((value >> BigInt(bit)) & 1n) === 1n) unknownBits.push(bit);
  }
  return { flags, unknownBits };
}

export function taintFlagByLetter(letter: string): TaintFlag | undefined {
  return TAINT_FLAGS.find((f) => f.letter === letter);
}
