// The vendor clients' parsers, pure functions of text: the documented samples
// and their variants (every state, empty, unknown and missing keys, decorated
// and non-ASCII text, truncated output).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  CANONICAL_LIVEPATCH_STATES,
  loadYamlParser,
  needsYamlParser,
  nestingDepth,
  parseCanonicalStatus,
  parseNotEligible,
} from "../../src/parse/clients/canonical-livepatch.js";
import { parseKcarectlInfo, parseKcarectlPatchInfo, parseUnknownKernel } from "../../src/parse/clients/kernelcare.js";
import { parseBlocking, parseKlpPatches, parseKlpStatus } from "../../src/parse/clients/klp.js";
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
import {
  CANONICAL_YAML_APPLIED,
  CANONICAL_YAML_NOTHING,
  CANONICAL_YAML_TUTORIAL,
  KCARECTL_PATCH_INFO_DOCS,
  UPTRACK_SHOW_EXADATA,
} from "../fixtures/client-real-outputs.js";

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

// First: the YAML parser is not loaded yet in this process (each test file runs in its own).
describe("canonical-livepatch status: the YAML parser is loaded only for output that is not JSON", () => {
  it("JSON is read without it; YAML and the human format need it loaded first, and say so", async () => {
    assert.equal(needsYamlParser(CANONICAL_JSON), false);
    assert.equal(needsYamlParser(`  \n${CANONICAL_JSON}`), false);
    assert.equal(needsYamlParser(""), false);
    assert.equal(needsYamlParser("x".repeat(32 * 1024 + 1)), false, "too large to be parsed as YAML at all");
    assert.equal(parseCanonicalStatus(CANONICAL_JSON)?.format, "json");
    for (const text of [CANONICAL_YAML_APPLIED, CANONICAL_HUMAN]) {
      assert.equal(needsYamlParser(text), true);
      assert.throws(() => parseCanonicalStatus(text), /the YAML parser is not loaded/);
    }
    await loadYamlParser();
    assert.equal(parseCanonicalStatus(CANONICAL_YAML_APPLIED)?.format, "yaml");
    assert.equal(parseCanonicalStatus(CANONICAL_HUMAN)?.format, "text");
  });
});

describe("canonical-livepatch status", () => {
  before(loadYamlParser);

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
    assert.deepEqual(parseCanonicalStatus(JSON.stringify({ Uptime: "1m", Status: [] }))?.kernels, []);
  });

  it("JSON without the Status list of kernel entries, or nested far deeper than a status, is not a status", () => {
    const deepArray = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const deepObject = `${'{"Status":'.repeat(100_000)}[]${"}".repeat(100_000)}`;
    const deepInside = JSON.stringify({
      Status: [{ Kernel: "k", Livepatch: JSON.parse(`${"[".repeat(40)}${"]".repeat(40)}`) as unknown }],
    });
    for (const text of [
      "{}",
      JSON.stringify({ Uptime: "1m" }),
      JSON.stringify({ Status: "applied" }),
      JSON.stringify({ Status: [1, "two"] }),
      JSON.stringify({ Status: [{ Kernel: "k" }, null] }),
      deepArray,
      deepObject,
      deepInside,
      `status:\n${"- ".repeat(100_000)}x\n`,
    ]) {
      const started = performance.now();
      assert.equal(parseCanonicalStatus(text), undefined, text.slice(0, 60));
      // Refused by a linear scan: the 100,000-level texts would take seconds in the YAML parser.
      assert.ok(performance.now() - started < 1_000, `${text.slice(0, 20)}: ${performance.now() - started} ms`);
    }
    assert.equal(nestingDepth(CANONICAL_JSON), 6, "root, Status, entry, Livepatch, Fixes, fix");
    assert.equal(nestingDepth('{"a": "[[[[{{{{", "b": [\'x]\']}'), 2, "brackets in strings do not count");
    assert.equal(nestingDepth("status:\n- - - x\n"), 3);
  });

  it("fixes as an old-style text block of '* cve-...' lines", () => {
    const status = parseCanonicalStatus(canonicalJson({}, { Fixes: "* cve-2013-1798\n* cve-2016-5195\n" }));
    assert.deepEqual(status?.running?.fixes, [
      { name: "CVE-2013-1798", patched: undefined },
      { name: "CVE-2016-5195", patched: undefined },
    ]);
    assert.deepEqual(parseCanonicalStatus(canonicalJson({}, { Fixes: "" }))?.running?.fixes, []);
  });

  it("YAML (clients 7.x–10.x): the same tree in camelCase, fixes as a text block", () => {
    const applied = parseCanonicalStatus(CANONICAL_YAML_APPLIED);
    assert.equal(applied?.format, "yaml");
    assert.equal(applied.clientVersion, "9.5.5");
    assert.equal(applied.running?.kernel, "5.4.0-1012.12-azure");
    assert.equal(applied.running.state, "applied");
    assert.equal(applied.running.checkState, "checked");
    assert.equal(applied.running.version, "75.2");
    assert.equal(applied.running.fixes?.length, 33, "CVE-2019-0155 is listed twice");
    const nothing = parseCanonicalStatus(CANONICAL_YAML_NOTHING)?.running;
    assert.equal(nothing?.state, "nothing-to-apply");
    assert.deepEqual(nothing.fixes, []);
    assert.equal(nothing.version, undefined);
    const tutorial = parseCanonicalStatus(CANONICAL_YAML_TUTORIAL);
    assert.equal(tutorial?.running?.supported, "supported");
    assert.equal(tutorial.running.upgradeRequiredDate, "2024-06-23");
    assert.equal(tutorial.tier, "updates");
    // The first clients' flat mapping.
    const flat = parseCanonicalStatus('kernel: 4.4.0-89.112-generic\nfully-patched: false\nversion: "28.1"\n');
    assert.equal(flat?.format, "yaml");
    assert.deepEqual(
      [flat.running?.kernel, flat.running?.state, flat.running?.version],
      ["4.4.0-89.112-generic", "unapplied", "28.1"],
    );
  });

  it("YAML that is not a status, aliases and broken YAML fall back to the human format or nothing", () => {
    assert.equal(parseCanonicalStatus("a: &x [1]\nb: *x\nkernel: k\n")?.format, "text");
    assert.equal(parseCanonicalStatus("status: [\n"), undefined);
    assert.equal(parseCanonicalStatus("status: not-a-list\n"), undefined);
    assert.equal(parseCanonicalStatus("- kernel: x\n"), undefined);
  });

  it("the refusal of an ineligible kernel (every command, exit status 1)", () => {
    assert.deepEqual(
      parseNotEligible(
        '2018/05/24 18:51:29 cannot use livepatch: your kernel "4.15.0-1010-kvm" is not eligible for livepatch updates\n',
      ),
      { kernel: "4.15.0-1010-kvm" },
    );
    assert.equal(parseNotEligible(CANONICAL_NOT_ENABLED), undefined);
    assert.equal(parseNotEligible(CANONICAL_JSON), undefined);
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
    for (const [text, date] of [
      ["✓ kernel is supported by Canonical until 2024-04-25", "2024-04-25"],
      ["✗ Livepatch coverage ended 2024-06-23; please upgrade the kernel and reboot", "2024-06-23"],
      ["✗ Canonical kernel support ended 2024-04-25; please upgrade and reboot", "2024-04-25"],
      ["✗ Livepatch coverage has ended; please upgrade the kernel and reboot", undefined],
    ] as const) {
      assert.equal(parseCanonicalStatus(`kernel state: ${text}\n`)?.running?.upgradeRequiredDate, date, text);
    }
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
      installed: [
        { name: "kpatch_3_10_0_1062_1_1_1_4", kernel: "3.10.0-1062.1.1.el7.x86_64", forRunningKernel: false },
      ],
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
    assert.deepEqual(list.installed, [{ name: "kp_a", kernel: undefined, forRunningKernel: false }]);
  });

  it("kpatch before 0.5.0: a loaded module without [state], installed .ko files (sos#411)", () => {
    const list = parseKpatchList(
      "Loaded patch modules:\nkpatch_0_2_test_2013_05_30_el7\n\nInstalled patch modules:\nkpatch-0-2-test_2013_05_30-el7.ko (3.10.0-123.el7.x86_64)\n",
    );
    assert.deepEqual(list?.loaded, [{ name: "kpatch_0_2_test_2013_05_30_el7", state: undefined }]);
    assert.deepEqual(list.installed, [
      { name: "kpatch-0-2-test_2013_05_30-el7.ko", kernel: "3.10.0-123.el7.x86_64", forRunningKernel: false },
    ]);
  });

  it("kpatch 0.1.x: system and user installed modules are the running kernel's; indented loaded lines", () => {
    const list = parseKpatchList(
      "Loaded patch modules:\n  kp_a [enabled]\n\nSystem installed patch modules:\nkp-a.ko\n\nUser installed patch modules:\nkp-b.ko\n",
    );
    assert.deepEqual(list?.loaded, [{ name: "kp_a", state: "enabled" }]);
    assert.deepEqual(list.installed, [
      { name: "kp-a.ko", kernel: undefined, forRunningKernel: true },
      { name: "kp-b.ko", kernel: undefined, forRunningKernel: true },
    ]);
    assert.deepEqual(parseKpatchList("User installed patch modules:\n")?.installed, []);
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

  it("kgr -v patches of SLE 12: blank lines between blocks, a replaced patch with no RPM line", () => {
    const patches = parseKlpPatches(
      "kgraft_patch_2_2_1\n    active: 0\n\nkgraft_patch_3_2_1\n    active: 1\n    RPM: kgraft-patch-3_12_51-60_25-default-3-2.1.x86_64\n    CVE: CVE-2016-2384 CVE-2016-0774\n",
    );
    assert.deepEqual(
      patches?.map((p) => [p.name, p.active, p.rpm, p.cves.length]),
      [
        ["kgraft_patch_2_2_1", false, undefined, 0],
        ["kgraft_patch_3_2_1", true, "kgraft-patch-3_12_51-60_25-default-3-2.1.x86_64", 2],
      ],
    );
  });

  it("blocking: none, PIDs, PID TID or PID command lines, stacks; other text is not understood", () => {
    assert.equal(parseBlocking("no processes with kgr_in_progress set\n"), 0);
    assert.equal(parseBlocking("no threads with klp_in_progress set\n"), 0);
    assert.equal(parseBlocking(""), 0);
    assert.equal(parseBlocking("1234\n5678\n"), 2);
    assert.equal(parseBlocking("1234 1235\n1234 1236\n"), 2);
    assert.equal(parseBlocking("812 /usr/sbin/sshd -D\n[<0>] do_wait+0x1c0/0x230\n"), 1);
    assert.equal(parseBlocking("kgr: kGraft is not available\n"), undefined);
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
      exploitDetection: false,
    });
    assert.deepEqual(
      installed.map((u) => u.exploitDetection),
      [false, false, true, false],
    );
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

  it("known-exploit detection updates are marked, with the CVE they detect (Exadata transcript)", () => {
    const installed = parseUptrackShow(UPTRACK_SHOW_EXADATA)?.sections.get("installed") ?? [];
    assert.equal(installed.length, 198);
    assert.deepEqual(
      installed.filter((u) => u.exploitDetection).map((u) => [u.id, u.cves]),
      [
        ["bipgvpw6", []],
        ["lylzl1sj", ["CVE-2017-7308"]],
        ["snvyltlq", ["CVE-2018-14634"]],
        ["1teh5owg", ["CVE-2018-18445"]],
        ["ezqm5dui", ["CVE-2016-5195"]],
        ["71me89jl", ["CVE-2019-9213"]],
      ],
    );
    // "Improved fix for CVE-…" is a fix.
    assert.equal(installed.find((u) => u.id === "cya3ogzy")?.exploitDetection, false);
  });

  it("ksplice all show: the user-space section is not the kernel's; --available with None", () => {
    const status = parseUptrackShow(
      "Ksplice user-space updates:\nhttpd (1503)\n  └─ [h73qvumn]: CVE-2014-7817: Command execution in wordexp().\n[x1] CVE-2015-1781: stray\n\nKsplice kernel updates:\nInstalled updates:\n[a] CVE-2024-1086: nf_tables.\n",
    );
    assert.deepEqual([...(status?.sections.keys() ?? [])], ["installed"]);
    assert.deepEqual(
      status?.sections.get("installed")?.map((u) => u.id),
      ["a"],
    );
    assert.deepEqual(parseUptrackShow("Available updates:\nNone\n")?.sections.get("available"), []);
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

  it("an unknown kernel: the support answer, anywhere in the output", () => {
    assert.deepEqual(parseUnknownKernel("Unknown kernel (Ubuntu 5.4.0-1029-raspi), no patches available\n"), {
      kernel: "Ubuntu 5.4.0-1029-raspi",
    });
    assert.deepEqual(parseUnknownKernel("warning: x\nUnknown kernel (centos 3.10.0-1), no patches available"), {
      kernel: "centos 3.10.0-1",
    });
    assert.equal(parseUnknownKernel(KCARECTL_INFO), undefined);
    assert.equal(parseUnknownKernel("kpatch-description: Unknown kernel (x), no patches available"), undefined);
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

  it("--patch-info: the full documented sample, blocks separated by single-space lines", () => {
    assert.deepEqual(
      parseKcarectlPatchInfo(KCARECTL_PATCH_INFO_DOCS)?.map((p) => p.name),
      [
        "2.6.32/symlink-protection.patch",
        "2.6.32/symlink-protection.kpatch-1.patch",
        "2.6.32/ipset-fix-list-shrinking.patch",
      ],
    );
    assert.deepEqual(parseKcarectlPatchInfo("kpatch-name: a\nkpatch-cvss:N/A\nkpatch-cve:CVE-2020-0001\n")?.[0]?.cves, [
      "CVE-2020-0001",
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
