// The common shape of a single-value kernel file: read it, parse it, and say
// "absent" when the kernel has no such file, "unknown" when it could not be
// read or parsed. Such a file is rendered whole on the first read.
import { known, type Fact, unknown } from "../fact.js";
import { failureFact, type FileAccess, type ReadOptions } from "../fs/file-access.js";
import { trimValue } from "../parse/values.js";

export function readFact<T>(
  files: FileAccess,
  path: string,
  parse: (text: string) => T | undefined,
  options: ReadOptions = {},
): Fact<T> {
  const result = files.readText(path, { ...options, singleRead: true });
  if (!result.ok) return failureFact(result.failure);
  const value = parse(result.text);
  if (value !== undefined) return known(value);
  return unknown(files.invalid(path, `unexpected value ${JSON.stringify(trimValue(result.text).slice(0, 40))}`));
}
