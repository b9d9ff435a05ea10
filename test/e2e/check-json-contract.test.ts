// `check --json` holds to its published contract (docs/check-json.md,
// docs/check-json.schema.json) as a script meets it: the built command run as
// a process, with the flags a user gives, over every real-kernel capture, with
// vendor clients that answer and one that fails, and over the trees that make
// the remaining kinds of finding (the opt-in collectors of patched functions
// with their flags). Every report must conform to the schema,
// and together they must show every finding id the schema names, so no id
// goes untested. The schema itself must refuse what breaks the contract, or
// it would pass anything.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_NAMES } from "../../src/clients/names.js";
import type { FindingJson, ReportJson } from "../../src/views/check-json.js";
import { reportObject } from "../../src/views/check-json.js";
import { FINDING_IDS } from "../../src/views/report/finding.js";
import { buildReport } from "../../src/views/report.js";
import { MAIN } from "../../support/exporter-process.js";
import { REAL_CAPTURES } from "../../support/trees.js";
import { CANONICAL_JSON, KPATCH_LIST } from "../fixtures/client-outputs.js";
import { BUSY_KTHREAD_BLOCKER, HANDMADE } from "../fixtures/handmade.js";
import { schemaErrors } from "../helpers/check-schema.js";
import { snapshotOf } from "../helpers/collect.js";
import { fakeClient } from "../helpers/fake-client.js";
import { buildTree, handmadeTree, pathFlags, realKernelTree, scratchDir } from "../helpers/fixtures.js";
import { FUNCTIONS_FLAGS } from "../helpers/golden.js";

const GOLDEN_DIR = new URL("../golden/check/", import.meta.url);

/** No vendor client this machine may have installed, unless a test puts one on a --collector.<client>.path. */
const NO_CLIENTS = CLIENT_NAMES.map((name) => `--no-collector.${name}`);

/** `livepatch_exporter check --json` as a process; the report and the exit code. */
function checkJson(args: readonly string[]): { report: ReportJson; status: number | null } {
  const result = spawnSync(process.execPath, [MAIN, "check", "--json", ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] },
    timeout: 60_000,
  });
  let report: ReportJson;
  try {
    report = JSON.parse(result.stdout) as ReportJson;
  } catch {
    throw new Error(`check --json printed no JSON (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`);
  }
  return { report, status: result.status };
}

/** Every id seen in a conforming report, across the tests of this file. */
const seen = new Set<string>();

function assertConforms(report: ReportJson, where: string): void {
  assert.deepEqual(schemaErrors(report), [], `${where}: the report does not conform to the schema`);
  for (const f of report.findings) seen.add(f.id);
}

function findingOf(report: ReportJson, id: string, subject?: string): FindingJson {
  const found = report.findings.find((f) => f.id === id && (subject === undefined || f.subject === subject));
  assert.ok(found !== undefined, `no finding ${id} ${subject ?? ""}: ${report.findings.map((f) => f.id).join(", ")}`);
  return found;
}

describe("check --json contract", () => {
  for (const capture of REAL_CAPTURES) {
    it(`the command over the ${capture} capture`, () => {
      const { report, status } = checkJson([...pathFlags(realKernelTree(capture)), ...NO_CLIENTS]);
      assertConforms(report, capture);
      assert.equal(status, report.exitCode, "the exit code is the report's");
      if (capture === "busy-stuck") {
        // Without --collector.transition.blocking-threads the blockers are not known: null, not "none".
        const stuck = findingOf(report, "no_transition_in_progress").facts;
        assert.equal(stuck["blocking_threads"], 1);
        assert.equal(stuck["blockers"], null);
      }
    });
  }

  it("with --collector.transition.blocking-threads the blockers are named", () => {
    const { report } = checkJson([
      ...pathFlags(realKernelTree("busy-stuck")),
      ...NO_CLIENTS,
      "--collector.transition.blocking-threads",
    ]);
    assertConforms(report, "busy-stuck, blocking threads");
    // The capture holds no kernel stack: where the thread sleeps is not known, not "nowhere".
    assert.deepEqual(findingOf(report, "no_transition_in_progress").facts["blockers"], [
      { pid: 110, tid: 110, comm: "lp_busy_kthread", inside: null, stack_unknown: "not_found" },
    ]);
  });

  describe("the patched functions' collectors (--collector.functions, redirection, probes)", () => {
    const withFunctions = (tree: Parameters<typeof handmadeTree>[0]): ReturnType<typeof checkJson> => {
      const result = checkJson([
        ...pathFlags(handmadeTree(tree)),
        ...NO_CLIENTS,
        ...FUNCTIONS_FLAGS,
        "--collector.transition.blocking-threads",
      ]);
      assertConforms(result.report, tree);
      return result;
    };
    const busyWait = { patch: "lp_busy", object: "lp_busy_target", function: "busy_wait_fn", sympos: 1 };
    const busyWaitSubject = "lp_busy/lp_busy_target/busy_wait_fn,1";

    it("each function, redirected, probes at its entry and in its body, and the patched function a blocker is in", () => {
      const { report } = withFunctions("probed");
      assert.deepEqual(findingOf(report, "patched_functions").facts, { total: 1, listed: 1, truncated: false });
      assert.deepEqual(findingOf(report, "patched_function", busyWaitSubject).facts, { ...busyWait, redirected: true });
      const redirection = findingOf(report, "redirection");
      assert.equal(redirection.level, "ok");
      const source = redirection.facts["source"];
      assert.ok(
        typeof source === "string" && source.endsWith("/sys/kernel/debug/tracing/enabled_functions"),
        JSON.stringify(source),
      );
      assert.deepEqual(
        { ...redirection.facts, source: null },
        { source: null, checked: 1, not_redirected: 0, reason: null, functions: [] },
      );
      assert.deepEqual(findingOf(report, "probes").facts, {
        kprobed_functions: 1,
        ftrace_shared_functions: 1,
        ipmodify_conflicts: 0,
        truncated: false,
      });
      const body = findingOf(report, "kprobe_in_patched_body", busyWaitSubject);
      assert.equal(body.level, "warn");
      assert.deepEqual(body.facts, { ...busyWait, kprobes: 1 });
      assert.deepEqual(findingOf(report, "kprobe_at_patched_entry", busyWaitSubject).facts, {
        ...busyWait,
        kprobes: 1,
      });
      assert.deepEqual(findingOf(report, "ftrace_shared", busyWaitSubject).facts, { ...busyWait, ftrace_users: 1 });
      assert.deepEqual(findingOf(report, "no_transition_in_progress").facts["blockers"], [BUSY_KTHREAD_BLOCKER]);
    });

    it("another IPMODIFY user holds a patched function: not redirected, and the conflict named", () => {
      const { report, status } = withFunctions("ipmodify-conflict");
      assert.equal(status, 1);
      const cmdline = { patch: "lp_basic", object: "vmlinux", function: "cmdline_proc_show", sympos: 1 };
      const conflict = findingOf(report, "ipmodify_conflict", "lp_basic/vmlinux/cmdline_proc_show,1");
      assert.equal(conflict.level, "fail");
      assert.deepEqual(conflict.facts, { ...cmdline, ftrace_users: 1 });
      const redirection = findingOf(report, "redirection");
      assert.equal(redirection.level, "fail");
      assert.deepEqual(redirection.facts["functions"], [{ ...cmdline, evidence: "other_ipmodify_user" }]);
      assert.equal(redirection.facts["not_redirected"], 1);
    });

    it("tracefs and debugfs not mounted: not known, never 0", () => {
      const { report } = withFunctions("no-tracefs");
      assert.deepEqual(findingOf(report, "redirection").facts, {
        source: null,
        checked: null,
        not_redirected: null,
        reason: "not_mounted",
        functions: null,
      });
      assert.deepEqual(findingOf(report, "probes").facts, {
        kprobed_functions: null,
        ftrace_shared_functions: null,
        ipmodify_conflicts: null,
        truncated: false,
      });
    });
  });

  it("vendor clients that answer, one that fails, and a reboot one of them vouches for", () => {
    const canonical = fakeClient("canonical-livepatch", {
      "status --format json": { stdout: CANONICAL_JSON.replace('"2025-03-07"', '"2999-03-07"') },
    });
    const kpatch = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    const klp = fakeClient("klp", { "*": { stderr: "klp: cannot read patches\n", exit: 3 } });
    const tree = buildTree({
      ...HANDMADE["reboot-required"],
      files: { ...HANDMADE["reboot-required"].files, "run/reboot-required.pkgs": "linux-image-6.1.0-57-amd64\n" },
    });
    const { report, status } = checkJson([
      ...pathFlags(tree),
      `--collector.canonical_livepatch.path=${canonical.path}`,
      `--collector.kpatch.path=${kpatch.path}`,
      `--collector.klp.path=${klp.path}`,
      ...["kgr", "ksplice", "kernelcare"].map((name) => `--no-collector.${name}`),
    ]);
    assertConforms(report, "clients");
    assert.equal(status, 1);
    const ok = findingOf(report, "client", "canonical_livepatch");
    assert.equal(ok.level, "ok");
    assert.equal(ok.facts["coverage_end"], "2999-03-07");
    const failed = findingOf(report, "client", "klp");
    assert.equal(failed.level, "warn");
    assert.equal(failed.facts["up"], false);
    assert.equal(findingOf(report, "reboot_can_wait", "canonical_livepatch").facts["can_wait"], true);
  });

  it("ftrace switched off under an enabled patch", () => {
    const tree = buildTree({ base: "basic-enabled", files: { "proc/sys/kernel/ftrace_enabled": "0\n" } });
    const { report } = checkJson([...pathFlags(tree), ...NO_CLIENTS]);
    assertConforms(report, "ftrace off");
    assert.deepEqual(findingOf(report, "ftrace_disabled_with_patches").facts, {
      ftrace_enabled: false,
      enabled_patches: ["lp_basic"],
    });
  });

  it("a reboot reason that cannot be checked", () => {
    // No kernel's modules at all under /lib/modules proves nothing about the running one's.
    const tree = buildTree({ base: "clean", files: { "lib/modules/6.1.0-56-amd64": null } });
    const { report } = checkJson([...pathFlags(tree), ...NO_CLIENTS]);
    assertConforms(report, "reboot reason unknown");
    const unknown = findingOf(report, "reboot_reason_unknown", "running_kernel_modules_missing");
    assert.deepEqual(unknown.facts, { reason: "running_kernel_modules_missing", unknown: "not_found" });
    assert.ok(!report.findings.some((f) => f.id === "reboot_required" && f.level === "warn"), "no false reason");
  });

  it("a kernel log that cannot be read", () => {
    const missing = path.join(scratchDir(), "no-such-kmsg");
    const { report } = checkJson([...pathFlags(realKernelTree("clean")), ...NO_CLIENTS, `--path.kmsg=${missing}`]);
    assertConforms(report, "kernel log unreadable");
    assert.deepEqual(findingOf(report, "kmsg_unreadable").facts, { path: missing, reason: "not_found" });
  });

  it("the landing page's report with collectors turned off", async () => {
    const snapshot = await snapshotOf(realKernelTree("busy-stuck"), { enabled: ["taint"] });
    const report = reportObject(buildReport(snapshot));
    assertConforms(report, "collectors turned off");
    const off = findingOf(report, "collectors_disabled");
    assert.equal(off.level, "info");
    assert.ok(!report.findings.some((f) => f.level === "fail" || f.level === "warn"), "turned off is no failure");
  });

  it("every committed golden report conforms", () => {
    const files = fs.readdirSync(GOLDEN_DIR).filter((file) => file.endsWith(".json"));
    assert.ok(files.length >= REAL_CAPTURES.length);
    for (const file of files) {
      // The golden files stand "<volatile>" for the mtimes a run sets (test/e2e/check-golden.test.ts).
      const text = fs
        .readFileSync(new URL(file, GOLDEN_DIR), "utf8")
        .replaceAll('"<volatile>"', '"2026-11-29T00:04:25.000Z"');
      const report = JSON.parse(text) as ReportJson;
      assertConforms(report, file);
    }
  });

  it("together the reports show every finding id of the schema", () => {
    assert.deepEqual(
      FINDING_IDS.filter((id) => !seen.has(id)),
      [],
      "finding ids no test report shows: add a tree that makes them",
    );
  });
});

describe("the schema refuses what breaks the contract", () => {
  const base = JSON.parse(fs.readFileSync(new URL("busy-stuck.json", GOLDEN_DIR), "utf8")) as ReportJson;
  const stuck = base.findings.findIndex((f) => f.id === "no_transition_in_progress");
  const mutate = (change: (report: { findings: Record<string, unknown>[] } & Record<string, unknown>) => void) => {
    const copy = structuredClone(base) as unknown as { findings: Record<string, unknown>[] } & Record<string, unknown>;
    change(copy);
    return schemaErrors(copy);
  };
  const facts = (report: { findings: Record<string, unknown>[] }, index: number): Record<string, unknown> =>
    report.findings[index]?.["facts"] as Record<string, unknown>;

  it("the unchanged report conforms", () => {
    assert.deepEqual(schemaErrors(base), []);
  });

  const cases: readonly [string, Parameters<typeof mutate>[0]][] = [
    ["another schema version", (r) => (r["schemaVersion"] = 2)],
    ["an unknown finding id", (r) => (r.findings[stuck] = { ...r.findings[stuck], id: "stuck" })],
    ["a finding in another section", (r) => (r.findings[stuck] = { ...r.findings[stuck], section: "patches" })],
    ["a level its id never has", (r) => (r.findings[stuck] = { ...r.findings[stuck], level: "warn" })],
    ["a fact left out", (r) => delete facts(r, stuck)["blockers"]],
    ["a fact not documented", (r) => (facts(r, stuck)["stuck_for"] = 5)],
    ["a fact of the wrong type", (r) => (facts(r, stuck)["blocking_threads"] = "1")],
    ["a failed check that says it passed", (r) => (facts(r, stuck)["passed"] = true)],
    ["a runbook on an info finding", (r) => (r.findings[1] = { ...r.findings[1], runbook: "https://example.com/" })],
    ["a field the report does not have", (r) => (r["hostname"] = "vm")],
  ];
  for (const [name, change] of cases) {
    it(`refuses ${name}`, () => {
      assert.notDeepEqual(mutate(change), [], `the schema accepts ${name}`);
    });
  }
});
