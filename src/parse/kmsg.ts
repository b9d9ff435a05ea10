// /dev/kmsg records (Documentation/ABI/testing/dev-kmsg): one record per
// read(2) of the device, or one per line of a saved copy of it:
//
//   <prio>,<seq>,<usec>,<flags>[,<more fields>...];<message>\n
//    KEY=value\n                       continuation ("dictionary") lines, each
//                                      starting with a space (SUBSYSTEM=, DEVICE=)
//
// prio is (facility << 3) | level: the kernel's own messages have facility 0;
// userspace writing to /dev/kmsg gets facility 1 (LOG_USER) or more and can
// never claim facility 0 (devkmsg_write), so only facility-0 records are the
// kernel's word. seq is a 64-bit counter of records since boot, usec the
// record's local_clock() time in microseconds since boot (it excludes
// suspend). Newer kernels append fields before the ';' (",caller=T123" with
// CONFIG_PRINTK_CALLER); "unknown fields should be gracefully ignored".
// Non-printable bytes and "\" in the message are escaped as \xNN, so a
// multi-line message stays on one line (\x0a).

export interface KmsgRecord {
  readonly facility: number;
  readonly level: number;
  /** Sequence number of the record since boot. */
  readonly seq: number;
  /** Microseconds since boot (the kernel's local clock). */
  readonly usec: number;
  /** "-" normal, "c" continuation start, "+" continuation fragment (older kernels). */
  readonly flags: string;
  /** The message, still escaped as the kernel wrote it. */
  readonly message: string;
  /** Continuation lines (KEY=value), without their leading space. */
  readonly dictionary: readonly string[];
}

/** The kernel's own facility (LOG_KERN). */
export const KERNEL_FACILITY = 0;

/** prio fits in 10 bits: facility 0-127, level 0-7 (LOG_FACMASK). */
const MAX_PRIO = 1023;

const HEADER = /^(\d{1,4}),(\d{1,20}),(\d{1,20}),([^,;]*)((?:,[^;]*)?);/;

/**
 * Splits text read from the log into record texts: a line that does not start
 * with a space begins a record, the lines after it that do are its
 * continuation lines. A read of the device returns exactly one record; a
 * saved copy holds many.
 */
export function splitRecords(text: string): string[] {
  const records: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const last = records.length - 1;
    if (line.startsWith(" ") && last >= 0) records[last] = `${records[last] ?? ""}\n${line}`;
    else records.push(line);
  }
  return records;
}

/** One record's text (header line and continuation lines); undefined when it is not a record. */
export function parseRecord(text: string): KmsgRecord | undefined {
  const newline = text.indexOf("\n");
  const first = newline === -1 ? text : text.slice(0, newline);
  const match = HEADER.exec(first);
  if (match === null) return undefined;
  const [header = "", prioText = "", seqText = "", usecText = "", flags = ""] = match;
  const prio = Number(prioText);
  const seq = Number(seqText);
  const usec = Number(usecText);
  if (prio > MAX_PRIO || !Number.isSafeInteger(seq) || !Number.isSafeInteger(usec)) return undefined;
  if (flags.length > 1) return undefined;
  const dictionary =
    newline === -1
      ? []
      : text
          .slice(newline + 1)
          .split("\n")
          .filter((line) => line.startsWith(" "))
          .map((line) => line.slice(1));
  return {
    facility: prio >> 3,
    level: prio & 7,
    seq,
    usec,
    flags,
    message: first.slice(header.length).replace(/\r$/, ""),
    dictionary,
  };
}
