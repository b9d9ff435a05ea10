// ftrace's enabled_functions (tracefs): one record per function whose ftrace
// call site is live, with the number of callbacks (ftrace_ops) attached, the
// record's flags and, when the kernel shows them, the callbacks themselves.
// kernel/trace/ftrace.c t_show(); the shape grew over the years:
//
//   4.x    "cmdline_proc_show (1) R I\ttramp: 0x... (klp_ftrace_handler+0x0/0x110) ->klp_ftrace_handler+0x0/0x110"
//          " (%ld)%s%s": count, " R" (regs), " I" (IPMODIFY); "\ttramp: %pS (%pS)" per trampoline
//          (the trampoline, then its ops' callback), " ->%pS" where the trampoline calls
//   5.5    + " D" (a direct call, BPF trampolines) and a second line "\tdirect-->%pS" (from 5.6)
//   6.3    + " O" (arm64 CALL_OPS) and "\tops: %pS (%pS)" (the ops, then its callback)
//   6.5    + " M " (the function was modified by a direct or IPMODIFY user since boot)
//   6.14   + " {%pS (%pS)}" / " {%pS}" / " {ent:%pS ret:%pS}" after a manager ops: its sub-ops
//
// A function in a module is printed "name [module]". With more than one ops
// no trampoline is shown (x86 since 5.x prints " ->ftrace_ops_list_func+...",
// older kernels and other architectures nothing). Lines we cannot read are
// counted, never guessed.

export interface FtraceRecord {
  /** The function as kallsyms names it ("cmdline_proc_show", "foo.isra.0"). */
  readonly symbol: string;
  /** The module it lives in; undefined for vmlinux. */
  readonly module: string | undefined;
  /** Callbacks (ftrace_ops) attached to the call site. */
  readonly ops: number;
  /** " I": a callback may change the instruction pointer (a live patch, an ipmodify kprobe). */
  readonly ipmodify: boolean;
  /** " D": a direct call (BPF trampoline) is attached. */
  readonly direct: boolean;
  /** The callback of each ops the kernel names ("tramp: x (cb)", "ops: x (cb)", sub-ops): function names. */
  readonly callbacks: readonly string[];
  /** Every function name the record's detail mentions (callbacks, "->target", "direct-->target"). */
  readonly mentions: readonly string[];
}

export interface EnabledFunctions {
  readonly records: readonly FtraceRecord[];
  readonly invalidLines: number;
}

/** What every record line has, checked cheaply on the lines nobody asked for. */
const RECORD_SHAPE = /^\S+(?: \[[^\]\s]+\])? \(\d+\)/;
/** "name [module] (count)" then the flags and detail. */
const HEAD = /^(\S+)(?: \[([^\]\s]+)\])? \((\d+)\)(.*)$/;
/** A %pS symbol: "name+0xoff/0xsize" with an optional " [module]". */
const SYMBOL = /([A-Za-z_.$][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/g;
/** The callback of a trampoline or ops: "tramp: <tramp> (<callback>)", "ops: <ops> (<callback>)". */
const CALLBACK = /(?:tramp|ops): \S+(?: \[[^\]]+\])? \(([A-Za-z_.$][\w.$]*)\+0x/g;
/** Sub-ops (6.14+): " {<tramp> (<callback>)}" or " {<callback>}". */
const SUBOPS = /\{(?:\S+ \()?([A-Za-z_.$][\w.$]*)\+0x/g;

/**
 * @param keep parse only the records of these functions (by symbol): the file
 *   lists every traced function, and the callers want a few.
 */
export function parseEnabledFunctions(text: string, keep: (symbol: string) => boolean = () => true): EnabledFunctions {
  const records: FtraceRecord[] = [];
  let invalidLines = 0;
  let skipping = false;
  for (const line of text.split("\n")) {
    if (line.trim().length === 0) continue;
    if (line.startsWith("\t")) {
      // A continuation ("\tdirect-->target", 5.6+) belongs to the record above it.
      if (skipping) continue;
      const last = records.pop();
      if (last === undefined) invalidLines += 1;
      else records.push({ ...last, mentions: [...last.mentions, ...symbols(line)] });
      continue;
    }
    const space = line.indexOf(" ");
    skipping = !keep(space === -1 ? line : line.slice(0, space));
    if (skipping) {
      // Not parsed, but still one of the kernel's lines: anything else makes the file suspect.
      if (!RECORD_SHAPE.test(line)) invalidLines += 1;
      continue;
    }
    const record = parseRecord(line);
    if (record !== undefined) records.push(record);
    else {
      invalidLines += 1;
      skipping = true; // its continuation lines are not another record's
    }
  }
  return { records, invalidLines };
}

function parseRecord(line: string): FtraceRecord | undefined {
  const match = HEAD.exec(line);
  const [, symbol, module, count, rest = ""] = match ?? [];
  if (symbol === undefined || count === undefined) return undefined;
  const ops = Number(count);
  if (!Number.isSafeInteger(ops)) return undefined;
  // The flags are single letters in the columns before the first tab or "->".
  const detailAt = rest.search(/\t| ->|\{/);
  const flags = detailAt === -1 ? rest : rest.slice(0, detailAt);
  if (!/^[ RIDOM]*$/.test(flags)) return undefined;
  const detail = detailAt === -1 ? "" : rest.slice(detailAt);
  return {
    symbol,
    module,
    ops,
    ipmodify: flags.includes("I"),
    direct: flags.includes("D"),
    callbacks: [...detail.matchAll(CALLBACK), ...detail.matchAll(SUBOPS)].map((m) => m[1] ?? ""),
    mentions: symbols(detail),
  };
}

function symbols(text: string): string[] {
  return [...text.matchAll(SYMBOL)].map((m) => m[1] ?? "");
}
