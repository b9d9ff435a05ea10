// The whole exporter as main.ts assembles it (in this process) over fixture
// trees: /metrics compared with committed golden files (UPDATE_GOLDEN=1 npm test
// rewrites them) and checked by promtool.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, describe, it } from "node:test";
import { handmadeTree, pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { promtool } from "../helpers/promtool.js";
import { startFront, type ServedFront } from "../helpers/front.js";

const GOLDEN_DIR = new URL("../golden/", import.meta.url);

/** Families that differ between runs or machines. */
const VOLATILE = [
  /^process_/,
  /^nodejs_/,
  /^livepatch_scrape_collector_duration_seconds$/,
  /^livepatch_exporter_build_info$/,
  /^livepatch_reboot_required_timestamp_seconds$/,
];

/** Drops volatile families (HELP, TYPE and samples). */
export function stable(exposition: string): string {
  return exposition
    .split("\n")
    .filter((line) => {
      const name = /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
      return name === undefined || !VOLATILE.some((re) => re.test(name));
    })
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()
    .concat("\n");
}

/** The opt-in collectors of patched functions. */
const FUNCTIONS = ["--collector.functions", "--collector.redirection", "--collector.probes"];

/** A tree, or a tree and the flags it is scraped with besides --collector.transition.blocking-threads. */
const CASES: Record<string, (() => string) | { tree: () => string; flags: readonly string[] }> = {
  "basic-enabled": () => realKernelTree("basic-enabled"),
  "busy-stuck": () => realKernelTree("busy-stuck"),
  "kernel-6.14": () => handmadeTree("kernel-6.14"),
  "kernel-4.15": () => handmadeTree("kernel-4.15"),
  "no-modules": () => handmadeTree("no-modules"),
  "reboot-required": () => handmadeTree("reboot-required"),
  "distro-taint": () => handmadeTree("distro-taint"),
  "busy-stuck-functions": { tree: () => handmadeTree("busy-stuck-stack"), flags: FUNCTIONS },
  probed: { tree: () => handmadeTree("probed"), flags: FUNCTIONS },
  "ipmodify-conflict": { tree: () => handmadeTree("ipmodify-conflict"), flags: FUNCTIONS },
  "kernel-4.15-functions": { tree: () => handmadeTree("kernel-4.15"), flags: FUNCTIONS },
};

describe("golden /metrics", () => {
  const running: ServedFront[] = [];
  after(async () => {
    await Promise.all(running.map((e) => e.stop()));
  });

  for (const [name, spec] of Object.entries(CASES)) {
    it(name, async () => {
      const { tree, flags } = typeof spec === "function" ? { tree: spec, flags: [] } : spec;
      const exporter = await startFront([...pathFlags(tree()), "--collector.transition.blocking-threads", ...flags]);
      running.push(exporter);
      const response = await fetch(`${exporter.url}/metrics`);
      assert.equal(response.status, 200);
      const body = await response.text();

      const lint = promtool(["check", "metrics"], body);
      assert.equal(lint.status, 0, `promtool check metrics:\n${lint.output}`);

      const golden = new URL(`${name}.prom`, GOLDEN_DIR);
      const actual = stable(body);
      if (process.env["UPDATE_GOLDEN"] === "1") fs.writeFileSync(golden, actual);
      assert.equal(actual, fs.readFileSync(golden, "utf8"), `golden ${name}.prom differs (UPDATE_GOLDEN=1 to accept)`);
    });
  }
});
