// Records the git revision beside the compiled code for livepatch_exporter_build_info.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

let revision = "unknown";
try {
  revision = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
} catch {
  // Not a git checkout (e.g. an unpacked tarball): the revision stays unknown.
}
writeFileSync(new URL("../dist/revision.txt", import.meta.url), `${revision}\n`);
