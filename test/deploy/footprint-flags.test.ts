// Every way the exporter is installed starts node with the same footprint
// flags (support/install-ways.ts, docs/performance.md "Memory"), and the npm
// bin really starts with them: its "#!" line is what npm install -g and the
// systemd unit run.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, describe, it } from "node:test";
import { startExporter, type RunningExporter } from "../../support/exporter-process.js";
import { FOOTPRINT_FLAGS, installWays } from "../../support/install-ways.js";

const running: RunningExporter[] = [];

describe("footprint flags", () => {
  after(async () => {
    await Promise.all(running.map((exporter) => exporter.stop()));
  });

  for (const way of installWays()) {
    it(`${way.name} (${way.source}) passes ${FOOTPRINT_FLAGS.join(" ")} to node`, () => {
      const words = way.command.flatMap((part) => part.split(/\s+/));
      const node = words.findIndex((word) => word === "node" || word.endsWith("/node"));
      assert.ok(node >= 0, `${way.name}: no node in ${way.command.join(" ")}`);
      const script = words.findIndex((word, index) => index > node && word.endsWith("dist/main.js"));
      assert.deepEqual(words.slice(node + 1, script), [...FOOTPRINT_FLAGS]);
    });
  }

  it("the npm bin starts node with them (its #! line, run by the kernel)", async () => {
    const bin = installWays().find((way) => way.name.startsWith("npm bin"));
    assert.ok(bin);
    const exporter = await startExporter(["--collector.disable-defaults"], { command: bin.command });
    running.push(exporter);
    const cmdline = fs.readFileSync(`/proc/${exporter.process.pid}/cmdline`, "utf8").split("\0");
    for (const flag of FOOTPRINT_FLAGS) assert.ok(cmdline.includes(flag), `${flag} in ${cmdline.join(" ")}`);
    const response = await fetch(`${exporter.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^process_resident_memory_bytes \d+/m);
  });
});
