// The kernel log: the record format, what each kernel message means (the
// texts of every supported kernel version), the history built from records
// (sequence numbers, transitions, forcing), and the device reader.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { KmsgHistory, MAX_NAMES } from "../../src/collectors/kmsg-history.js";
import { KmsgLogReader } from "../../src/fs/kmsg-device.js";
import { classifyMessage } from "../../src/parse/kmsg-messages.js";
import { parseRecord, splitRecords, type KmsgRecord } from "../../src/parse/kmsg.js";
import { freshDir } from "../helpers/fixtures.js";

describe("/dev/kmsg records", () => {
  it("parses prio, seq, usec, flags and the message, keeping continuation lines", () => {
    const record = parseRecord("6,339,5140900,-;NET: Registered protocol family 10\n SUBSYSTEM=net\n DEVICE=+net:lo");
    assert.deepEqual(record, {
      facility: 0,
      level: 6,
      seq: 339,
      usec: 5140900,
      flags: "-",
      message: "NET: Registered protocol family 10",
      dictionary: ["SUBSYSTEM=net", "DEVICE=+net:lo"],
    });
  });

  it("ignores fields a newer kernel adds before the ';' (caller=), and keeps ';' in the message", () => {
    const record = parseRecord("4,817,905000000,-,caller=T1502;livepatch: a; b");
    assert.equal(record?.seq, 817);
    assert.equal(record.message, "livepatch: a; b");
  });

  it("tells userspace records (facility 1 and up) from the kernel's (facility 0)", () => {
    assert.equal(parseRecord("12,1,10,-;written by a user")?.facility, 1);
    assert.equal(parseRecord("12,1,10,-;written by a user")?.level, 4);
    assert.equal(parseRecord("5,1,10,-;kernel")?.facility, 0);
  });

  it("rejects what is not a record", () => {
    for (const text of [
      "",
      "this is not a record",
      "5,abc,1,-;x",
      "5,1,2;no flags",
      "1024,1,1,-;prio too large",
      "5,1,1,--;two flags",
      "5,99999999999999999999,1,-;seq beyond 2^53",
      " SUBSYSTEM=net",
    ]) {
      assert.equal(parseRecord(text), undefined, text);
    }
  });

  it("splits a saved copy into records, continuation lines with theirs", () => {
    const text = "5,0,0,-;a\n SUBSYSTEM=acpi\n DEVICE=+acpi:X\n6,1,5,-;b\n\n6,2,6,-;c";
    assert.deepEqual(splitRecords(text), ["5,0,0,-;a\n SUBSYSTEM=acpi\n DEVICE=+acpi:X", "6,1,5,-;b", "6,2,6,-;c"]);
    assert.deepEqual(splitRecords(" orphan continuation\n5,0,0,-;a"), [" orphan continuation", "5,0,0,-;a"]);
  });
});

describe("kernel messages", () => {
  const livepatch = (text: string): unknown => {
    const m = classifyMessage(`livepatch: ${text}`);
    return m?.source === "livepatch" ? m.message : m;
  };

  it("the livepatch core's lines, every version (kernel/livepatch/core.c, transition.c)", () => {
    assert.deepEqual(livepatch("enabling patch 'lp_busy'"), { kind: "enabling", patch: "lp_busy" });
    assert.deepEqual(livepatch("disabling patch 'livepatch_fix'"), { kind: "disabling", patch: "livepatch_fix" });
    assert.deepEqual(livepatch("'lp_busy': starting patching transition"), {
      kind: "start",
      patch: "lp_busy",
      direction: "patching",
    });
    assert.deepEqual(livepatch("'lp_cumulative': starting unpatching transition"), {
      kind: "start",
      patch: "lp_cumulative",
      direction: "unpatching",
    });
    assert.deepEqual(livepatch("'lp_busy': patching complete"), {
      kind: "complete",
      patch: "lp_busy",
      direction: "patching",
    });
    assert.deepEqual(livepatch("'lp_cumulative': unpatching complete"), {
      kind: "complete",
      patch: "lp_cumulative",
      direction: "unpatching",
    });
    assert.deepEqual(livepatch("signaling remaining tasks"), { kind: "signaling" });
    assert.deepEqual(livepatch("forcing remaining tasks to the patched state"), { kind: "forcing" });
    assert.deepEqual(livepatch("failed to enable patch 'lp_x'"), { kind: "enable_failed", patch: "lp_x" });
    assert.deepEqual(livepatch("applying patch 'p' to loading module 'nfsd'"), {
      kind: "applying_to_module",
      patch: "p",
    });
    assert.deepEqual(livepatch("reverting patch 'p' on unloading module 'nfsd'"), {
      kind: "reverting_from_module",
      patch: "p",
    });
    assert.deepEqual(livepatch("failed to apply patch 'p' to module 'nfsd' (-16)"), {
      kind: "apply_failed",
      patch: "p",
    });
    assert.deepEqual(livepatch("failed to initialize patch 'p' for module 'nfsd' (-22)"), {
      kind: "apply_failed",
      patch: "p",
    });
    assert.deepEqual(livepatch("patch 'p' failed for module 'nfsd', refusing to load module 'nfsd'"), {
      kind: "module_refused",
      patch: "p",
      module: "nfsd",
    });
  });

  it("pr_debug lines (dynamic debug) are debug; anything else is other, with the patch it names", () => {
    for (const text of [
      "'lp_busy': initializing patching transition",
      "'lp_busy': completing unpatching transition",
      "'lp_busy': reversing transition from patching to unpatching",
      "'lp_busy': canceling patching transition, going to unpatch",
    ]) {
      assert.deepEqual(livepatch(text), { kind: "debug", patch: "lp_busy" }, text);
    }
    assert.deepEqual(livepatch("klp_try_switch_task: lp_busy_kthread:110 is sleeping on function busy_wait_fn"), {
      kind: "debug",
      patch: undefined,
    });
    assert.deepEqual(livepatch("failed to register ftrace handler for function 'cmdline_proc_show' (-16)"), {
      kind: "other",
      patch: undefined,
    });
    assert.deepEqual(livepatch("failed to patch object 'vmlinux'"), { kind: "other", patch: undefined });
    assert.deepEqual(livepatch("Livepatch patch (lp_x) is not compatible with the already installed livepatches."), {
      kind: "other",
      patch: undefined,
    });
    assert.deepEqual(livepatch("'lp_new': some future line"), { kind: "other", patch: "lp_new" });
  });

  it("module loader lines: taint, signatures (kernel/module/main.c, signing.c, kernel/module.c)", () => {
    const taint = (module: string) => ({ source: "module", event: "taint", module });
    assert.deepEqual(classifyMessage("lp_basic: loading out-of-tree module taints kernel."), taint("lp_basic"));
    assert.deepEqual(classifyMessage("lp_basic: tainting kernel with TAINT_LIVEPATCH"), taint("lp_basic"));
    assert.deepEqual(classifyMessage("nvidia: module license 'NVIDIA' taints kernel."), taint("nvidia"));
    assert.deepEqual(classifyMessage("nvidia: module license taints kernel."), taint("nvidia"));
    assert.deepEqual(
      classifyMessage("r8723bs: module is from the staging directory, the quality is unknown, you have been warned."),
      taint("r8723bs"),
    );
    assert.deepEqual(classifyMessage("kunit_x: loading test module taints kernel."), taint("kunit_x"));
    assert.deepEqual(
      classifyMessage("nvidia_uvm: module uses symbols nvUvmX from proprietary module nvidia, inheriting taint."),
      taint("nvidia_uvm"),
    );
    assert.deepEqual(classifyMessage("foo: bad vermagic: kernel tainted."), taint("foo"));
    assert.deepEqual(classifyMessage("Disabling lock debugging due to kernel taint"), taint(""));
    // 4.0-4.8: the livepatch core taints, without naming the module.
    assert.deepEqual(classifyMessage("livepatch: tainting kernel with TAINT_LIVEPATCH"), taint(""));
    assert.deepEqual(
      classifyMessage("lp_basic: module verification failed: signature and/or required key missing - tainting kernel"),
      { source: "module", event: "verification_failed", module: "lp_basic" },
    );
    assert.deepEqual(classifyMessage("lp_x: module is marked as livepatch module, but livepatch support is disabled"), {
      source: "module",
      event: "livepatch_unsupported",
      module: "lp_x",
      refusal: "livepatch_unsupported",
    });
  });

  it("signature rejections in each form the kernel has used (5.4 on; before 5.4 none is logged)", () => {
    const rejected = (module: string, refusal: string) => ({
      source: "module",
      event: "signature_rejected",
      module,
      refusal,
    });
    // 5.4-5.9 and 5.19+ (kernel/module/signing.c), the form Debian 6.1 prints.
    assert.deepEqual(classifyMessage("Loading of unsigned module is rejected"), rejected("", "unsigned"));
    assert.deepEqual(
      classifyMessage("Loading of module with unavailable key is rejected"),
      rejected("", "unavailable_key"),
    );
    assert.deepEqual(
      classifyMessage("Loading of module with unsupported crypto is rejected"),
      rejected("", "unsupported_crypto"),
    );
    // With the module's name first ("%s: %s is rejected", then "%s: loading of %s is rejected").
    assert.deepEqual(
      classifyMessage("lp_basic: Loading of unsigned module is rejected"),
      rejected("lp_basic", "unsigned"),
    );
    assert.deepEqual(
      classifyMessage("lp_basic: loading of unsigned module is rejected"),
      rejected("lp_basic", "unsigned"),
    );
  });

  it("lockdown: only module loading is a refused load; other restrictions are not about modules", () => {
    const lockdown = { source: "module", event: "lockdown_rejected", module: "", refusal: "lockdown" };
    assert.deepEqual(
      classifyMessage("Lockdown: insmod: unsigned module loading is restricted; see man kernel_lockdown.7"),
      lockdown,
    );
    // Distribution lockdown patches before 5.4.
    assert.deepEqual(
      classifyMessage("Lockdown: Loading of unsigned module is restricted; see man kernel_lockdown.7"),
      lockdown,
    );
    assert.equal(
      classifyMessage("Lockdown: swapper/0: hibernation is restricted; see man kernel_lockdown.7"),
      undefined,
    );
    assert.equal(
      classifyMessage("Lockdown: kprobe: Use of kprobes is restricted; see man kernel_lockdown.7"),
      undefined,
    );
  });

  it("other lines are not ours", () => {
    for (const text of ["lp_basic: enabling live patch", "e1000: Intel(R) PRO/1000 Network Driver", "", "livepatch"]) {
      assert.equal(classifyMessage(text), undefined, text);
    }
  });
});

const rec = (seq: number, usec: number, message: string, facility = 0): KmsgRecord => ({
  facility,
  level: 5,
  seq,
  usec,
  flags: "-",
  message,
  dictionary: [],
});

function historyOf(...records: KmsgRecord[]): KmsgHistory {
  const history = new KmsgHistory();
  for (const r of records) history.add(r);
  return history;
}

const events = (history: KmsgHistory): Record<string, number> =>
  Object.fromEntries(history.snapshot().events.map((e) => [`${e.event} ${e.name}`, e.count]));

describe("kernel log history", () => {
  it("counts each record once: a replay after reopening is skipped", () => {
    const history = new KmsgHistory();
    const records = [
      rec(0, 0, "livepatch: enabling patch 'p'"),
      rec(1, 10, "livepatch: 'p': starting patching transition"),
    ];
    for (const r of [...records, ...records]) history.add(r);
    const log = history.snapshot();
    assert.equal(log.records, 2);
    assert.deepEqual(events(history), { "enabling p": 1, "patching_started p": 1 });
  });

  it("counts records overwritten before they were read, those before the first one included", () => {
    const history = historyOf(rec(5, 0, "a"), rec(6, 1, "b"), rec(10, 2, "c"));
    const log = history.snapshot();
    assert.equal(log.records, 3);
    assert.equal(log.lost, 5 + 3);
    assert.equal(log.lastLossSeq, 7);
  });

  it("a transition: start, signaling and forcing belong to it, complete closes it with its duration", () => {
    const history = historyOf(
      rec(0, 1_000_000, "livepatch: enabling patch 'lp_busy'"),
      rec(1, 1_500_000, "livepatch: 'lp_busy': starting patching transition"),
      rec(2, 16_500_000, "livepatch: signaling remaining tasks"),
    );
    let log = history.snapshot();
    assert.deepEqual(log.open, {
      patch: "lp_busy",
      entry: { direction: "patching", startUsec: 1_500_000, startSeq: 1, endUsec: undefined },
    });
    assert.deepEqual(log.patches[0]?.forced, { state: "ok", value: false });
    history.add(rec(3, 60_000_000, "livepatch: forcing remaining tasks to the patched state"));
    history.add(rec(4, 60_250_000, "livepatch: 'lp_busy': patching complete"));
    log = history.snapshot();
    assert.equal(log.open, undefined);
    assert.deepEqual(log.patches[0]?.forced, { state: "ok", value: true });
    assert.equal(log.patches[0].forcedAtUsec, 60_000_000);
    assert.deepEqual(log.patches[0].lastCompleted, { direction: "patching", seconds: 58.75 });
    assert.deepEqual(events(history), {
      "enabling lp_busy": 1,
      "patching_started lp_busy": 1,
      "signaling lp_busy": 1,
      "forcing lp_busy": 1,
      "patching_complete lp_busy": 1,
    });
  });

  it("signaling with no transition known (its start overwritten) is counted under no patch", () => {
    const history = historyOf(rec(7, 0, "livepatch: signaling remaining tasks"));
    assert.deepEqual(events(history), { "signaling ": 1 });
  });

  it("a reversal: a start in the other direction while the patch's transition runs", () => {
    const history = historyOf(
      rec(0, 0, "livepatch: enabling patch 'p'"),
      rec(1, 100, "livepatch: 'p': starting patching transition"),
      rec(2, 9_000_100, "livepatch: 'p': starting unpatching transition"),
      rec(3, 9_500_100, "livepatch: 'p': unpatching complete"),
    );
    assert.deepEqual(events(history), {
      "enabling p": 1,
      "patching_started p": 1,
      "reversing p": 1,
      "unpatching_started p": 1,
      "unpatching_complete p": 1,
    });
    assert.deepEqual(history.snapshot().patches[0]?.lastCompleted, { direction: "unpatching", seconds: 0.5 });
  });

  it("a failed enable: the transition is cancelled, the module load fails, no duration is made up", () => {
    const history = historyOf(
      rec(0, 0, "livepatch: enabling patch 'p'"),
      rec(1, 1, "livepatch: failed to register ftrace handler for function 'cmdline_proc_show' (-16)"),
      rec(2, 2, "livepatch: failed to patch object 'vmlinux'"),
      rec(3, 3, "livepatch: failed to enable patch 'p'"),
      rec(4, 4, "livepatch: 'p': unpatching complete"),
    );
    assert.deepEqual(events(history), {
      "enabling p": 1,
      "other p": 2,
      "enable_failed p": 1,
      "cancelling p": 1,
      "unpatching_complete p": 1,
    });
    const log = history.snapshot();
    assert.deepEqual(log.refusals.get("patch_enable_failed"), { count: 1, lastUsec: 3 });
    assert.equal(log.patches[0]?.lastCompleted, undefined);
  });

  it("forced is unknown when the patch's life is not all in the log", () => {
    // Enabled before the first record read: its forcing may have been overwritten.
    const seenLate = historyOf(rec(100, 0, "livepatch: 'p': patching complete"));
    assert.deepEqual(seenLate.snapshot().patches[0]?.forced, { state: "unknown", reason: "overwritten" });
    // Records lost after its enabling: same.
    const gap = historyOf(rec(0, 0, "livepatch: enabling patch 'p'"), rec(50, 1, "x"));
    assert.deepEqual(gap.snapshot().patches[0]?.forced, { state: "unknown", reason: "overwritten" });
    // Records lost before its enabling only: known.
    const before = historyOf(rec(40, 0, "x"), rec(41, 1, "livepatch: enabling patch 'p'"));
    assert.deepEqual(before.snapshot().patches[0]?.forced, { state: "ok", value: false });
  });

  it("only the kernel's records count: userspace cannot forge a forcing", () => {
    const history = historyOf(
      rec(0, 0, "livepatch: enabling patch 'p'"),
      rec(1, 1, "livepatch: 'p': starting patching transition"),
      rec(2, 2, "livepatch: forcing remaining tasks to the patched state", 1),
    );
    assert.deepEqual(history.snapshot().patches[0]?.forced, { state: "ok", value: false });
    assert.equal(history.snapshot().records, 3);
  });

  it("refusals by reason with the time of the last, only the reasons seen", () => {
    const history = historyOf(
      rec(0, 0, "Lockdown: insmod: unsigned module loading is restricted; see man kernel_lockdown.7"),
      rec(1, 1, "Loading of unsigned module is rejected"),
      rec(2, 2, "livepatch: patch 'p' failed for module 'nfsd', refusing to load module 'nfsd'"),
      rec(3, 3, "Loading of unsigned module is rejected"),
    );
    assert.deepEqual(Object.fromEntries(history.snapshot().refusals), {
      unsigned: { count: 2, lastUsec: 3 },
      lockdown: { count: 1, lastUsec: 0 },
      patch_apply_failed: { count: 1, lastUsec: 2 },
    });
  });

  it("remembers at most MAX_NAMES patch names; the rest count under no patch", () => {
    const history = new KmsgHistory();
    for (let i = 0; i <= MAX_NAMES; i += 1) history.add(rec(i, i, `livepatch: enabling patch 'p${i}'`));
    const log = history.snapshot();
    assert.equal(log.patches.length, MAX_NAMES);
    assert.ok(history.overflowed);
    assert.ok(log.events.some((e) => e.name === "" && e.event === "enabling"));
  });
});

describe("kernel log reader", () => {
  it("replays a saved copy, then reads only what is appended, a record cut at the end of a read included", () => {
    const file = path.join(freshDir("kmsg"), "kmsg");
    fs.writeFileSync(file, "5,0,0,-;a\n5,1,1,-;b");
    const reader = new KmsgLogReader(file);
    const first = reader.drain(1000);
    assert.equal(first.error, undefined);
    assert.equal(reader.kind, "file");
    assert.deepEqual(first.chunks.flatMap(splitRecords), ["5,0,0,-;a", "5,1,1,-;b"]);
    fs.appendFileSync(file, "\n5,2,2,-;c\n");
    assert.deepEqual(reader.drain(1000).chunks.flatMap(splitRecords), ["5,2,2,-;c"]);
    assert.deepEqual(reader.drain(1000).chunks, []);
  });

  it("reads a large saved copy in chunks without cutting records", () => {
    const file = path.join(freshDir("kmsg"), "kmsg");
    const lines = Array.from({ length: 20_000 }, (_, i) => `6,${i},${i * 10},-;line ${i} ${"x".repeat(i % 97)}`);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    const records = new KmsgLogReader(file).drain(1000).chunks.flatMap(splitRecords);
    assert.deepEqual(records, lines);
  });

  it("is not the kernel log: a directory, a FIFO, another character device", () => {
    const dir = freshDir("kmsg");
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    for (const target of [dir, fifo, "/dev/null"]) {
      const drain = new KmsgLogReader(target).drain(10);
      assert.equal(drain.error?.failure, "invalid", target);
      assert.deepEqual(drain.chunks, []);
    }
  });

  it("a missing path is absent", () => {
    assert.deepEqual(new KmsgLogReader("/nonexistent/kmsg").drain(10).error, { failure: "absent", code: "ENOENT" });
  });

  it("the real /dev/kmsg: replayed from its oldest record, drained to EAGAIN without blocking", (t) => {
    const reader = new KmsgLogReader("/dev/kmsg");
    const first = reader.drain(1_000_000);
    if (first.error !== undefined) {
      t.skip(`/dev/kmsg is not readable here (${first.error.code})`);
      return;
    }
    assert.equal(reader.kind, "device");
    assert.ok(first.chunks.length > 0);
    const records = first.chunks.map((c) => parseRecord(c));
    assert.ok(
      records.every((r) => r !== undefined),
      "every read is one record",
    );
    // Drained: the next drain returns at once with what was logged since (usually nothing).
    const again = reader.drain(1_000_000);
    assert.equal(again.error, undefined);
    const last = records.at(-1)?.seq ?? -1;
    assert.ok(again.chunks.every((c) => (parseRecord(c)?.seq ?? -1) > last));
    reader.close();
  });

  it("EPIPE (records overwritten) is counted and reading goes on; other errors close the device", () => {
    const file = path.join(freshDir("kmsg"), "kmsg");
    fs.writeFileSync(file, "");
    const reader = new KmsgLogReader("/dev/kmsg");
    const original = fs.readSync;
    const openOriginal = fs.openSync;
    const fstatOriginal = fs.fstatSync;
    const script = ["5,0,0,-;a\n", "EPIPE", "5,9,9,-;b\n", "EAGAIN"];
    const fail = (code: string): never => {
      throw Object.assign(new Error(code), { code });
    };
    const mutable = fs as unknown as Record<string, unknown>;
    mutable["openSync"] = () => openOriginal(file, "r");
    mutable["fstatSync"] = () => ({ isCharacterDevice: () => true, isFile: () => false, rdev: 0x10b });
    mutable["readSync"] = (_fd: number, buffer: Buffer) => {
      const next = script.shift() ?? "EAGAIN";
      if (next === "EPIPE" || next === "EAGAIN" || next === "EIO") return fail(next);
      return buffer.write(next);
    };
    try {
      const drain = reader.drain(100);
      assert.equal(drain.error, undefined);
      assert.equal(drain.overwritten, 1);
      assert.deepEqual(drain.chunks, ["5,0,0,-;a\n", "5,9,9,-;b\n"]);
      script.push("EIO");
      const failed = reader.drain(100);
      assert.deepEqual(failed.error, { failure: "io_error", code: "EIO" });
    } finally {
      Object.assign(fs, { readSync: original, openSync: openOriginal, fstatSync: fstatOriginal });
      reader.close();
    }
  });
});
