// The golden /metrics cases (test/golden/<name>.prom) and how their output is compared: the same
// fixture trees serve the HTTP test (test/e2e/golden.test.ts) and textfile mode
// (test/e2e/textfile.test.ts), so both outputs are held to the same files.
import { handmadeTree, realKernelTree } from "./fixtures.js";

export const GOLDEN_DIR = new URL("../golden/", import.meta.url);

/** The opt-in collectors of patched functions. */
export const FUNCTIONS_FLAGS: readonly string[] = [
  "--collector.functions",
  "--collector.redirection",
  "--collector.probes",
];

/** Flags every golden case is rendered with. */
export const GOLDEN_FLAGS: readonly string[] = ["--collector.transition.blocking-threads"];

export interface GoldenCase {
  readonly tree: () => string;
  /** Besides GOLDEN_FLAGS. */
  readonly flags: readonly string[];
}

const real = (name: Parameters<typeof realKernelTree>[0]): GoldenCase => ({
  tree: () => realKernelTree(name),
  flags: [],
});
const handmade = (name: Parameters<typeof handmadeTree>[0], flags: readonly string[] = []): GoldenCase => ({
  tree: () => handmadeTree(name),
  flags,
});

/** Fixture trees by golden file name. */
export const GOLDEN_CASES: Readonly<Record<string, GoldenCase>> = {
  "basic-enabled": real("basic-enabled"),
  "busy-stuck": real("busy-stuck"),
  "lockdown-integrity": real("lockdown-integrity"),
  "kernel-6.14": handmade("kernel-6.14"),
  "kernel-4.15": handmade("kernel-4.15"),
  "no-modules": handmade("no-modules"),
  "reboot-required": handmade("reboot-required"),
  "distro-taint": handmade("distro-taint"),
  "busy-stuck-functions": handmade("busy-stuck-stack", FUNCTIONS_FLAGS),
  probed: handmade("probed", FUNCTIONS_FLAGS),
  "ipmodify-conflict": handmade("ipmodify-conflict", FUNCTIONS_FLAGS),
  "kernel-4.15-functions": handmade("kernel-4.15", FUNCTIONS_FLAGS),
};

/** Hand-made trees made for the patched-functions collectors: their check reports run them. */
export const FUNCTIONS_TREES: ReadonlySet<string> = new Set([
  "busy-stuck-stack",
  "probed",
  "ftrace-disabled",
  "ipmodify-conflict",
  "no-tracefs",
]);

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
