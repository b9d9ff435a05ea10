// The main timeline: one VM taken through the life of live patches, state by
// state. Each state says what it does to the kernel and what the exporter must
// then report: /metrics (from a model of the host), `check --json`, the landing
// page and the alerts of the project's rules.
import assert from "node:assert/strict";
import { formatAge } from "../../../src/views/report/transition-start.js";
import { waitFor } from "../../helpers/wait.js";
import { alertmanagerAlerts } from "../../helpers/alertmanager.js";
import { newTaintAlerts } from "../expect/alerts.js";
import { parseReport } from "../expect/check.js";
import { LOG_TIMES, logTime, reportTime, type KmsgModel } from "../expect/kmsg.js";
import { atLeast, hostSeries, type HostModel, type PatchModel } from "../expect/metrics.js";
import { insmod, kpid, output, settle, tryInsmod, waitKernelLog } from "../harness/guest.js";
import { waitForNotification } from "../harness/alerting.js";
import type { Scenario, ScenarioContext, State } from "../harness/scenario.js";
import type { ExecResult } from "../harness/vm.js";

const LP = "/sys/kernel/livepatch";
const TAINTED = "OEK"; // out-of-tree, unsigned, live patch: what our modules add
const TAINT_ALERTS = newTaintAlerts(TAINTED); // none: K, O and E come with every live patch

/** A patch applied, with the functions it replaces by object (test/kernel/modules/). */
const applied = (name: string, objects: Record<string, readonly string[]>): PatchModel => ({
  name,
  state: "applied",
  objects,
});
const BASIC = applied("lp_basic", { vmlinux: ["cmdline_proc_show"] });
const SECOND = applied("lp_second", { vmlinux: ["execdomains_proc_show"] });
const BUSY = applied("lp_busy", { lp_busy_target: ["busy_wait_fn"] });
const CUMULATIVE = applied("lp_cumulative", { vmlinux: ["cmdline_proc_show"] });

/** Loaded modules and their taint letters: e1000 is Debian's, signed and in tree. */
const modules = (...names: string[]): Record<string, string> =>
  Object.fromEntries([
    ["e1000", ""],
    ...names.map((n): [string, string] => [n, n === "lp_busy_target" ? "OE" : TAINTED]),
  ]);

/** The host in a state of this timeline, whose exporter runs the collectors of patched functions too. */
const host = (model: Omit<HostModel, "taint"> & { taint?: string }): ReturnType<typeof hostSeries> =>
  hostSeries({ taint: TAINTED, functions: {}, ...model });

/** ftrace's view of the patched functions, as the kernel prints it (tracefs is mounted in the guest). */
const enabledFunctions = (ctx: ScenarioContext): Promise<string> =>
  ctx.vm.sh("cat /sys/kernel/tracing/enabled_functions");

const withoutPatch = (...names: string[]): string[] => names.map((m) => `warn module_without_patch ${m}`);
const moduleAlerts = (...names: string[]): string[] =>
  names.map((m) => `LivepatchModuleWithoutPatch{module=${m},severity=warning,state=live}`);

/** A value an earlier step recorded (its type is the recorder's). */
function note(ctx: ScenarioContext, name: string): unknown {
  if (!ctx.notes.has(name)) throw new Error(`no note ${name}: an earlier state did not record it`);
  return ctx.notes.get(name);
}

/** The `check` finding of the forced transition, from then on until reboot, with when the kernel logged it. */
const forcedText = (ctx: ScenarioContext): string =>
  `warn: lp_busy: a transition was forced at ${reportTime(note(ctx, "forced at") as number)}`;

const READY = "Ready for a new live patch";
const NOT_READY = "Not ready for a new live patch";

const STUCK_ALERT = "LivepatchTransitionNotCompleting";
const FORCED_ALERT = "LivepatchTransitionForced{patch=lp_busy,severity=warning}";
const FORCED = "warn transition_forced lp_busy";

// The kernel log, state by state (the kmsg collector). lp_basic, the first out-of-tree, unsigned
// live patch module, makes the kernel print its taint lines (out-of-tree, TAINT_LIVEPATCH) and the
// once-per-boot "module verification failed"; the later modules add none.
const APPLIED = { enabling: 1, patching_started: 1, patching_complete: 1 };
const LOG_BASIC: KmsgModel = {
  events: { lp_basic: APPLIED },
  moduleEvents: { lp_basic: { taint: 2, verification_failed: 1 } },
  forced: { lp_basic: false },
  lastTransition: { lp_basic: "patching" },
};
const LOG_SECOND: KmsgModel = {
  ...LOG_BASIC,
  events: { ...LOG_BASIC.events, lp_second: APPLIED },
  forced: { ...LOG_BASIC.forced, lp_second: false },
  lastTransition: { ...LOG_BASIC.lastTransition, lp_second: "patching" },
};
/**
 * Stuck: 5.1+ signals the remaining tasks after 15 retries, and again every 15 s while the
 * transition runs (a count that grows with time). "signaling" and "forcing" name no patch: they are
 * the open transition's, lp_busy's.
 */
const BUSY_STUCK = { enabling: 1, patching_started: 1, signaling: atLeast(1) };
const LOG_STUCK: KmsgModel = {
  ...LOG_SECOND,
  events: { ...LOG_SECOND.events, lp_busy: BUSY_STUCK },
  forced: { ...LOG_SECOND.forced, lp_busy: false },
};
const LOG_FORCED: KmsgModel = {
  ...LOG_SECOND,
  events: { ...LOG_SECOND.events, lp_busy: { ...BUSY_STUCK, forcing: 1, patching_complete: 1 } },
  forced: { ...LOG_SECOND.forced, lp_busy: true },
  lastTransition: { ...LOG_SECOND.lastTransition, lp_busy: "patching" },
};
/** The cumulative patch replaces the others without a line for them; then it is disabled. */
const LOG_CUMULATIVE: KmsgModel = {
  ...LOG_FORCED,
  events: { ...LOG_FORCED.events, lp_cumulative: APPLIED },
  forced: { ...LOG_FORCED.forced, lp_cumulative: false },
  lastTransition: { ...LOG_FORCED.lastTransition, lp_cumulative: "patching" },
};
const LOG_DISABLED: KmsgModel = {
  ...LOG_CUMULATIVE,
  events: {
    ...LOG_CUMULATIVE.events,
    lp_cumulative: { ...APPLIED, unpatching_started: 1, unpatching_complete: 1 },
  },
  lastTransition: { ...LOG_CUMULATIVE.lastTransition, lp_cumulative: "unpatching" },
};

/** The subject of busy_wait_fn's findings: its function directory under /sys/kernel/livepatch. */
const BUSY_WAIT_FN = "lp_busy/lp_busy_target/busy_wait_fn,1";

const states: State[] = [
  {
    name: "clean: no live patch, nothing tainted",
    enter: async ({ vm }) => settle(vm, []),
    expect: () => ({
      metrics: host({ patches: [], modules: modules(), taint: "" }),
      check: {
        exitCode: 0,
        ready: true,
        problems: [],
        includes: ["ok tainted", "info no_patch_loaded", "info clients_none"],
      },
      landing: [`${READY}; nothing needs attention.`, "no live patch is loaded"],
      alerts: [],
      kmsg: { events: {}, moduleEvents: {}, forced: {}, lastTransition: {} },
    }),
  },
  {
    name: "patch enabled: lp_basic replaces cmdline_proc_show",
    enter: async ({ vm }) => {
      await insmod(vm, "lp_basic");
      await settle(vm, ["lp_basic"]);
    },
    expect: () => ({
      metrics: host({ patches: [BASIC], modules: modules("lp_basic") }),
      check: {
        exitCode: 0,
        ready: true,
        problems: [],
        includes: ["ok patch lp_basic", "info tainted", "info taint_flag K"],
        texts: ["ok: lp_basic: applied; 1 function(s) in vmlinux", "info: tainted: 45056"],
      },
      landing: [READY, "lp_basic: applied; 1 function(s) in vmlinux", "K bit 15 LIVEPATCH"],
      alerts: TAINT_ALERTS,
      kmsg: LOG_BASIC,
      extra: {
        "the kernel runs the new code (/proc/cmdline shows the marker)": async ({ vm }) => {
          assert.equal((await vm.sh("cat /proc/cmdline")).trim(), "LIVEPATCH-TEST lp_basic");
        },
      },
    }),
  },
  {
    name: "second patch stacked: lp_second on lp_basic",
    enter: async ({ vm }) => {
      await insmod(vm, "lp_second");
      await settle(vm, ["lp_basic", "lp_second"]);
    },
    expect: () => ({
      metrics: host({ patches: [BASIC, SECOND], modules: modules("lp_basic", "lp_second") }),
      check: {
        exitCode: 0,
        ready: true,
        problems: [],
        includes: ["ok patch lp_basic", "ok patch lp_second"],
      },
      landing: [READY, "lp_basic: applied", "lp_second: applied"],
      alerts: TAINT_ALERTS,
      kmsg: LOG_SECOND,
      extra: {
        "both patches run (/proc/cmdline and /proc/execdomains)": async ({ vm }) => {
          assert.equal((await vm.sh("cat /proc/cmdline")).trim(), "LIVEPATCH-TEST lp_basic");
          assert.match(await vm.sh("cat /proc/execdomains"), /LIVEPATCH-TEST lp_second/);
        },
      },
    }),
  },
  {
    name: "transition stuck: lp_busy waits for a kthread that never leaves busy_wait_fn",
    enter: async (ctx) => {
      const { vm } = ctx;
      await insmod(vm, "lp_busy_target");
      let pid = 0;
      await waitFor(
        "lp_busy_kthread to sleep in busy_wait_fn",
        async () => {
          [pid = 0] = await kpid(vm, "lp_busy_kthread");
          return pid > 0 && (await vm.sh(`cat /proc/${pid}/stack`)).includes("busy_wait_fn");
        },
        30_000,
        250,
      );
      await insmod(vm, "lp_busy");
      // The kernel retries every second and signals the remaining tasks after
      // 15 s; a transition still running after that is stuck.
      await waitKernelLog(vm, "livepatch: signaling remaining tasks", 90_000);
      assert.equal((await vm.sh(`cat ${LP}/lp_busy/transition`)).trim(), "1", "lp_busy's transition ended by itself");
      ctx.notes.set("kthread", pid);
      // The frame the exporter must name: the kernel's own view of where the kthread sleeps.
      const stack = await vm.sh(`cat /proc/${pid}/task/${pid}/stack`);
      ctx.notes.set("kthread frame", /busy_wait_fn\+0x[0-9a-f]+\/0x[0-9a-f]+ \[lp_busy_target\]/.exec(stack)?.[0]);
      // When the kernel logged the start: btime + the record's microseconds since boot.
      ctx.notes.set(
        "transition start",
        logTime(await vm.sh(LOG_TIMES), "'lp_busy': starting patching transition").seconds,
      );
      // What readiness must predict: no other patch can be enabled, or disabled, now.
      ctx.notes.set("insmod during transition", await tryInsmod(vm, "lp_cumulative"));
      ctx.notes.set("disable during transition", await vm.exec(`echo 0 > ${LP}/lp_second/enabled`));
    },
    expect: (ctx) => {
      const pid = note(ctx, "kthread") as number;
      const frame = note(ctx, "kthread frame") as string;
      const blockedBy = `blocked by pid ${pid} tid ${pid} lp_busy_kthread, inside busy_wait_fn (lp_busy_target)`;
      const start = note(ctx, "transition start") as number;
      const since = `since ${reportTime(start)} (kernel log)`;
      return {
        metrics: host({
          patches: [BASIC, SECOND, { ...BUSY, state: "patching" }],
          modules: modules("lp_basic", "lp_second", "lp_busy_target", "lp_busy"),
          transition: {
            patch: "lp_busy",
            direction: "patching",
            blockers: [
              {
                pid,
                tid: pid,
                comm: "lp_busy_kthread",
                inside: { object: "lp_busy_target", function: "busy_wait_fn" },
              },
            ],
          },
        }),
        check: {
          exitCode: 1,
          ready: false,
          // One problem, one cause: the transition, with who blocks it and where; the patch itself is info.
          problems: ["fail no_transition_in_progress lp_busy"],
          includes: [
            "info patch lp_busy",
            "ok patch lp_basic",
            "ok patch lp_second",
            "ok redirection",
            `info patched_function ${BUSY_WAIT_FN}`,
            "ok probes",
          ],
          texts: [
            "fail: a transition is in progress (lp_busy, patching) and 1 thread blocks it",
            "ok: ftrace redirects all 3 function(s) of the enabled patches",
            "info: lp_busy: busy_wait_fn (lp_busy_target), redirected by ftrace",
          ],
          details: [`no_transition_in_progress: ${blockedBy} at ${frame}`],
        },
        landing: [
          `${NOT_READY}: a transition is in progress (lp_busy, patching) and 1 thread blocks it.`,
          "Needs attention",
          blockedBy,
          since,
          "Runbook: what to do",
          "lp_busy: busy_wait_fn (lp_busy_target), redirected by ftrace",
        ],
        alerts: [...TAINT_ALERTS, `${STUCK_ALERT}{direction=patching,patch=lp_busy,severity=warning}`],
        kmsg: { ...LOG_STUCK, start: { patch: "lp_busy", direction: "patching", seconds: start } },
        extra: {
          "the kthread's kernel stack is inside busy_wait_fn, as the exporter says": () => {
            assert.match(frame, /^busy_wait_fn\+0x[0-9a-f]+\/0x[0-9a-f]+ \[lp_busy_target\]$/);
          },
          "ftrace hooks every patched function with the live patch handler (enabled_functions)": async (c) => {
            const text = await enabledFunctions(c);
            for (const fn of ["cmdline_proc_show", "execdomains_proc_show", "busy_wait_fn \\[lp_busy_target\\]"]) {
              assert.match(text, new RegExp(`^${fn} \\(1\\) .*\\(klp_ftrace_handler\\+`, "m"), text);
            }
          },
          "check says since when the transition runs, by the kernel log, and for how long": (_c, observed) => {
            const running = parseReport(observed.check).findings.find((f) => f.id === "no_transition_in_progress");
            assert.equal(running?.facts["started_at"], reportTime(start));
            const seconds = running.facts["running_seconds"];
            assert.ok(typeof seconds === "number" && seconds >= 15, `running_seconds ${JSON.stringify(seconds)}`);
            assert.equal(running.details[0], `running for ${formatAge(seconds)}, ${since}`);
          },
          "the kernel refuses to enable or disable another patch meanwhile (EBUSY), as readiness says": (c) => {
            const enable = note(c, "insmod during transition") as ExecResult;
            assert.notEqual(enable.rc, 0, "insmod lp_cumulative succeeded during the transition");
            assert.match(output(enable), /Device or resource busy/);
            const disable = note(c, "disable during transition") as ExecResult;
            assert.notEqual(disable.rc, 0, "lp_second could be disabled during the transition");
            assert.match(output(disable), /Device or resource busy/);
          },
          "Alertmanager notifies the warning receiver of the stuck transition": async ({ alerting }) => {
            if (alerting === undefined) throw new Error("no alerting chain");
            await waitForNotification(
              alerting,
              "a firing notification on /chat",
              (n) =>
                n.path === "/chat" &&
                n.status === "firing" &&
                n.alerts.some(
                  (a) =>
                    a.labels["alertname"] === STUCK_ALERT &&
                    a.labels["patch"] === "lp_busy" &&
                    a.annotations["description"]?.includes("patch lp_busy has been patching") === true &&
                    a.annotations["description"].includes("1 thread(s) still block it"),
                ),
            );
            const active = (await alertmanagerAlerts(alerting.alertmanager)).filter(
              (a) => a.labels["alertname"] === STUCK_ALERT,
            );
            assert.deepEqual(
              active.map((a) => [a.labels["severity"], a.labels["patch"], a.status.state]),
              [["warning", "lp_busy", "active"]],
            );
          },
        },
      };
    },
  },
  {
    name: "transition forced: echo 1 > force",
    enter: async (ctx) => {
      await ctx.vm.sh(`echo 1 > ${LP}/lp_busy/force`);
      await settle(ctx.vm, ["lp_basic", "lp_second", "lp_busy"]);
      ctx.notes.set("forced at", logTime(await ctx.vm.sh(LOG_TIMES), "forcing remaining tasks").seconds);
    },
    expect: (ctx) => ({
      metrics: host({
        patches: [BASIC, SECOND, BUSY],
        modules: modules("lp_basic", "lp_second", "lp_busy_target", "lp_busy"),
      }),
      check: {
        exitCode: 1,
        ready: true,
        problems: [FORCED],
        includes: ["ok patch lp_busy", "ok no_transition_in_progress", "info transition_duration lp_busy"],
        texts: ["ok: lp_busy: applied; 1 function(s) in lp_busy_target", forcedText(ctx)],
      },
      landing: [READY, "lp_busy: applied", "lp_busy: a transition was forced at"],
      alerts: [...TAINT_ALERTS, FORCED_ALERT],
      kmsg: LOG_FORCED,
      extra: {
        "the kthread counts as switched (patch_state -1)": async ({ vm }) => {
          const pid = note(ctx, "kthread") as number;
          assert.equal((await vm.sh(`cat /proc/${pid}/patch_state`)).trim(), "-1");
        },
        "Alertmanager notifies that the stuck-transition alert resolved": async ({ alerting }) => {
          if (alerting === undefined) throw new Error("no alerting chain");
          await waitForNotification(
            alerting,
            "a resolved notification on /chat",
            (n) =>
              n.path === "/chat" &&
              n.status === "resolved" &&
              n.alerts.some((a) => a.labels["alertname"] === STUCK_ALERT && a.status === "resolved"),
          );
          const active = (await alertmanagerAlerts(alerting.alertmanager)).filter(
            (a) => a.labels["alertname"] === STUCK_ALERT,
          );
          assert.deepEqual(active, []);
        },
      },
    }),
  },
  {
    // Probes stay for the rest of the timeline: once lp_cumulative has replaced lp_busy and lp_second, they
    // sit on functions no patch replaces, and the exporter must report none of them.
    name: "probes on patched functions: kprobes on busy_wait_fn, a function tracer on execdomains_proc_show",
    enter: async (ctx) => {
      const frame = note(ctx, "kthread frame") as string;
      // The return address in the kthread's frame is an instruction boundary inside busy_wait_fn's body.
      const body = /\+(0x[0-9a-f]+)\//.exec(frame)?.[1] ?? "";
      await ctx.vm.sh(
        [
          "cd /sys/kernel/tracing",
          "echo 'p:lp_entry lp_busy_target:busy_wait_fn' >> kprobe_events",
          `echo 'p:lp_body lp_busy_target:busy_wait_fn+${Number(body)}' >> kprobe_events`,
          "echo 1 > events/kprobes/lp_entry/enable",
          "echo 1 > events/kprobes/lp_body/enable",
          "echo execdomains_proc_show > set_ftrace_filter",
          "echo function > current_tracer",
        ].join(" && "),
      );
      await settle(ctx.vm, ["lp_basic", "lp_second", "lp_busy"]);
    },
    expect: () => ({
      metrics: host({
        patches: [BASIC, SECOND, BUSY],
        modules: modules("lp_basic", "lp_second", "lp_busy_target", "lp_busy"),
        functions: {
          probes: {
            // The entry kprobe is armed through ftrace: a second user of the call site.
            busy_wait_fn: { entry: 1, body: 1, ftraceUsers: 1 },
            execdomains_proc_show: { entry: 0, body: 0, ftraceUsers: 1 },
          },
        },
      }),
      check: {
        exitCode: 1,
        ready: true,
        // The forced transition of the state before stays in the kernel log.
        problems: [`warn kprobe_in_patched_body ${BUSY_WAIT_FN}`, FORCED],
        includes: [
          "ok redirection",
          `info kprobe_at_patched_entry ${BUSY_WAIT_FN}`,
          `info ftrace_shared ${BUSY_WAIT_FN}`,
          "info ftrace_shared lp_second/vmlinux/execdomains_proc_show,1",
        ],
        texts: [
          "warn: 1 kprobe(s) in the body of lp_busy: busy_wait_fn (lp_busy_target): they never fire once every task runs the replacement",
          "info: 1 kprobe(s) at the entry of lp_busy: busy_wait_fn (lp_busy_target)",
          "info: 1 other ftrace user(s) on lp_second: execdomains_proc_show (vmlinux): a tracer, a kprobe or a BPF program",
        ],
      },
      landing: [READY, "kprobe(s) in the body of lp_busy: busy_wait_fn (lp_busy_target)"],
      alerts: [...TAINT_ALERTS, FORCED_ALERT],
      kmsg: LOG_FORCED,
      extra: {
        "the kernel lists the probes, and two ftrace users on both functions": async (c) => {
          const probes = await c.vm.sh("cat /sys/kernel/debug/kprobes/list");
          assert.match(probes, /\bk\s+busy_wait_fn\+0x0\s+lp_busy_target\s+\[FTRACE\]/, probes);
          assert.match(probes, /\bk\s+busy_wait_fn\+0x[1-9a-f][0-9a-f]*\s+lp_busy_target/, probes);
          const text = await enabledFunctions(c);
          assert.match(text, /^busy_wait_fn \[lp_busy_target\] \(2\) R I/m, text);
          assert.match(text, /^execdomains_proc_show \(2\) {2,}I/m, text);
        },
        "ftrace cannot be switched off under a patch (EBUSY since 5.5), so it cannot void one": async (c) => {
          const result = await c.vm.exec("sysctl -w kernel.ftrace_enabled=0");
          assert.notEqual(result.rc, 0, output(result));
          assert.match(output(result), /Device or resource busy/);
          assert.equal((await c.vm.sh("cat /proc/sys/kernel/ftrace_enabled")).trim(), "1");
        },
      },
    }),
  },
  {
    name: "cumulative replace: lp_cumulative replaces every patch, their modules stay loaded",
    enter: async ({ vm }) => {
      await insmod(vm, "lp_cumulative");
      // Replaced patches leave /sys/kernel/livepatch asynchronously (a workqueue frees them).
      await settle(vm, ["lp_cumulative"]);
    },
    expect: (ctx) => ({
      metrics: host({
        patches: [CUMULATIVE],
        modules: modules("lp_basic", "lp_second", "lp_busy_target", "lp_busy", "lp_cumulative"),
        withoutPatch: ["lp_basic", "lp_busy", "lp_second"],
      }),
      check: {
        exitCode: 1,
        ready: true,
        problems: [...withoutPatch("lp_basic", "lp_second", "lp_busy"), FORCED],
        includes: ["ok patch lp_cumulative"],
        texts: [forcedText(ctx)],
      },
      landing: [READY, "lp_cumulative: applied", "module lp_busy (live) is a live patch module with no active patch"],
      alerts: [...TAINT_ALERTS, ...moduleAlerts("lp_basic", "lp_second", "lp_busy"), FORCED_ALERT],
      kmsg: LOG_CUMULATIVE,
      extra: {
        "the cumulative patch runs, the replaced lp_second no longer does": async ({ vm }) => {
          assert.equal((await vm.sh("cat /proc/cmdline")).trim(), "LIVEPATCH-TEST lp_cumulative");
          assert.doesNotMatch(await vm.sh("cat /proc/execdomains"), /LIVEPATCH-TEST/);
        },
      },
    }),
  },
  {
    name: "cumulative patch disabled: echo 0 > enabled",
    enter: async ({ vm }) => {
      await vm.sh(`echo 0 > ${LP}/lp_cumulative/enabled`);
      // On 5.1+ a disabled patch leaves sysfs once its unpatching transition completes.
      await settle(vm, []);
    },
    expect: () => ({
      metrics: host({
        patches: [],
        modules: modules("lp_basic", "lp_second", "lp_busy_target", "lp_busy", "lp_cumulative"),
        withoutPatch: ["lp_basic", "lp_busy", "lp_cumulative", "lp_second"],
      }),
      check: {
        exitCode: 1,
        ready: true,
        problems: [...withoutPatch("lp_basic", "lp_second", "lp_busy", "lp_cumulative"), FORCED],
        includes: ["info no_patch_loaded", "info transition_duration lp_cumulative"],
      },
      landing: [READY, "module lp_cumulative (live) is a live patch module with no active patch"],
      alerts: [...TAINT_ALERTS, ...moduleAlerts("lp_basic", "lp_second", "lp_busy", "lp_cumulative"), FORCED_ALERT],
      kmsg: LOG_DISABLED,
      extra: {
        "the original code runs again (/proc/cmdline)": async ({ vm }) => {
          assert.match(await vm.sh("cat /proc/cmdline"), /no_timer_check/);
        },
      },
    }),
  },
  {
    name: "cumulative patch removed: rmmod, and the module of the forced patch too",
    enter: async (ctx) => {
      await ctx.vm.sh("rmmod lp_cumulative");
      // Forcing pins the modules of patches being removed (an unpatching
      // transition, or the patches a cumulative one replaces); lp_busy's
      // transition was a patching one, so its module can go.
      ctx.notes.set("rmmod lp_busy", await ctx.vm.exec("rmmod lp_busy"));
    },
    expect: (ctx) => ({
      metrics: host({
        patches: [],
        modules: modules("lp_basic", "lp_second", "lp_busy_target"),
        withoutPatch: ["lp_basic", "lp_second"],
      }),
      // The forced patch stays reported until reboot, though its module is gone.
      check: { exitCode: 1, ready: true, problems: [...withoutPatch("lp_basic", "lp_second"), FORCED] },
      landing: [READY, "module lp_basic (live) is a live patch module with no active patch"],
      alerts: [...TAINT_ALERTS, ...moduleAlerts("lp_basic", "lp_second"), FORCED_ALERT],
      kmsg: LOG_DISABLED,
      extra: {
        "the forced patch's module could be removed": () => {
          const result = note(ctx, "rmmod lp_busy") as ExecResult;
          assert.equal(result.rc, 0, output(result));
        },
      },
    }),
  },
  {
    name: "modules_disabled=1: no module, no patch can be loaded until reboot",
    enter: async (ctx) => {
      await ctx.vm.sh("sysctl -w kernel.modules_disabled=1");
      ctx.notes.set("insmod with modules disabled", await tryInsmod(ctx.vm, "lp_cumulative"));
    },
    expect: (ctx) => ({
      metrics: host({
        patches: [],
        modules: modules("lp_basic", "lp_second", "lp_busy_target"),
        withoutPatch: ["lp_basic", "lp_second"],
        modulesDisabled: true,
      }),
      check: {
        exitCode: 1,
        ready: false,
        problems: [...withoutPatch("lp_basic", "lp_second"), "fail modules_not_disabled", FORCED],
        texts: ["fail: module loading is switched off until reboot (modules_disabled=1)"],
      },
      landing: [`${NOT_READY}: module loading is switched off until reboot (modules_disabled=1).`],
      alerts: [
        ...TAINT_ALERTS,
        ...moduleAlerts("lp_basic", "lp_second"),
        "LivepatchNotReady{severity=warning}", // one per host; the description names modules_not_disabled
        FORCED_ALERT,
      ],
      // modules_disabled=1 refuses without a line in the log: nothing is counted as refused.
      kmsg: LOG_DISABLED,
      extra: {
        "the kernel refuses the insmod (EPERM)": () => {
          const result = note(ctx, "insmod with modules disabled") as ExecResult;
          assert.notEqual(result.rc, 0);
          assert.match(output(result), /Operation not permitted/);
        },
      },
    }),
  },
];

export const MAIN_TIMELINE: Scenario = {
  name: "main",
  title: "live kernel: the main timeline, one VM, Prometheus and Alertmanager on the host",
  exporterFlags: [
    "--collector.transition.blocking-threads",
    "--collector.functions",
    "--collector.redirection",
    "--collector.probes",
  ],
  alerting: true,
  states,
};
