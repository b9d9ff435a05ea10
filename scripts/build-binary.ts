// npm run build:binary: the command line of support/build-binary.ts (shared with the tests that build it).
import { main } from "../support/build-binary.js";

main().catch((error: unknown) => {
  process.stderr.write(`build:binary: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
