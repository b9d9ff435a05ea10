// Names read from the host (patches, objects, modules, threads' comm, kernel
// strings) are bytes the kernel accepted, not text anyone vetted: a control
// character (ESC, NUL, newline...) must not reach a terminal, a label value or
// a page raw. Every view shows such names through this one function: each
// C0 or C1 control character and DEL becomes \xHH. Bytes that are not valid
// UTF-8 never get here: the file system layer decodes them as U+FFFD, which
// is printable, and the collectors report the names they could not read
// (livepatch: LivepatchFacts.undecodable).

// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

export function escapeControl(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Label values with escapeControl applied; the same object when nothing needed escaping (the usual case). */
export function escapeLabels<L extends Readonly<Record<string, string>>>(labels: L): L {
  for (const key in labels) {
    if (CONTROL.test(labels[key] ?? "")) {
      return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, escapeControl(v)])) as L;
    }
  }
  return labels;
}
