// Function directories under /sys/kernel/livepatch/<patch>/<object>/ are named
// "<function>,<sympos>". Function names may contain "." (foo.isra.0) but never
// ",", so the split is on the last comma. Kernels before ~4.5 used the plain
// function name: sympos is then unknown.

export interface FunctionDir {
  readonly name: string;
  readonly sympos: number | undefined;
}

export function parseFunctionDir(dirName: string): FunctionDir | undefined {
  if (dirName.length === 0) return undefined;
  const comma = dirName.lastIndexOf(",");
  if (comma === -1) return { name: dirName, sympos: undefined };
  const name = dirName.slice(0, comma);
  const pos = dirName.slice(comma + 1);
  if (name.length === 0 || !/^\d+$/.test(pos)) return undefined;
  return { name, sympos: Number(pos) };
}
