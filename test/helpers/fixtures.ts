// Fixture trees for tests: the real-kernel captures (support/trees.ts) and
// hand-made trees that follow the kernel interface reference for what the
// captured 6.1 kernel cannot show (test/fixtures/handmade.ts).
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { freshDir, realKernelTree } from "../../support/trees.js";
import { HANDMADE, type Entry, type HandmadeName, type TreeSpec } from "../fixtures/handmade.js";

export { freshDir, hostPaths, KMSG_IN_TREE, pathFlags, realKernelTree, scratchDir } from "../../support/trees.js";

/** Builds a hand-made tree by name. */
export function handmadeTree(name: HandmadeName): string {
  return buildTree(HANDMADE[name]);
}

export function buildTree(spec: TreeSpec): string {
  const root =
    spec.base === undefined ? freshDir("tree") : realKernelTree(spec.base, { rootfs: spec.rootfs !== false });
  for (const [relative, entry] of Object.entries(spec.files)) applyEntry(path.join(root, relative), entry);
  return root;
}

function applyEntry(name: string, entry: Entry): void {
  const target = bytesOf(name);
  fs.rmSync(target, { recursive: true, force: true });
  if (entry === null) return;
  fs.mkdirSync(bytesOf(path.dirname(name)), { recursive: true });
  if (typeof entry === "string") fs.writeFileSync(target, entry);
  else if ("dir" in entry) fs.mkdirSync(target, { recursive: true });
  else if ("symlink" in entry) fs.symlinkSync(entry.symlink, target);
  else fs.writeFileSync(target, gzipSync(entry.gzip));
}

/** A path whose %xx stand for bytes, as the file system sees it (a Buffer when it has any). */
function bytesOf(name: string): string | Buffer {
  if (!/%[0-9a-f]{2}/i.test(name)) return name;
  const parts = name
    .split(/(%[0-9a-f]{2})/i)
    .map((part) =>
      /^%[0-9a-f]{2}$/i.test(part) ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part, "utf8"),
    );
  return Buffer.concat(parts);
}
