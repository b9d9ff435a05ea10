#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --single-threaded --v8-pool-size=1
// The entry point. Before the program is loaded it checks the one thing that
// must hold for loading to succeed at all, the open file limit (the module
// loader opens dozens of files at once); below it, one clear line and exit
// code 1 instead of an EMFILE stack trace. The program itself, and what the
// configuration needs of the limit, are src/program.ts.
import { openFileLimit, RUNTIME_FILES, startupLimitMessage } from "./file-limit.js";

const limit = openFileLimit();
if (limit !== undefined && limit < RUNTIME_FILES) {
  process.stderr.write(`livepatch_exporter: ${startupLimitMessage(limit)}\n`);
  process.exit(1);
}
// Not a top-level await: the single binary bundles this file as CommonJS, which has none.
import("./program.js").catch((error: unknown) => {
  process.stderr.write(
    `livepatch_exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
