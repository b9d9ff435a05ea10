// Every genuine client output of test/fixtures/client-real-outputs.ts, run as
// the exporter runs it: printed by a fake executable (with its exit status),
// classified and interpreted by the real runner, turned into metric samples
// by the real views, checked against the case's golden expectation — the
// series the exporter serves, whether a kernel reboot could wait, and the
// level `check` gives the client.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { CLIENTS } from "../../src/clients/registry.js";
import { ClientRunner } from "../../src/clients/runner.js";
import type { RebootSignal } from "../../src/collectors/reboot.js";
import type { RebootFacts } from "../../src/derive/reboot.js";
import { rebootCanWait } from "../../src/derive/reboot-can-wait.js";
import { known, type Fact } from "../../src/fact.js";
import { silentLogger } from "../../src/log.js";
import { buildReport } from "../../src/views/report.js";
import { snapshotSamples } from "../../src/views/samples.js";
import type { Sample } from "../../src/views/view.js";
import {
  REAL_OUTPUT_CASES,
  REAL_OUTPUTS_NOW_MS,
  type RealExpectation,
  type RealOutputCase,
} from "../fixtures/client-real-outputs.js";
import { snapshotOf } from "../helpers/collect.js";
import { fakeClient } from "../helpers/fake-client.js";
import { realKernelTree } from "../helpers/fixtures.js";

const runners: ClientRunner[] = [];
after(() => runners.forEach((r) => r.stop()));

let tree: string | undefined;
const hostTree = (): string => (tree ??= realKernelTree("clean"));

/** A reboot required only for a newer kernel: the case a live-patching client can vouch for. */
const off: Fact<RebootSignal> = known({ required: false, sinceSeconds: undefined });
const KERNEL_ONLY_REBOOT: RebootFacts = {
  reasons: {
    reboot_required_file: off,
    reboot_needed_file: off,
    newer_kernel_installed: known({ required: true, sinceSeconds: 1 }),
    running_kernel_modules_missing: off,
  },
  packages: { state: "absent" },
  installedKernels: known([]),
  newestKernel: known("99.0.0"),
};

async function observe(realCase: RealOutputCase): Promise<RealExpectation> {
  const definition = CLIENTS[realCase.client];
  const binary = definition.usualPaths[0]?.split("/").pop() ?? realCase.client;
  const fake = fakeClient(binary, realCase.commands);
  const runner = new ClientRunner({
    definition,
    binary: fake.path,
    intervalMs: 60_000,
    timeoutMs: 10_000,
    maxOutputBytes: 4 * 1024 * 1024,
    context: { runningRelease: realCase.runningRelease ?? "6.1.0-9-amd64" },
    log: silentLogger,
    now: () => REAL_OUTPUTS_NOW_MS,
  });
  runners.push(runner);
  const run = await runner.runOnce();
  assert.ok(run, "the run finished");
  const snapshot = await snapshotOf(hostTree(), { clients: { [realCase.client]: runner } });
  const samples = snapshotSamples(snapshot, { version: "0", revision: "0" }).filter(
    (s) => s.labels["client"] === realCase.client,
  );
  const clients = buildReport(snapshot).sections.find((s) => s.title === "Live-patch clients");
  const level = clients?.findings[0]?.level;
  assert.ok(level === "ok" || level === "warn", `check level ${String(level)}`);
  const view = run.outcome.ok ? run.outcome.view : undefined;
  const summary: Record<string, unknown> = {
    result: run.outcome.ok ? "success" : run.outcome.reason,
    patches: byLabel(samples, "livepatch_client_patches", "state"),
    fixes: value(samples, "livepatch_client_fixes"),
    exploitDetections: value(samples, "livepatch_client_exploit_detections"),
    state: current(samples, "livepatch_client_state"),
    support: current(samples, "livepatch_client_support_state"),
    effectiveKernel: samples.find((s) => s.name === "livepatch_client_effective_kernel_info")?.labels["release"],
    coverageEnd: dateOf(value(samples, "livepatch_client_coverage_end_timestamp_seconds")),
    rebootCanWait:
      view === undefined ? undefined : factValue(rebootCanWait(KERNEL_ONLY_REBOOT, view, REAL_OUTPUTS_NOW_MS)),
    check: level,
  };
  // The up series agrees with the result.
  assert.equal(value(samples, "livepatch_client_up"), run.outcome.ok ? 1 : 0);
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined)) as unknown as RealExpectation;
}

function value(samples: readonly Sample[], name: string): number | undefined {
  const found = samples.filter((s) => s.name === name);
  assert.ok(found.length <= 1, `${name}: one series per client`);
  return found[0]?.value;
}

function byLabel(samples: readonly Sample[], name: string, label: string): Record<string, number> | undefined {
  const found = samples.filter((s) => s.name === name);
  return found.length === 0 ? undefined : Object.fromEntries(found.map((s) => [s.labels[label] ?? "", s.value]));
}

/** The state of a vendor state family: its one series, at 1 (the other states are not served). */
function current(samples: readonly Sample[], name: string): string | undefined {
  const found = samples.filter((s) => s.name === name);
  assert.ok(found.length <= 1, `${name}: one series per client`);
  const [only] = found;
  if (only === undefined) return undefined;
  assert.equal(only.value, 1, `${name}: the current state is 1`);
  return only.labels["state"];
}

const dateOf = (seconds: number | undefined): string | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().slice(0, 10);

function factValue(fact: Fact<boolean>): boolean | undefined {
  return fact.state === "ok" ? fact.value : undefined;
}

describe("genuine client outputs: what the exporter reports", () => {
  it("every case names its source and has a unique id", () => {
    const ids = REAL_OUTPUT_CASES.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const c of REAL_OUTPUT_CASES) assert.ok(c.source.length > 10, c.id);
  });

  for (const realCase of REAL_OUTPUT_CASES) {
    it(`${realCase.client}: ${realCase.id}`, async () => {
      assert.deepEqual(await observe(realCase), realCase.expect);
    });
  }
});
