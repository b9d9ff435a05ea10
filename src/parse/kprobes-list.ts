// /sys/kernel/debug/kprobes/list (debugfs): one line per registered kprobe or
// kretprobe, kernel/kprobes.c report_probe():
//
//   "%px  %s  %s+0x%x  %s " address, "k" or "r", symbol+offset, module (or " "), then the
//   flags "[GONE]" (its module was unloaded), "[DISABLED]", "[OPTIMIZED]" (a jump instead of
//   a breakpoint), "[FTRACE]" (armed through ftrace at the function's call site)
//   "%px  %s  %pS " when the address has no symbol
//
// The address is zeros without CAP_SYSLOG (kallsyms_show_value) and was "%p",
// hashed, in 4.15-4.19; only the symbol, offset and module are used.

export interface Kprobe {
  readonly kind: "kprobe" | "kretprobe";
  readonly symbol: string;
  readonly offset: number;
  /** The module the probed code is in; undefined for vmlinux. */
  readonly module: string | undefined;
  readonly gone: boolean;
  readonly disabled: boolean;
  /** Armed through ftrace: the probe sits on the function's ftrace call site, at its entry. */
  readonly ftrace: boolean;
}

export interface KprobesList {
  readonly probes: readonly Kprobe[];
  readonly invalidLines: number;
}

const TYPE: Readonly<Record<string, Kprobe["kind"]>> = { k: "kprobe", r: "kretprobe" };
const PLACE = /^([A-Za-z_.$][\w.$]*)\+0x([0-9a-f]+)(?:\/0x[0-9a-f]+)?$/;
const FLAGS = /^(?:\[(?:GONE|DISABLED|OPTIMIZED|FTRACE)\])+$/;
const MODULE = /^\[?([\w.-]+)\]?$/;

export function parseKprobesList(text: string): KprobesList {
  const probes: Kprobe[] = [];
  let invalidLines = 0;
  for (const line of text.split("\n")) {
    if (line.trim().length === 0) continue;
    const probe = parseLine(line);
    if (probe === undefined) invalidLines += 1;
    else probes.push(probe);
  }
  return { probes, invalidLines };
}

function parseLine(line: string): Kprobe | undefined {
  const [, type = "", place = "", ...rest] = line.trim().split(/\s+/);
  const kind = TYPE[type];
  const [, symbol, offset] = PLACE.exec(place) ?? [];
  if (kind === undefined || symbol === undefined || offset === undefined) return undefined;
  let module: string | undefined;
  let flags = "";
  for (const token of rest) {
    const named = MODULE.exec(token)?.[1];
    if (FLAGS.test(token)) flags += token;
    else if (named !== undefined && module === undefined && flags === "") module = named;
    else return undefined;
  }
  return {
    kind,
    symbol,
    offset: Number.parseInt(offset, 16),
    module,
    gone: flags.includes("[GONE]"),
    disabled: flags.includes("[DISABLED]"),
    ftrace: flags.includes("[FTRACE]"),
  };
}
