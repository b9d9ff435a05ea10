// The parsers of ftrace's enabled_functions, kprobes/list and a task's kernel
// stack, over the real captures and the line shapes of each kernel version
// (kernel/trace/ftrace.c t_show(), kernel/kprobes.c report_probe(),
// fs/proc/base.c proc_pid_stack(); docs/patched-functions.md).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { liveHook, otherFtraceUsers } from "../../src/collectors/ftrace-hooks.js";
import { parseEnabledFunctions, type FtraceRecord } from "../../src/parse/enabled-functions.js";
import { parseKernelStack } from "../../src/parse/kernel-stack.js";
import { parseKprobesList } from "../../src/parse/kprobes-list.js";
import { realKernelTree } from "../helpers/fixtures.js";

const KLP = "klp_ftrace_handler";
const one = (line: string): FtraceRecord => {
  const parsed = parseEnabledFunctions(line);
  assert.equal(parsed.invalidLines, 0, line);
  assert.equal(parsed.records.length, 1, line);
  const [record] = parsed.records;
  assert.ok(record);
  return record;
};

describe("enabled_functions", () => {
  it("the real 6.1 captures: a module function and two of vmlinux, each hooked by the live patch alone", () => {
    const read = (capture: "busy-stuck" | "stacked"): string =>
      fs.readFileSync(
        path.join(realKernelTree(capture, { rootfs: false }), "sys/kernel/debug/tracing/enabled_functions"),
        "utf8",
      );
    assert.deepEqual(parseEnabledFunctions(read("busy-stuck")), {
      records: [
        {
          symbol: "busy_wait_fn",
          module: "lp_busy_target",
          ops: 1,
          ipmodify: true,
          direct: false,
          callbacks: [KLP],
          mentions: [KLP, KLP],
        },
      ],
      invalidLines: 0,
    });
    const stacked = parseEnabledFunctions(read("stacked"));
    assert.deepEqual(
      stacked.records.map((r) => [r.symbol, r.module, r.ops, r.ipmodify, r.callbacks]),
      [
        ["execdomains_proc_show", undefined, 1, true, [KLP]],
        ["cmdline_proc_show", undefined, 1, true, [KLP]],
      ],
    );
  });

  it("4.x: count, R and I only; the trampoline and its callback", () => {
    const record = one(
      "meminfo_proc_show (1) R I\ttramp: 0xffffffffc0a51000 (klp_ftrace_handler+0x0/0xc0) ->klp_ftrace_handler+0x0/0xc0",
    );
    assert.deepEqual([record.ops, record.ipmodify, record.direct, record.callbacks], [1, true, false, [KLP]]);
  });

  it("several ops on one call site: no trampoline, x86 names the list function (6.1, as the live kernel showed)", () => {
    const record = one("busy_wait_fn [lp_busy_target] (2) R I   ->arch_ftrace_ops_list_func+0x0/0x1d0");
    assert.deepEqual(
      [record.symbol, record.module, record.ops, record.ipmodify, record.callbacks, record.mentions],
      ["busy_wait_fn", "lp_busy_target", 2, true, [], ["arch_ftrace_ops_list_func"]],
    );
    // Architectures without per-ops trampolines (and 4.x x86 with several ops) print nothing after the flags.
    assert.deepEqual(one("tcp_v4_rcv.isra.0 (2) R I").callbacks, []);
    assert.deepEqual(one("cmdline_proc_show (1)    ").ipmodify, false);
  });

  it("5.5+ direct calls: the D flag, and the target on a line of its own", () => {
    const parsed = parseEnabledFunctions(
      [
        "do_sys_openat2 (2) R I D   M  ->ftrace_ops_list_func+0x0/0x1d0",
        "\tdirect-->bpf_trampoline_6442501234+0x0/0x1000",
        "vfs_read (1) R   D   M  ->bpf_trampoline_6442509876+0x0/0x1000",
      ].join("\n"),
    );
    assert.equal(parsed.invalidLines, 0);
    assert.deepEqual(
      parsed.records.map((r) => [r.symbol, r.ops, r.ipmodify, r.direct, r.mentions]),
      [
        ["do_sys_openat2", 2, true, true, ["ftrace_ops_list_func", "bpf_trampoline_6442501234"]],
        ["vfs_read", 1, false, true, ["bpf_trampoline_6442509876"]],
      ],
    );
  });

  it("6.3+ CALL_OPS (arm64): the ops and its callback; 6.5+ M; 6.14+ sub-ops", () => {
    assert.deepEqual(
      one(
        "cmdline_proc_show (1)   I   O M \tops: 0xffff8000811c4d40 (klp_ftrace_handler+0x0/0x170) ->ftrace_caller+0x0/0x88",
      ).callbacks,
      [KLP],
    );
    assert.deepEqual(
      one(
        "schedule (1)     D   M \ttramp: ftrace_trampoline+0x0/0x1d0 [__builtin__ftrace] (ftrace_ops_list_func+0x0/0x1d0) {fgraph_ops_entry+0x0/0x40 (trace_graph_entry+0x0/0x2a0)} {ent:trace_graph_entry+0x0/0x2a0 ret:trace_graph_return+0x0/0x150}",
      ).callbacks,
      ["ftrace_ops_list_func", "trace_graph_entry"],
    );
  });

  it("counts lines it cannot read, and never attaches a continuation to the wrong record", () => {
    const parsed = parseEnabledFunctions(
      [
        "garbage",
        "\tdirect-->orphan+0x0/0x10",
        "cmdline_proc_show (x) R I",
        "__ftrace_invalid_address___884 (1) R I ??",
        "ok_fn (1)   I  \ttramp: ERROR!",
      ].join("\n"),
    );
    assert.equal(parsed.invalidLines, 3);
    assert.deepEqual(
      parsed.records.map((r) => [r.symbol, r.callbacks, r.mentions]),
      [["ok_fn", [], []]],
    );
  });

  it("parses only the functions asked for", () => {
    const text = "a (1) R\nb (1) R\n\tdirect-->x+0x0/0x10\nc (1) R\nnot a record\n";
    assert.deepEqual(
      parseEnabledFunctions(text, (symbol) => !["b", "not"].includes(symbol)).records.map((r) => [
        r.symbol,
        r.mentions,
      ]),
      [
        ["a", []],
        ["c", []],
      ],
    );
    // A line of the wrong shape is counted even when nobody asked for its function.
    assert.equal(parseEnabledFunctions(text, (symbol) => !["b", "not"].includes(symbol)).invalidLines, 1);
  });
});

describe("the live patch's hook on a function", () => {
  it("the handler named: redirected; the I flag without a callback shown: redirected by the only IPMODIFY ops", () => {
    const hooked = one("f (1)   I  \ttramp: 0xffffffffc0000000 (klp_ftrace_handler+0x0/0x110) ->klp_ftrace_handler");
    assert.deepEqual(liveHook([hooked]), { redirected: true, evidence: "handler" });
    const shared = one("f (2) R I   ->arch_ftrace_ops_list_func+0x0/0x1d0");
    assert.deepEqual(liveHook([shared]), { redirected: true, evidence: "ipmodify" });
    assert.equal(otherFtraceUsers([shared], liveHook([shared])), 1);
  });

  it("not traced, traced without IPMODIFY, or IPMODIFY held by another callback: not redirected", () => {
    assert.deepEqual(liveHook([]), { redirected: false, evidence: "not_traced" });
    const traced = one("f (1) R  \ttramp: 0xffffffffc0000000 (function_trace_call+0x0/0x130)");
    assert.deepEqual(liveHook([traced]), { redirected: false, evidence: "no_ipmodify" });
    assert.equal(otherFtraceUsers([traced], liveHook([traced])), 1);
    const held = one("f (1) R I  \ttramp: 0xffffffffc0a10000 (kprobe_ftrace_handler+0x0/0x1a0)");
    assert.deepEqual(liveHook([held]), { redirected: false, evidence: "other_ipmodify_user" });
  });

  it("a name listed twice (sympos > 1): the hooked record wins", () => {
    const plain = one("dup (1) R  \ttramp: 0xffffffffc0000000 (function_trace_call+0x0/0x130)");
    const hooked = one("dup (1)   I  \ttramp: 0xffffffffc0001000 (klp_ftrace_handler+0x0/0x110)");
    assert.deepEqual(liveHook([plain, hooked]), { redirected: true, evidence: "handler" });
  });
});

describe("kprobes/list", () => {
  it("the live kernel's lines (6.1): entry probes armed through ftrace, a body probe, a kretprobe, vmlinux's blank module", () => {
    const parsed = parseKprobesList(
      [
        "ffffffffc0565000  k  busy_wait_fn+0x0  lp_busy_target [FTRACE]",
        "ffffffffc0565018  k  busy_wait_fn+0x18  lp_busy_target ",
        "ffffffff8ec105a0  k  cmdline_proc_show+0x0    [DISABLED][FTRACE]",
        "ffffffff8ec105a0  r  cmdline_proc_show+0x0    [FTRACE]",
        "",
      ].join("\n"),
    );
    assert.equal(parsed.invalidLines, 0);
    assert.deepEqual(
      parsed.probes.map((p) => [p.kind, p.symbol, p.offset, p.module, p.disabled, p.ftrace, p.gone]),
      [
        ["kprobe", "busy_wait_fn", 0, "lp_busy_target", false, true, false],
        ["kprobe", "busy_wait_fn", 0x18, "lp_busy_target", false, false, false],
        ["kprobe", "cmdline_proc_show", 0, undefined, true, true, false],
        ["kretprobe", "cmdline_proc_show", 0, undefined, false, true, false],
      ],
    );
  });

  it("hidden or hashed addresses, %pS with a size, a module unloaded ([GONE]), and garbage", () => {
    const parsed = parseKprobesList(
      [
        "0000000000000000  k  tcp_v4_rcv.isra.0+0x4    [OPTIMIZED]",
        "00000000a3c2d1f0  k  xfs_iread+0x10/0x2a0 [xfs] ",
        "ffffffffc0000000  k  gone_fn+0x0  old_mod [GONE]",
        "not a probe",
        "ffffffff81000000  x  f+0x0",
      ].join("\n"),
    );
    assert.equal(parsed.invalidLines, 2);
    assert.deepEqual(
      parsed.probes.map((p) => [p.symbol, p.offset, p.module, p.gone]),
      [
        ["tcp_v4_rcv.isra.0", 4, undefined, false],
        ["xfs_iread", 0x10, "xfs", false],
        ["gone_fn", 0, "old_mod", true],
      ],
    );
  });
});

describe("/proc/<pid>/task/<tid>/stack", () => {
  it("[<0>] (the live kernel, 6.1: the kthread that blocks lp_busy)", () => {
    const frames = parseKernelStack(
      "[<0>] msleep_interruptible+0x32/0x70\n[<0>] busy_wait_fn+0x18/0x2a [lp_busy_target]\n[<0>] lp_busy_thread+0x16/0xfca [lp_busy_target]\n[<0>] kthread+0xda/0x100\n[<0>] ret_from_fork+0x22/0x30\n",
    );
    assert.deepEqual(frames.slice(0, 2), [
      { symbol: "msleep_interruptible", offset: 0x32, module: undefined, text: "msleep_interruptible+0x32/0x70" },
      {
        symbol: "busy_wait_fn",
        offset: 0x18,
        module: "lp_busy_target",
        text: "busy_wait_fn+0x18/0x2a [lp_busy_target]",
      },
    ]);
    assert.equal(frames.length, 5);
  });

  it("older kernels: the address in the brackets (hidden as zeros under kptr_restrict); unsymbolised frames left out", () => {
    const frames = parseKernelStack(
      "[<ffffffffa03da018>] busy_wait_fn+0x18/0x2a [lp_busy_target]\n[<0000000000000000>] kthread+0xda/0x100\n[<ffffffff81000000>] 0xffffffff81000000\n",
    );
    assert.deepEqual(
      frames.map((f) => [f.symbol, f.module]),
      [
        ["busy_wait_fn", "lp_busy_target"],
        ["kthread", undefined],
      ],
    );
  });
});
