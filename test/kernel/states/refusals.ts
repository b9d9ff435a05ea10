// Boots where the kernel accepts only signed modules: lockdown=integrity and
// module.sig_enforce=1. The unsigned test patch is refused, leaves nothing
// behind (no patch, no taint), and the exporter says that only signed patches
// can be loaded while the host is otherwise ready. The kernel log says why it
// was refused: each refusal is counted, by reason, and is a problem for `check`.
import assert from "node:assert/strict";
import type { RefusalReason } from "../../../src/parse/kmsg-messages.js";
import { hostSeries } from "../expect/metrics.js";
import { output, settle, tryInsmod } from "../harness/guest.js";
import type { Scenario, State } from "../harness/scenario.js";
import type { ExecResult } from "../harness/vm.js";

const policy = (sigEnforce: boolean): string =>
  sigEnforce
    ? "only signed modules load (sig_enforce=Y)"
    : "only signed modules load: lockdown=integrity rejects unsigned ones";

/** How a boot refuses the unsigned module, and what the kernel log then says (docs/kernel-log.md). */
interface Refusal {
  readonly mode: string;
  readonly error: RegExp;
  readonly log: RegExp;
  readonly sigEnforce: boolean;
  /** The kernel's line as the kmsg collector counts it, the reason it gives, and the report's words. */
  readonly moduleEvent: string;
  readonly reason: RefusalReason;
  readonly reasonText: string;
}

function refusedState(how: Refusal): State {
  return {
    name: `an unsigned live patch is refused (${how.mode})`,
    enter: async (ctx) => {
      await settle(ctx.vm, []);
      ctx.notes.set("insmod", await tryInsmod(ctx.vm, "lp_basic"));
      ctx.notes.set("dmesg", await ctx.vm.sh("dmesg"));
    },
    expect: (ctx) => {
      // busybox insmod tries finit_module, then init_module: each refusal is logged, and counted.
      const refusals = String(ctx.notes.get("dmesg"))
        .split("\n")
        .filter((line) => how.log.test(line)).length;
      const refused = `the kernel refused ${refusals} module load(s) since boot: ${how.reasonText} (${how.reason})`;
      return {
        metrics: hostSeries({
          patches: [],
          modules: { e1000: "" },
          taint: "",
          sigEnforce: how.sigEnforce,
          lockdown: how.sigEnforce ? "none" : "integrity",
        }),
        check: {
          exitCode: 1,
          ready: true,
          problems: [`warn module_load_refused ${how.reason}`],
          includes: ["ok tainted", "info module_signature_policy", "ok kmsg_read"],
          // The policy in force, said once (under lockdown, sig_enforce=N does not matter).
          texts: [`info: ${policy(how.sigEnforce)}`, `warn: ${refused}`],
        },
        landing: [
          `Ready for a new live patch; 1 problem needs attention, the worst: ${refused}.`,
          "no live patch is loaded",
          policy(how.sigEnforce),
        ],
        kmsg: {
          events: {},
          moduleEvents: { "": { [how.moduleEvent]: refusals } },
          refused: { [how.reason]: refusals },
          forced: {},
          lastTransition: {},
        },
        extra: {
          "the kernel refused the module, and logged it": () => {
            const result = ctx.notes.get("insmod") as ExecResult;
            assert.notEqual(result.rc, 0, "insmod of the unsigned lp_basic succeeded");
            assert.match(output(result), how.error);
            assert.match(String(ctx.notes.get("dmesg")), how.log);
            assert.ok(refusals >= 1);
          },
        },
      };
    },
  };
}

export const LOCKDOWN: Scenario = {
  name: "lockdown",
  title: "live kernel: booted with lockdown=integrity",
  append: ["lockdown=integrity"],
  exporterFlags: [],
  alerting: false,
  states: [
    refusedState({
      mode: "lockdown=integrity",
      error: /Operation not permitted/,
      log: /Lockdown: insmod: unsigned module loading is restricted/,
      sigEnforce: false,
      moduleEvent: "lockdown_rejected",
      reason: "lockdown",
      reasonText: "unsigned module under lockdown",
    }),
  ],
};

export const SIG_ENFORCE: Scenario = {
  name: "sig-enforce",
  title: "live kernel: booted with module.sig_enforce=1",
  append: ["module.sig_enforce=1"],
  exporterFlags: [],
  alerting: false,
  states: [
    refusedState({
      mode: "module.sig_enforce=1",
      error: /Key was rejected by service/,
      log: /Loading of unsigned module is rejected/,
      sigEnforce: true,
      moduleEvent: "signature_rejected",
      reason: "unsigned",
      reasonText: "unsigned module, signatures enforced",
    }),
  ],
};
