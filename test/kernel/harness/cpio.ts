// A writer for the "newc" cpio format, the one the kernel unpacks an initramfs
// from. Written here rather than run through cpio(1) so that a layer can hold
// device nodes without mknod (no root needed), and so that the bytes depend on
// the content only (fixed owner, mode and mtime): the same inputs give the same
// archive, which is what the layer cache keys on.
import fs from "node:fs";
import path from "node:path";

export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | { readonly kind: "file"; readonly path: string; readonly data: Buffer; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | {
      readonly kind: "char";
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** The archive of `entries`; parent directories are added where missing. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  const seen = new Set<string>();
  let ino = 1;
  const add = (name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): void => {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [
      ino++,
      mode,
      0,
      0,
      (mode & S_IFDIR) !== 0 ? 2 : 1,
      0,
      data.length,
      0,
      0,
      rdev[0],
      rdev[1],
      nameBytes.length,
      0,
    ];
    const header = `070701${fields.map((f) => f.toString(16).padStart(8, "0")).join("")}`;
    chunks.push(Buffer.from(header), nameBytes, pad(110 + nameBytes.length));
    chunks.push(data, pad(data.length));
  };
  const ensureParents = (name: string): void => {
    const parent = path.posix.dirname(name);
    if (parent === "." || parent === "/" || seen.has(parent)) return;
    ensureParents(parent);
    seen.add(parent);
    add(parent, S_IFDIR | 0o755, Buffer.alloc(0));
  };
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, "");
    if (seen.has(name)) {
      if (entry.kind === "dir") continue; // already made as a parent
      throw new Error(`cpio: ${name} added twice`);
    }
    ensureParents(name);
    seen.add(name);
    switch (entry.kind) {
      case "dir":
        add(name, S_IFDIR | (entry.mode ?? 0o755), Buffer.alloc(0));
        break;
      case "file":
        add(name, S_IFREG | (entry.mode ?? 0o644), entry.data);
        break;
      case "symlink":
        add(name, S_IFLNK | 0o777, Buffer.from(entry.target));
        break;
      case "char":
        add(name, S_IFCHR | entry.mode, Buffer.alloc(0), [entry.major, entry.minor]);
        break;
    }
  }
  add("TRAILER!!!", 0, Buffer.alloc(0));
  return Buffer.concat(chunks);
}

/** Zero bytes that align `length` to 4. */
function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

/** Entries for a host file or directory tree copied to `into` (files keep their executable bit). */
export function treeEntries(source: string, into: string): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const walk = (from: string, to: string): void => {
    const stat = fs.lstatSync(from);
    if (stat.isSymbolicLink()) entries.push({ kind: "symlink", path: to, target: fs.readlinkSync(from) });
    else if (stat.isDirectory()) {
      entries.push({ kind: "dir", path: to });
      for (const name of fs.readdirSync(from).sort()) walk(path.join(from, name), path.posix.join(to, name));
    } else if (stat.isFile()) {
      entries.push({
        kind: "file",
        path: to,
        data: fs.readFileSync(from),
        mode: (stat.mode & 0o111) !== 0 ? 0o755 : 0o644,
      });
    }
  };
  walk(source, into);
  return entries;
}
