// Parsers for single-value kernel attributes. Every kernel value ends in one
// "\n"; anything else around the value (garbage, several lines, signs where
// none belong) is rejected rather than guessed at: callers report it as invalid.

const DECIMAL = /^-?\d{1,20}$/;

/** Strips the single trailing newline (and stray spaces) the kernel appends. */
export function trimValue(text: string): string {
  return text.trim();
}

/** A decimal integer that fits a JavaScript number exactly, or undefined. */
export function parseDecimal(text: string): number | undefined {
  const value = trimValue(text);
  if (!DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A non-negative decimal integer of any size (taint masks are unsigned long). */
export function parseUnsignedBig(text: string): bigint | undefined {
  const value = trimValue(text);
  if (!/^\d{1,20}$/.test(value)) return undefined;
  const n = BigInt(value);
  return n <= 0xffff_ffff_ffff_ffffn ? n : undefined;
}

/** "0\n" / "1\n" attributes (enabled, transition, replace, patched, modules_disabled...). */
export function parseBool01(text: string): boolean | undefined {
  const value = trimValue(text);
  if (value === "0") return false;
  if (value === "1") return true;
  return undefined;
}

/** Kernel bool module parameters print "Y"/"N" (sig_enforce). */
export function parseBoolYN(text: string): boolean | undefined {
  const value = trimValue(text);
  if (value === "Y") return true;
  if (value === "N") return false;
  return undefined;
}

/** A positive decimal (stack_order is 1-based). */
export function parsePositive(text: string): number | undefined {
  const n = parseDecimal(text);
  return n !== undefined && n >= 1 ? n : undefined;
}
