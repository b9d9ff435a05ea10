// Where a client's binary is: the path given by --collector.<name>.path, or
// the first of its usual paths that is an executable file. Looked up in the
// exporter's own filesystem, not under --path.rootfs: a binary is run where
// the exporter runs, with that root's libraries and daemon sockets.
import fs from "node:fs";
import type { ClientDefinition } from "./definition.js";

export type IsExecutable = (path: string) => boolean;

export const isExecutableFile: IsExecutable = (path) => {
  try {
    if (!fs.statSync(path).isFile()) return false;
    fs.accessSync(path, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The binary to run when it exists; undefined when none does. */
export function findBinary(
  definition: ClientDefinition,
  flagPath: string | undefined,
  isExecutable: IsExecutable = isExecutableFile,
): string | undefined {
  const candidates = flagPath === undefined ? definition.usualPaths : [flagPath];
  return candidates.find((path) => isExecutable(path));
}
