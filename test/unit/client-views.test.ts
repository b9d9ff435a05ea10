// From each vendor's output to the one vocabulary the metrics use; failure
// classification; whether a required reboot can wait.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { classifyOutcome } from "../../src/clients/classify.js";
import { dateSeconds } from "../../src/clients/canonical-livepatch.js";
import type { ClientDefinition } from "../../src/clients/definition.js";
import { CLIENTS } from "../../src/clients/registry.js";
import type { ClientView } from "../../src/clients/view.js";
import type { RebootSignal } from "../../src/collectors/reboot.js";
import type { RebootFacts } from "../../src/derive/reboot.js";
import { rebootCanWait } from "../../src/derive/reboot-can-wait.js";
import { known, unknown, type Fact } from "../../src/fact.js";
import {
  CANONICAL_DAEMON_FAILED,
  CANONICAL_HUMAN,
  CANONICAL_JSON,
  CANONICAL_NOT_ENABLED,
  canonicalJson,
  KCARECTL_INFO,
  KCARECTL_PATCH_INFO,
  KCARECTL_PATCH_INFO_CVES,
  KLP_PATCHES,
  KLP_PATCHES_WITH_CVES,
  KLP_STATUS_IN_PROGRESS,
  KLP_STATUS_READY,
  KPATCH_LIST,
  KPATCH_STALLED,
  UPTRACK_SHOW,
} from "../fixtures/client-outputs.js";

/** The samples' coverage end (2025-03-07) is more than 14 days after this. */
const NOW = Date.UTC(2025, 0, 1);
const context = { runningRelease: "6.14.0-1.el10.x86_64", nowMs: NOW };

function view(definition: ClientDefinition, ...outputs: string[]): ClientView {
  const result = definition.interpret(outputs, context);
  assert.ok(result, `${definition.name} did not understand its output`);
  return result;
}

const entries = (map: ReadonlyMap<string, number> | undefined): [string, number][] => [...(map ?? [])];

describe("client views", () => {
  // As the runner does before interpret(): Canonical's human format is tried as YAML first.
  before(() => CLIENTS.canonical_livepatch.loadParser?.([CANONICAL_HUMAN]));

  it("Canonical JSON sample: one applied patch, its fix, states, coverage end, vouches", () => {
    const v = view(CLIENTS.canonical_livepatch, CANONICAL_JSON);
    assert.deepEqual(entries(v.patches), [
      ["applied", 1],
      ["not_loaded", 0],
      ["failed", 0],
    ]);
    assert.deepEqual(v.fixes, [{ name: "CVE-2023-6270", patched: true }]);
    assert.equal(v.state, "applied");
    assert.equal(v.supportState, "supported");
    assert.equal(v.coverageEndSeconds, Date.UTC(2025, 2, 7) / 1000);
    assert.equal(v.coveredAndPatched, true);
    assert.deepEqual(v.problems, []);
  });

  it("Canonical: only supported and applied or nothing-to-apply vouch; bad states are problems; patches only when the state says", () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, boolean, [string, number][] | undefined][] = [
      [
        { Supported: "kernel-end-of-life" },
        {},
        false,
        [
          ["applied", 1],
          ["not_loaded", 0],
          ["failed", 0],
        ],
      ],
      [
        {},
        { State: "apply-failed" },
        false,
        [
          ["applied", 0],
          ["not_loaded", 0],
          ["failed", 1],
        ],
      ],
      [
        {},
        { State: "unapplied" },
        false,
        [
          ["applied", 0],
          ["not_loaded", 1],
          ["failed", 0],
        ],
      ],
      [
        {},
        { State: "nothing-to-apply", Fixes: null },
        true, // as Ubuntu Pro's reboot_required decides
        [
          ["applied", 0],
          ["not_loaded", 0],
          ["failed", 0],
        ],
      ],
      [{}, { State: "check-failed" }, false, undefined],
      [{}, { State: "needs-check" }, false, undefined],
      [
        { Supported: null },
        {},
        false,
        [
          ["applied", 1],
          ["not_loaded", 0],
          ["failed", 0],
        ],
      ],
    ];
    for (const [entry, livepatch, vouches, patches] of cases) {
      const v = view(CLIENTS.canonical_livepatch, canonicalJson(entry, livepatch));
      const label = JSON.stringify({ entry, livepatch });
      assert.equal(v.coveredAndPatched, vouches, label);
      assert.deepEqual(v.patches === undefined ? undefined : entries(v.patches), patches, label);
    }
    assert.deepEqual(
      view(CLIENTS.canonical_livepatch, canonicalJson({}, { State: "nothing-to-apply", Fixes: null })).fixes,
      [],
    );
    assert.deepEqual(view(CLIENTS.canonical_livepatch, canonicalJson({}, { State: "apply-failed" })).problems, [
      "livepatch state apply-failed",
    ]);
    const unknownState = view(CLIENTS.canonical_livepatch, canonicalJson({}, { State: "quantum" }));
    assert.equal(unknownState.state, "quantum");
    const eol = view(
      CLIENTS.canonical_livepatch,
      canonicalJson({ Supported: "kernel-end-of-life" }, { CheckState: "check-failed" }),
    );
    assert.deepEqual(eol.problems, [
      "kernel support kernel-end-of-life",
      "the last check-in with the Livepatch server failed",
    ]);
  });

  it("Canonical nothing-to-apply vouches only with a supported kernel; applied-with-bug never", () => {
    const vouches = (entry: Record<string, unknown>, livepatch: Record<string, unknown>): boolean =>
      view(CLIENTS.canonical_livepatch, canonicalJson(entry, livepatch)).coveredAndPatched;
    assert.equal(vouches({}, { State: "nothing-to-apply" }), true);
    assert.equal(vouches({ Supported: "unsupported" }, { State: "nothing-to-apply" }), false);
    assert.equal(vouches({ Supported: null }, { State: "nothing-to-apply" }), false);
    assert.equal(vouches({}, { State: "applied-with-bug" }), false);
    assert.equal(vouches({}, { State: "unapplied" }), false);
  });

  it("Canonical coverage end: passed or within 14 days is a problem, later is not", () => {
    const problemsAt = (date: string): readonly string[] =>
      view(CLIENTS.canonical_livepatch, canonicalJson({ UpgradeRequiredDate: date })).problems;
    assert.deepEqual(problemsAt("2025-02-01"), []);
    assert.deepEqual(problemsAt("2025-01-11"), [
      "Livepatch coverage of the running kernel ends on 2025-01-11 (in 10 day(s)): install the kernel update and reboot before then",
    ]);
    assert.deepEqual(problemsAt("2024-06-23"), [
      "Livepatch coverage of the running kernel ended on 2024-06-23: no new live patches for it; install the kernel update and reboot",
    ]);
    assert.deepEqual(problemsAt("2025-01-01"), [
      "Livepatch coverage of the running kernel ended on 2025-01-01: no new live patches for it; install the kernel update and reboot",
    ]);
  });

  it("Canonical refusing the kernel: a support answer with nothing patched, not a failure", () => {
    const answer = CLIENTS.canonical_livepatch.answer?.(
      'cannot use livepatch: your kernel "4.15.0-1010-kvm" is not eligible for livepatch updates',
      context,
    );
    assert.ok(answer);
    assert.equal(answer.supportState, "unsupported");
    assert.equal(answer.state, undefined);
    assert.deepEqual(answer.fixes, []);
    assert.equal(answer.coveredAndPatched, false);
    assert.deepEqual(answer.problems, ["the running kernel 4.15.0-1010-kvm is not eligible for Livepatch updates"]);
    assert.equal(CLIENTS.canonical_livepatch.answer?.(CANONICAL_NOT_ENABLED, context), undefined);
  });

  it("Canonical: the human format, and a status with no running kernel", () => {
    const v = view(CLIENTS.canonical_livepatch, CANONICAL_HUMAN);
    assert.equal(v.coveredAndPatched, true);
    assert.equal(v.fixes, undefined);
    const none = view(CLIENTS.canonical_livepatch, JSON.stringify({ Status: [] }));
    assert.equal(none.state, undefined);
    assert.equal(none.coveredAndPatched, false);
    assert.deepEqual(none.problems, ["the status lists no entry for the running kernel"]);
    assert.equal(CLIENTS.canonical_livepatch.interpret([CANONICAL_NOT_ENABLED], context), undefined);
  });

  it("dates: YYYY-MM-DD at 00:00 UTC, ISO times, nothing else", () => {
    assert.equal(dateSeconds("2025-03-07"), 1741305600);
    assert.equal(dateSeconds("2025-03-07T12:00:00Z"), 1741348800);
    assert.equal(dateSeconds("07/03/2025"), undefined);
    assert.equal(dateSeconds(""), undefined);
  });

  it("kpatch: loaded states, installed-but-not-loaded for the running kernel only, transition", () => {
    const sample = view(CLIENTS.kpatch, KPATCH_LIST);
    assert.deepEqual(entries(sample.patches), [
      ["applied", 1],
      ["applying", 0],
      ["removing", 0],
      ["disabled", 0],
      ["not_loaded", 0],
    ]);
    assert.equal(sample.state, "ready");
    assert.equal(sample.fixes, undefined);
    assert.equal(sample.coveredAndPatched, false);
    const stalled = view(CLIENTS.kpatch, KPATCH_STALLED);
    assert.deepEqual(entries(stalled.patches), [
      ["applied", 1],
      ["applying", 1],
      ["removing", 0],
      ["disabled", 1],
      ["not_loaded", 1], // kpatch_fix_c; kpatch_other is for another kernel
    ]);
    assert.equal(stalled.state, "in_progress");
    assert.deepEqual(stalled.problems, [
      "a patch transition is in progress (1 stalled process(es))",
      "loaded but disabled: kpatch_old",
      "installed for 6.14.0-1.el10.x86_64 but not loaded: kpatch_fix_c",
    ]);
  });

  it("kpatch before 0.5.0 counts its listed (enabled) modules as applied; 0.1.x installed ones are the running kernel's", () => {
    const old = view(
      CLIENTS.kpatch,
      "Loaded patch modules:\nkpatch_0_2_test_2013_05_30_el7\n\nInstalled patch modules:\nkpatch-0-2-test_2013_05_30-el7.ko (6.14.0-1.el10.x86_64)\n",
    );
    assert.equal(old.patches?.get("applied"), 1);
    assert.equal(old.patches.get("not_loaded"), 0);
    assert.deepEqual(old.problems, []);
    const first = view(CLIENTS.kpatch, "Loaded patch modules:\n\nSystem installed patch modules:\nkpatch-x.ko\n");
    assert.equal(first.patches?.get("not_loaded"), 1);
    assert.deepEqual(first.problems, ["installed for 6.14.0-1.el10.x86_64 but not loaded: kpatch-x.ko"]);
  });

  it("klp: ready/in_progress, active and inactive patches, CVEs of each", () => {
    const sample = view(CLIENTS.klp, KLP_STATUS_READY, KLP_PATCHES);
    assert.deepEqual(entries(sample.patches), [
      ["applied", 1],
      ["disabled", 0],
    ]);
    assert.deepEqual(sample.fixes, []);
    assert.equal(sample.state, "ready");
    const busy = view(CLIENTS.klp, KLP_STATUS_IN_PROGRESS, KLP_PATCHES_WITH_CVES);
    assert.equal(busy.state, "in_progress");
    assert.deepEqual(entries(busy.patches), [
      ["applied", 1],
      ["disabled", 1],
    ]);
    assert.deepEqual(busy.fixes, [
      { name: "CVE-2021-22555", patched: true },
      { name: "CVE-2021-33909", patched: true },
      { name: "CVE-2021-3609", patched: true },
      { name: "CVE-2020-36385", patched: false },
    ]);
    // active: 0 is a replaced patch that can be unloaded: a detail, not a problem.
    assert.deepEqual(busy.problems, ["a live patch transition is in progress"]);
    assert.ok(busy.details.includes("not in use (replaced, can be unloaded): livepatch_old"));
    assert.equal(view(CLIENTS.klp, "ready", "lp_x\n").patches, undefined, "no active line: counts unknown");
    assert.equal(CLIENTS.klp.interpret(["", KLP_PATCHES], context), undefined);
    assert.equal(CLIENTS.klp.interpret([KLP_STATUS_READY, "garbage line!\n"], context), undefined);
  });

  it("kgr: klp's view, plus the processes kgr blocking lists", () => {
    const idle = view(CLIENTS.kgr, KLP_STATUS_READY, KLP_PATCHES, "no processes with kgr_in_progress set\n");
    assert.deepEqual(entries(idle.patches), [
      ["applied", 1],
      ["disabled", 0],
    ]);
    assert.deepEqual(idle.problems, []);
    const stuck = view(CLIENTS.kgr, KLP_STATUS_IN_PROGRESS, KLP_PATCHES, "1234\n5678\n");
    assert.deepEqual(stuck.problems, [
      "a live patch transition is in progress",
      "2 process(es) block the kGraft transition (kgr blocking)",
    ]);
    const odd = view(CLIENTS.kgr, KLP_STATUS_READY, KLP_PATCHES, "something else\n");
    assert.ok(odd.details.includes("kgr blocking printed something this exporter does not know"));
    assert.equal(CLIENTS.kgr.supersededBy, "klp");
  });

  it("Ksplice: known-exploit detection is not a fix", () => {
    const v = view(
      CLIENTS.ksplice,
      "Installed updates:\n[a] Known exploit detection for CVE-2022-0847.\n[b] Known exploit detection.\n[c] CVE-2024-1086: nf_tables.\n[d] Known exploit detection for CVE-2024-1086.\n",
    );
    assert.deepEqual(v.fixes, [{ name: "CVE-2024-1086", patched: true }]);
    assert.deepEqual(v.exploitDetections, ["CVE-2022-0847", "CVE-2024-1086"]);
    assert.deepEqual(entries(v.patches), [["applied", 4]]);
    assert.ok(v.details.includes("known-exploit detection (not a fix) for CVE-2022-0847, CVE-2024-1086"));
    assert.equal(view(CLIENTS.canonical_livepatch, CANONICAL_JSON).exploitDetections, undefined);
  });

  it("Ksplice: installed updates are applied patches, CVEs fixed, effective kernel", () => {
    const v = view(CLIENTS.ksplice, UPTRACK_SHOW);
    assert.deepEqual(entries(v.patches), [["applied", 4]]);
    assert.deepEqual(v.fixes, [{ name: "CVE-2018-10879", patched: true }]);
    assert.equal(v.effectiveKernel, "5.15.0-89.99");
    assert.equal(v.state, undefined);
    const available = view(CLIENTS.ksplice, `${UPTRACK_SHOW}Available updates:\n[x1] CVE-2024-1086: nf_tables.\n`);
    assert.deepEqual(entries(available.patches), [
      ["applied", 4],
      ["available", 1],
    ]);
    assert.deepEqual(available.problems, ["1 update(s) available but not installed"]);
    const only = view(CLIENTS.ksplice, "Effective kernel version is 4.14.35-2047\n");
    assert.equal(only.patches, undefined);
    assert.equal(only.fixes, undefined);
  });

  it("KernelCare: applied patches and their CVEs, effective kernel; unknown state says nothing", () => {
    const sample = view(CLIENTS.kernelcare, KCARECTL_INFO, KCARECTL_PATCH_INFO);
    assert.deepEqual(entries(sample.patches), [["applied", 1]]);
    assert.deepEqual(sample.fixes, []);
    assert.equal(sample.effectiveKernel, "5.4.0-1028.31");
    assert.equal(sample.state, "applied");
    const cves = view(CLIENTS.kernelcare, KCARECTL_INFO, KCARECTL_PATCH_INFO_CVES);
    assert.deepEqual(
      cves.fixes?.map((f) => f.name),
      ["CVE-2017-1000364", "CVE-2017-7895"],
    );
    const odd = view(CLIENTS.kernelcare, "kpatch-state: something new\n", "");
    assert.equal(odd.patches, undefined);
    assert.equal(odd.fixes, undefined);
    assert.deepEqual(odd.problems, ["kpatch-state not understood: something new"]);
    const unpatched = view(CLIENTS.kernelcare, "kpatch-state: kernel is unpatched\n", "");
    assert.deepEqual(entries(unpatched.patches), [["applied", 0]]);
    assert.equal(unpatched.supportState, undefined, "no patch applied: KernelCare does not say");
    assert.equal(sample.supportState, "supported");
  });

  it("KernelCare: an unknown kernel is an unsupported one, with nothing patched", () => {
    const answer = CLIENTS.kernelcare.answer?.(
      "Unknown kernel (Ubuntu 5.4.0-1029-raspi), no patches available\n",
      context,
    );
    assert.ok(answer);
    assert.equal(answer.supportState, "unsupported");
    assert.deepEqual(entries(answer.patches), [["applied", 0]]);
    assert.deepEqual(answer.fixes, []);
    assert.deepEqual(answer.problems, [
      "KernelCare has no patches for this kernel (Ubuntu 5.4.0-1029-raspi): it is not live-patched",
    ]);
    assert.equal(CLIENTS.kernelcare.answer?.(KCARECTL_INFO, context), undefined);
  });
});

describe("client failure classification", () => {
  const canonical = CLIENTS.canonical_livepatch;
  const exited = (code: number | null, stderr: string, stdout = "") =>
    ({ kind: "exited", code, signal: code === null ? "SIGKILL" : null, stdout, stderr }) as const;

  it("every documented failure text maps to its reason", () => {
    assert.equal(classifyOutcome(canonical, exited(1, CANONICAL_DAEMON_FAILED))?.reason, "daemon_unreachable");
    assert.equal(classifyOutcome(canonical, exited(1, "", CANONICAL_NOT_ENABLED))?.reason, "not_enabled");
    assert.equal(
      classifyOutcome(canonical, exited(127, "sh: 1: canonical-livepatch: command not found"))?.reason,
      "not_found",
    );
    assert.equal(classifyOutcome(canonical, exited(127, ""))?.reason, "not_found");
    assert.equal(classifyOutcome(canonical, exited(126, ""))?.reason, "permission_denied");
    assert.equal(
      classifyOutcome(CLIENTS.ksplice, exited(1, "You must be root to use uptrack.\n"))?.reason,
      "permission_denied",
    );
    assert.equal(classifyOutcome(CLIENTS.kernelcare, exited(1, "Server not registered\n"))?.reason, "not_enabled");
  });

  it("exit status, signals, spawn errors, timeout, output over the cap; exit 0 is no failure", () => {
    const failure = classifyOutcome(canonical, exited(3, "boom\nmore"));
    assert.deepEqual(failure, { reason: "exit_status", message: "exit status 3: boom" });
    assert.equal(classifyOutcome(canonical, exited(null, ""))?.message, "killed by SIGKILL: no output");
    assert.equal(
      classifyOutcome(canonical, { kind: "spawn_failed", code: "ENOENT", message: "x" })?.reason,
      "not_found",
    );
    assert.equal(
      classifyOutcome(canonical, { kind: "spawn_failed", code: "EACCES", message: "x" })?.reason,
      "permission_denied",
    );
    assert.equal(
      classifyOutcome(canonical, { kind: "spawn_failed", code: "ENOEXEC", message: "x" })?.reason,
      "exec_failed",
    );
    assert.equal(classifyOutcome(canonical, { kind: "timeout", stdout: "", stderr: "" })?.reason, "timeout");
    assert.equal(classifyOutcome(canonical, { kind: "too_large", bytes: 11 })?.reason, "output_too_large");
    assert.equal(classifyOutcome(canonical, exited(0, "warning: something")), undefined);
  });
});

describe("livepatch-aware reboot", () => {
  const covered = view(CLIENTS.canonical_livepatch, canonicalJson({ UpgradeRequiredDate: "2999-01-01" }));
  const notCovered = view(CLIENTS.canonical_livepatch, canonicalJson({ Supported: "unsupported" }));
  const now = Date.UTC(2025, 0, 1);
  const off: Fact<RebootSignal> = known({ required: false, sinceSeconds: undefined });
  const on: Fact<RebootSignal> = known({ required: true, sinceSeconds: 1 });

  function reboot(
    reasons: Partial<RebootFacts["reasons"]>,
    packages: RebootFacts["packages"] = { state: "absent" },
  ): RebootFacts {
    return {
      reasons: {
        reboot_required_file: off,
        reboot_needed_file: off,
        newer_kernel_installed: off,
        running_kernel_modules_missing: off,
        ...reasons,
      },
      packages,
      installedKernels: known([]),
      newestKernel: unknown("not_found"),
    };
  }

  it("no reboot required, no view: absent; reboot facts unreadable: unknown", () => {
    assert.equal(rebootCanWait(reboot({}), covered, now).state, "absent");
    assert.equal(rebootCanWait(reboot({ newer_kernel_installed: on }), undefined, now).state, "absent");
    assert.deepEqual(rebootCanWait(undefined, covered, now), unknown("dependency_failed"));
  });

  it("a kernel-only reboot waits when the client vouches and coverage has not ended", () => {
    assert.deepEqual(rebootCanWait(reboot({ newer_kernel_installed: on }), covered, now), known(true));
    assert.deepEqual(rebootCanWait(reboot({ running_kernel_modules_missing: on }), covered, now), known(true));
    assert.deepEqual(rebootCanWait(reboot({ newer_kernel_installed: on }), notCovered, now), known(false));
    const ended = view(CLIENTS.canonical_livepatch, canonicalJson({ UpgradeRequiredDate: "2024-12-31" }));
    assert.deepEqual(rebootCanWait(reboot({ newer_kernel_installed: on }), ended, now), known(false));
    const kpatchView = view(CLIENTS.kpatch, KPATCH_LIST);
    assert.deepEqual(rebootCanWait(reboot({ newer_kernel_installed: on }), kpatchView, now), known(false));
  });

  it("/run/reboot-required waits only when its packages are all linux-image*/linux-base*", () => {
    const kernelPkgs = known(["linux-image-6.1.0-57-amd64", "linux-base"]);
    const withLibc = known(["linux-image-6.1.0-57-amd64", "libc6"]);
    const file = { reboot_required_file: on };
    assert.deepEqual(rebootCanWait(reboot(file, kernelPkgs), covered, now), known(true));
    assert.deepEqual(rebootCanWait(reboot(file, withLibc), covered, now), known(false));
    assert.deepEqual(rebootCanWait(reboot(file, { state: "absent" }), covered, now), known(false));
    assert.deepEqual(rebootCanWait(reboot(file, known([])), covered, now), known(false));
    // SUSE's sentinel does not say why; an unreadable sentinel may be anything.
    assert.deepEqual(rebootCanWait(reboot({ reboot_needed_file: on }), covered, now), known(false));
    assert.deepEqual(
      rebootCanWait(reboot({ newer_kernel_installed: on, reboot_needed_file: unknown("unreadable") }), covered, now),
      known(false),
    );
    assert.deepEqual(
      rebootCanWait(
        reboot({ newer_kernel_installed: on, running_kernel_modules_missing: unknown("not_found") }),
        covered,
        now,
      ),
      known(true),
    );
  });
});
