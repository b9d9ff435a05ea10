// Boots where the kernel accepts only signed modules: lockdown=integrity and
// module.sig_enforce=1. The unsigned test patch is refused, leaves nothing
// behind (no patch, no taint), and the exporter says that only signed patches
// can be loaded while the host is otherwise ready.
import assert from "node:assert/strict";
import { hostSeries } from "../expect/metrics.js";
import { output, settle, tryInsmod } from "../harness/guest.js";
import type { Scenario, State } from "../harness/scenario.js";
import type { ExecResult } from "../harness/vm.js";

const policy = (sigEnforce: boolean): string =>
  sigEnforce
    ? "only signed modules load (sig_enforce=Y)"
    : "only signed modules load: lockdown=integrity rejects unsigned ones";

function refusedState(how: { mode: string; error: RegExp; log: RegExp; sigEnforce: boolean }): State {
  return {
    name: `an unsigned live patch is refused (${how.mode})`,
    enter: async (ctx) => {
      await settle(ctx.vm, []);
      ctx.notes.set("insmod", await tryInsmod(ctx.vm, "lp_basic"));
      ctx.notes.set("dmesg", await ctx.vm.sh("dmesg"));
    },
    expect: (ctx) => ({
      metrics: hostSeries({
        patches: [],
        modules: { e1000: "" },
        taint: "",
        sigEnforce: how.sigEnforce,
        lockdown: how.sigEnforce ? "none" : "integrity",
      }),
      check: {
        exitCode: 0,
        ready: true,
        problems: [],
        includes: ["ok tainted", "info module_signature_policy"],
        // The policy in force, said once (under lockdown, sig_enforce=N does not matter).
        texts: [`info: ${policy(how.sigEnforce)}`],
      },
      landing: [
        "Ready for a new live patch; nothing needs attention.",
        "no live patch is loaded",
        policy(how.sigEnforce),
      ],
      extra: {
        "the kernel refused the module": () => {
          const result = ctx.notes.get("insmod") as ExecResult;
          assert.notEqual(result.rc, 0, "insmod of the unsigned lp_basic succeeded");
          assert.match(output(result), how.error);
          assert.match(String(ctx.notes.get("dmesg")), how.log);
        },
      },
    }),
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
    }),
  ],
};
