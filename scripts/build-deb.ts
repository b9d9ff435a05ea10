// npm run build:deb: the command line of support/build-deb.ts (shared with the tests that build it).
import { main } from "../support/build-deb.js";

main().catch((error: unknown) => {
  process.stderr.write(`build:deb: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
