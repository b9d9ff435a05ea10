// The golden /metrics cases (test/golden/<name>.prom) and how their output is compared: the same
// fixture trees serve the HTTP test (test/e2e/golden.test.ts) and textfile mode
// (test/e2e/textfile.test.ts), so both outputs are held to the same files.
import { handmadeTree, realKernelTree } from "./fixtures.js";

export const GOLDEN_DIR = new URL("../golden/", import.meta.url);

/** Fixture trees by golden file name. */
export const GOLDEN_CASES: Readonly<Record<string, () => string>> = {
  "basic-enabled": () => realKernelTree("basic-enabled"),
  "busy-stuck": () => realKernelTree("busy-stuck"),
  "lockdown-integrity": () => realKernelTree("lockdown-integrity"),
  "kernel-6.14": () => handmadeTree("kernel-6.14"),
  "kernel-4.15": () => handmadeTree("kernel-4.15"),
  "no-modules": () => handmadeTree("no-modules"),
  "reboot-required": () => handmadeTree("reboot-required"),
  "distro-taint": () => handmadeTree("distro-taint"),
};

/** Flags every golden case is rendered with. */
export const GOLDEN_FLAGS: readonly string[] = ["--collector.transition.blocking-threads"];

/** Families that differ between runs or machines. */
const VOLATILE = [
  /^process_/,
  /^nodejs_/,
  /^livepatch_scrape_collector_duration_seconds$/,
  /^livepatch_exporter_build_info$/,
  /^livepatch_reboot_required_timestamp_seconds$/,
];

/** The HTTP front's own families: served on /metrics, absent from textfile mode (no HTTP). */
export const HTTP_FRONT_FAMILIES: readonly RegExp[] = [/^livepatch_exporter_http_/, /^livepatch_exporter_web_/];

/** Drops volatile families (HELP, TYPE and samples). */
export function stable(exposition: string): string {
  return withoutFamilies(exposition, VOLATILE);
}

/** Drops the families whose names match (HELP, TYPE and samples). */
export function withoutFamilies(exposition: string, families: readonly RegExp[]): string {
  return (
    exposition
      .split("\n")
      .filter((line) => {
        const name = /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
        return name === undefined || !families.some((re) => re.test(name));
      })
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      // A family dropped from the top leaves its blank line behind: the text starts as prom-client's does.
      .replace(/^\n{2,}/, "\n")
      .trimEnd()
      .concat("\n")
  );
}
