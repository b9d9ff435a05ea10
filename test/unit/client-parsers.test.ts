// The vendor clients' parsers, pure functions of text: the documented samples
// and their variants (every state, empty, unknown and missing keys, decorated
// and non-ASCII text, truncated output).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCanonicalStatus, CANONICAL_LIVEPATCH_STATES } from "../../src/parse/clients/canonical-livepatch.js";
import { parseKcarectlInfo, parseKcarectlPatchInfo } from "../../src/parse/clients/kernelcare.js";
import { parseKlpPatches, parseKlpStatus } from "../../src/parse/clients/klp.js";
import { parseKpatchList } from "../../src/parse/clients/kpatch.js";
import { parseUptrackShow } from "../../src/parse/clients/ksplice.js";
import { cveIds, fixName, stripDecoration } from "../../src/parse/clients/text.js";
import {
  CANONICAL_DAEMON_FAILED,
  CANONICAL_HUMAN,
  CANONICAL_JSON,
  CANONICAL_KERNEL_STATE_TEXTS,
  CANONICAL_NOT_ENABLED,
  CANONICAL_PATCH_STATE_TEXTS,
  canonicalJson,
  KCARECTL_INFO,
  KCARECTL_PATCH_INFO,
  KCARECTL_PATCH_INFO_CVES,
  KLP_PATCHES,
  KLP_PATCHES_WITH_CVES,
  KPATCH_LIST,
  KPATCH_STALLED,
  UPTRACK_SHOW,
} from "../fixtures/client-outputs.js";

describe("client text helpers", () => {
  it("decoration marks are dropped, CVE ids found once and upper-cased", () => {
    assert.equal(stripDecoration("✓ kernel series"), "kernel series");
    assert.equal(stripDecoration("⧗ ✗ * - patching"), "patching");
    assert.equal(stripDecoration("Ünïcode stays"), "Ünïcode stays");
    assert.deepEqual(cveIds("cve-2023-6270, CVE-2021-33909 cve-2023-6270 CVE-20-1 xCVE-2021-1234"), [
      "CVE-2023-6270",
      "CVE-2021-33909",
    ]);
    assert.equal(fixName("cve-2023-6270"), "CVE-2023-6270");
    assert.equal(fixName(" lp-bug-123 "), "lp-bug-123");
  });
});

describe("canonical-livepatch status", () => {
  it("the JSON sample (client 10.8.3)", () => {
    const status = parseCanonicalStatus(CANONICAL_JSON);
    assert.ok(status);
    assert.equal(status.format, "json");
    assert.equal(status.clientVersion, "10.8.3");
    assert.equal(status.tier, "updates");
    assert.deepEqual(status.running, {
      kernel: "5.15.0-100.110-generic",
      running: true,
      state: "applied",
      checkState: "checked",
      version: "104.1",
      fixes: [{ name: "CVE-2023-6270", patched: true }],
      supported: "supported",
      upgradeRequiredDate: "2025-03-07",
    });
  });

  it("every documented Livepatch.State, and a value no version documented, pass through", () => {
    for (const state of [...CANONICAL_LIVEPATCH_STATES, "Brand-New-State"]) {
      assert.equal(parseCanonicalStatus(canonicalJson({}, { State: state }))?.running?.state, state.toLowerCase());
    }
  });

  it("the running kernel's entry is the one flagged Running, or the only one when none says", () => {
    const two = JSON.stringify({
      Status: [
        { Kernel: "old", Running: false, Livepatch: { State: "apply-failed" } },
        { Kernel: "new", Running: true, Livepatch: { State: "applied" } },
      ],
    });
    assert.equal(parseCanonicalStatus(two)?.running?.kernel, "new");
    assert.equal(parseCanonicalStatus(two)?.kernels.length, 2);
    const unflagged = JSON.stringify({ Status: [{ Kernel: "a" }, { Kernel: "b" }] });
    assert.equal(parseCanonicalStatus(unflagged)?.running, undefined);
    assert.equal(parseCanonicalStatus(JSON.stringify({ Status: [{ Kernel: "only" }] }))?.running?.kernel, "only");
    assert.equal(
      parseCanonicalStatus(JSON.stringify({ Status: [{ Kernel: "x", Running: false }] }))?.running,
      undefined,
    );
  });

  it("unknown keys are ignored, missing keys are undefined, key spelling may vary", () => {
    const extra = canonicalJson({ "New-Field": { nested: [1, 2] }, Supported: null }, { Extra: true, Fixes: null });
    const running = parseCanonicalStatus(extra)?.running;
    assert.equal(running?.state, "applied");
    assert.equal(running.supported, undefined);
    assert.equal(running.fixes, undefined);
    const bare = parseCanonicalStatus(JSON.stringify({ Status: [{ Running: true }] }));
    assert.deepEqual(bare?.running, {
      kernel: undefined,
      running: true,
      state: undefined,
      checkState: undefined,
      version: undefined,
      fixes: undefined,
      supported: undefined,
      upgradeRequiredDate: undefined,
    });
    // The YAML format's camelCase keys, should a client print them as JSON.
    const camel = JSON.stringify({
      status: [{ kernel: "k", running: true, livepatch: { patchState: "nothing-to-apply", checkState: "checked" } }],
    });
    assert.equal(parseCanonicalStatus(camel)?.running?.state, "nothing-to-apply");
    assert.deepEqual(parseCanonicalStatus(JSON.stringify({ Uptime: "1m" }))?.kernels, []);
  });

  it("fixes as an old-style text block of '* cve-...' lines", () => {
    const status = parseCanonicalStatus(canonicalJson({}, { Fixes: "* cve-2013-1798\n* cve-2016-5195\n" }));
    assert.deepEqual(status?.running?.fixes, [
      { name: "CVE-2013-1798", patched: undefined },
      { name: "CVE-2016-5195", patched: undefined },
    ]);
    assert.deepEqual(parseCanonicalStatus(canonicalJson({}, { Fixes: "" }))?.running?.fixes, []);
  });

  it("the human sample (client 10.x/11.x)", () => {
    const status = parseCanonicalStatus(CANONICAL_HUMAN);
    assert.equal(status?.format, "text");
    assert.equal(status.tier, "updates");
    assert.deepEqual(status.running, {
      kernel: "5.4.0-216.236-generic",
      running: true,
      state: "applied",
      checkState: "checked",
      version: "113.1",
      fixes: undefined,
      supported: "supported",
      upgradeRequiredDate: undefined,
    });
  });

  it("every documented kernel state text, with and without its decoration", () => {
    for (const [text, supported] of CANONICAL_KERNEL_STATE_TEXTS) {
      for (const variant of [text, stripDecoration(text), `✔✔ ${stripDecoration(text)}`]) {
        const status = parseCanonicalStatus(`kernel: 5.4.0\nkernel state: ${variant}\n`);
        assert.equal(status?.running?.supported, supported, variant);
      }
    }
    const until = CANONICAL_KERNEL_STATE_TEXTS[1]?.[0] ?? "";
    assert.equal(parseCanonicalStatus(`kernel state: ${until}\n`)?.running?.upgradeRequiredDate, "2025-03-07");
  });

  it("every documented patch state text; an unknown or localised one is 'unknown'", () => {
    for (const [text, state] of CANONICAL_PATCH_STATE_TEXTS) {
      assert.equal(parseCanonicalStatus(`patch state: ${text}\n`)?.running?.state, state, text);
    }
    assert.equal(parseCanonicalStatus("patch state: ✓ 所有适用的模块已插入\n")?.running?.state, "unknown");
    assert.equal(parseCanonicalStatus("server check-in: failed\n")?.running?.checkState, "check-failed");
    assert.equal(parseCanonicalStatus("kernel state: ✓ ??? \n")?.running?.supported, "unknown");
  });

  it("CRLF line ends, fixes listed as bullets in the human format", () => {
    const status = parseCanonicalStatus(`${CANONICAL_HUMAN.replace(/\n/g, "\r\n")}fixes:\r\n  * cve-2023-6270\r\n`);
    assert.equal(status?.running?.version, "113.1");
    assert.deepEqual(status.running.fixes, [{ name: "CVE-2023-6270", patched: undefined }]);
  });

  it("empty, truncated, failure texts and other output are not a status", () => {
    for (const text of [
      "",
      "  \n",
      CANONICAL_JSON.slice(0, 200),
      "[]",
      "null",
      CANONICAL_NOT_ENABLED,
      CANONICAL_DAEMON_FAILED,
      "Usage: canonical-livepatch status [flags]\n",
    ]) {
      assert.equal(parseCanonicalStatus(text), undefined, JSON.stringify(text.slice(0, 40)));
    }
  });

  it("human output cut short keeps the complete lines", () => {
    const cut = CANONICAL_HUMAN.slice(0, CANONICAL_HUMAN.indexOf("patch state"));
    const status = parseCanonicalStatus(cut);
    assert.equal(status?.running?.supported, "supported");
    assert.equal(status.running.state, undefined);
  });
});

describe("kpatch list", () => {
  it("the documented sample (kpatch 0.9.x)", () => {
    assert.deepEqual(parseKpatchList(KPATCH_LIST), {
      loaded: [{ name: "kpatch_3_10_0_1062_1_1_1_4", state: "enabled" }],
      installed: [{ name: "kpatch_3_10_0_1062_1_1_1_4", kernel: "3.10.0-1062.1.1.el7.x86_64" }],
      stalledProcesses: 0,
      functions: undefined,
      functionsInTransition: 0,
    });
  });

  it("every loaded state, stalled processes, the 6.14+ function table", () => {
    const list = parseKpatchList(KPATCH_STALLED);
    assert.deepEqual(
      list?.loaded.map((m) => m.state),
      ["enabled", "enabling", "disabled"],
    );
    assert.equal(parseKpatchList("Loaded patch modules:\nx [disabling...]\n")?.loaded[0]?.state, "disabling");
    assert.equal(list.stalledProcesses, 1);
    assert.equal(list.installed.length, 4);
    assert.equal(list.functions, 2);
    assert.equal(list.functionsInTransition, 1);
  });

  it("no modules: both headers, nothing under them", () => {
    assert.deepEqual(parseKpatchList("Loaded patch modules:\n\nInstalled patch modules:\n"), {
      loaded: [],
      installed: [],
      stalledProcesses: 0,
      functions: undefined,
      functionsInTransition: 0,
    });
  });

  it("unknown sections and lines are skipped; an unknown state word is kept", () => {
    const list = parseKpatchList(
      `Loaded patch modules:\nkp_a [enabled]\nsomething odd\nkp_b [Frozen]\n\nNew Section:\nkp_c [enabled]\n\nInstalled patch modules:\nkp_a\n`,
    );
    assert.deepEqual(list?.loaded, [
      { name: "kp_a", state: "enabled" },
      { name: "kp_b", state: "frozen" },
    ]);
    assert.deepEqual(list.installed, [{ name: "kp_a", kernel: undefined }]);
  });

  it("truncated output keeps what is complete; empty or foreign output is not a list", () => {
    const cut = parseKpatchList(KPATCH_STALLED.slice(0, KPATCH_STALLED.indexOf("Installed")));
    assert.equal(cut?.loaded.length, 3);
    assert.equal(cut.installed.length, 0);
    for (const text of ["", "kpatch: command not found\n", "ERROR: kpatch module not loaded\n", "✓ ✗ ⧗\n"]) {
      assert.equal(parseKpatchList(text), undefined, text);
    }
  });
});

describe("klp", () => {
  it("status: ready or in_progress, nothing else", () => {
    assert.equal(parseKlpStatus("ready\n"), "ready");
    assert.equal(parseKlpStatus("  in_progress \r\n"), "in_progress");
    assert.equal(parseKlpStatus("READY"), "ready");
    for (const text of ["", "in_prog", "ready\nready\n", "bereit\n", "✓ ready"]) {
      assert.equal(parseKlpStatus(text), undefined, text);
    }
  });

  it("the documented -v patches sample: an initial patch has no CVE", () => {
    assert.deepEqual(parseKlpPatches(KLP_PATCHES), [
      {
        name: "livepatch_1_5_3_2",
        active: true,
        rpm: "kernel-livepatch-5_3_18-24_34-default-1-5.3.2.x86_64",
        cves: [],
      },
    ]);
  });

  it("comma- and space-separated CVEs, inactive patches, missing and unknown keys", () => {
    const patches = parseKlpPatches(KLP_PATCHES_WITH_CVES);
    assert.deepEqual(
      patches?.map((p) => [p.name, p.active, p.cves]),
      [
        ["kgraft_patch_5_3_18_24_34", true, ["CVE-2021-22555", "CVE-2021-33909", "CVE-2021-3609"]],
        ["livepatch_old", false, ["CVE-2020-36385"]],
      ],
    );
    const odd = parseKlpPatches("lp_x\n    colour: blue\n    active: maybe\n    beschreibung: Überarbeitung\nlp_y\n");
    assert.deepEqual(
      odd?.map((p) => [p.name, p.active, p.rpm]),
      [
        ["lp_x", undefined, undefined],
        ["lp_y", undefined, undefined],
      ],
    );
  });

  it("empty output is no patch; foreign or orphaned lines are not klp's output", () => {
    assert.deepEqual(parseKlpPatches(""), []);
    assert.equal(parseKlpPatches("    active: 1\n"), undefined);
    assert.equal(parseKlpPatches("klp: error: unknown command\n"), undefined);
    assert.equal(parseKlpPatches("✓ livepatch\n"), undefined);
  });
});

describe("uptrack-show", () => {
  it("the documented sample: installed updates, their CVEs, the effective kernel", () => {
    const status = parseUptrackShow(UPTRACK_SHOW);
    assert.equal(status?.effectiveKernel, "5.15.0-89.99");
    const installed = status.sections.get("installed");
    assert.equal(installed?.length, 4);
    assert.deepEqual(installed[3], {
      id: "kgn8gqqi",
      description: "CVE-2018-10879: Use-after-free when setting extended attribute entry on ext4 filesystem.",
      cves: ["CVE-2018-10879"],
    });
    assert.deepEqual(
      installed.slice(0, 3).map((u) => u.cves),
      [[], [], []],
    );
  });

  it("an update naming several CVEs, an available section, an empty one", () => {
    const status = parseUptrackShow(
      "Installed updates:\nNone\n\nAvailable updates:\n[abc] CVE-2024-1086, CVE-2023-4623: netfilter and sched fixes.\n[déf] Ünïcode description.\n",
    );
    assert.deepEqual(status?.sections.get("installed"), []);
    assert.deepEqual(
      status.sections.get("available")?.map((u) => [u.id, u.cves]),
      [
        ["abc", ["CVE-2024-1086", "CVE-2023-4623"]],
        ["déf", []],
      ],
    );
    assert.equal(status.effectiveKernel, undefined);
  });

  it("truncated before the effective version; only the effective version; empty and foreign output", () => {
    const cut = parseUptrackShow(UPTRACK_SHOW.slice(0, UPTRACK_SHOW.indexOf("Effective")));
    assert.equal(cut?.effectiveKernel, undefined);
    assert.equal(cut?.sections.get("installed")?.length, 4);
    const only = parseUptrackShow("Effective kernel version is 3.8.13-55.1.1.el6uek\n");
    assert.equal(only?.effectiveKernel, "3.8.13-55.1.1.el6uek");
    assert.equal(only.sections.size, 0);
    for (const text of ["", "uptrack-show: command not found\n", "You must be root to use uptrack\n"]) {
      assert.equal(parseUptrackShow(text), undefined, text);
    }
  });
});

describe("kcarectl", () => {
  it("--info: the documented sample", () => {
    assert.deepEqual(parseKcarectlInfo(KCARECTL_INFO), {
      stateText: "patch is applied",
      state: "applied",
      patchLevel: 1,
      effectiveKernel: "5.4.0-1028.31",
      buildTime: "Thu Feb 11 23:02:52 2021",
    });
  });

  it("--info: the older description form, other states, missing fields", () => {
    const old = parseKcarectlInfo("kpatch-state: patch is applied\nkpatch-description: 3;3.16.36-1+deb8u2\n");
    assert.equal(old?.patchLevel, 3);
    assert.equal(old.effectiveKernel, "3.16.36-1+deb8u2");
    assert.equal(parseKcarectlInfo("kpatch-state: kernel is unpatched\n")?.state, "unpatched");
    assert.equal(parseKcarectlInfo("kpatch-state: patch is not applied\n")?.state, "unpatched");
    assert.equal(parseKcarectlInfo("kpatch-state: ✗ état inconnu\n")?.state, "unknown");
    const noState = parseKcarectlInfo("kpatch-description: 12;5.14.0-70\nnew-key: value\n");
    assert.equal(noState?.state, undefined);
    assert.equal(noState?.effectiveKernel, "5.14.0-70");
    assert.equal(
      parseKcarectlInfo("kpatch-state: patch is applied\nkpatch-description: odd\n")?.effectiveKernel,
      undefined,
    );
  });

  it("--info: empty or foreign output is not an info", () => {
    for (const text of ["", "Unknown kernel (ubuntu 6.8.0-1) no patches available\n", "kpatch-for: Linux\n"]) {
      assert.equal(parseKcarectlInfo(text), undefined, text);
    }
  });

  it("--patch-info: the documented sample (kpatch-cve N/A) and blocks with CVEs", () => {
    assert.deepEqual(parseKcarectlPatchInfo(KCARECTL_PATCH_INFO), [
      { name: "2.6.32/symlink-protection.patch", cves: [] },
    ]);
    assert.deepEqual(parseKcarectlPatchInfo(KCARECTL_PATCH_INFO_CVES), [
      { name: "2.6.32/symlink-protection.patch", cves: [] },
      { name: "2.6.32/CVE-2017-1000364.patch", cves: ["CVE-2017-1000364"] },
      { name: "2.6.32/CVE-2017-7895.patch", cves: ["CVE-2017-7895", "CVE-2017-1000364"] },
    ]);
  });

  it("--patch-info: blocks without a blank line between them, empty output, foreign output", () => {
    assert.equal(parseKcarectlPatchInfo("kpatch-name: a\nkpatch-cve: CVE-2020-0001\nkpatch-name: b\n")?.length, 2);
    assert.deepEqual(parseKcarectlPatchInfo(""), []);
    assert.equal(parseKcarectlPatchInfo("no patches\n"), undefined);
    const cut = KCARECTL_PATCH_INFO_CVES.slice(0, KCARECTL_PATCH_INFO_CVES.lastIndexOf("kpatch-cve"));
    assert.equal(parseKcarectlPatchInfo(cut)?.length, 3);
  });
});
