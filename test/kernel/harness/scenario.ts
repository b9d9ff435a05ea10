// Runs a scenario: one boot, then its states in order against that one VM.
// For each state: enter it (commands in the guest, then wait until the kernel
// has settled), observe it (/metrics, `check --json`, the landing page, all
// from the exporter in the guest), then assert each kind of expectation as
// its own subtest. Adding an assertion to a state is adding a field to its
// expectations (a new kind: an entry in ASSERTIONS) or an `extra` subtest.
import { after, before, describe, it, type TestContext } from "node:test";
import { assertFiring } from "../expect/alerts.js";
import { assertCheck, type CheckExpectation, type CheckResult } from "../expect/check.js";
import { assertKmsg, type KmsgModel } from "../expect/kmsg.js";
import { assertLanding } from "../expect/landing.js";
import { assertMetrics, parseMetrics, type Series } from "../expect/metrics.js";
import { startAlerting, type Alerting } from "./alerting.js";
import { GUEST_PATHS } from "./layers.js";
import { prepare } from "./prepare.js";
import { progress } from "./progress.js";
import { Vm } from "./vm.js";

export interface ScenarioContext {
  readonly vm: Vm;
  /** Prometheus, Alertmanager and the webhook recorder, in scenarios that have them. */
  readonly alerting: Alerting | undefined;
  /** Facts learned along the timeline for later states (the blocking kthread's pid...). */
  readonly notes: Map<string, unknown>;
}

export interface Observation {
  readonly metricsText: string;
  /** Normalised series keys (see expect/metrics.ts key()) -> value. */
  readonly metrics: ReadonlyMap<string, number>;
  readonly check: CheckResult;
  readonly landingHtml: string;
}

type Extra = (ctx: ScenarioContext, observed: Observation) => Promise<void> | void;

export interface Expectations {
  /** Exact series of EXACT_FAMILIES and of every family named here. */
  readonly metrics: Series;
  readonly check: CheckExpectation;
  /** Text the landing page must show. */
  readonly landing: readonly string[];
  /** Alerts Prometheus must have firing for the VM, exactly (expect/alerts.ts alertKey form). */
  readonly alerts?: readonly string[];
  /** What the kernel log said since boot: every livepatch_kmsg_* series, exactly (expect/kmsg.ts). */
  readonly kmsg?: KmsgModel;
  /** More assertions, each its own subtest, by name. */
  readonly extra?: Readonly<Record<string, Extra>>;
}

export interface State {
  readonly name: string;
  /** Changes the kernel's state and waits until it has settled. */
  enter(ctx: ScenarioContext): Promise<void>;
  /** What must hold now (may ask the guest, e.g. for a pid). */
  expect(ctx: ScenarioContext): Expectations | Promise<Expectations>;
}

export interface Scenario {
  /** Names the boot: serial log <name>.serial.log, guest hostname. */
  readonly name: string;
  readonly title: string;
  /** Extra kernel command line arguments. */
  readonly append?: readonly string[];
  /** Flags of the exporter in the guest, and of `check`. */
  readonly exporterFlags: readonly string[];
  /** Run Prometheus and Alertmanager against the exporter. */
  readonly alerting: boolean;
  readonly states: readonly State[];
}

interface Assertion {
  readonly name: string;
  readonly applies: (expected: Expectations, ctx: ScenarioContext) => boolean;
  readonly run: (expected: Expectations, observed: Observation, ctx: ScenarioContext) => Promise<void> | void;
}

/** The kinds of expectation every state is checked against, in this order. */
const ASSERTIONS: readonly Assertion[] = [
  { name: "/metrics", applies: () => true, run: (e, o) => assertMetrics(o.metrics, e.metrics) },
  { name: "check --json", applies: () => true, run: (e, o) => assertCheck(o.check, e.check) },
  { name: "landing page", applies: () => true, run: (e, o) => assertLanding(o.landingHtml, e.landing) },
  {
    name: "the kernel log (livepatch_kmsg_*)",
    applies: (e) => e.kmsg !== undefined,
    run: (e, o) => {
      if (e.kmsg !== undefined) assertKmsg(o.metrics, e.kmsg);
    },
  },
  {
    name: "Prometheus alerts (project rules)",
    applies: (e, ctx) => e.alerts !== undefined && ctx.alerting !== undefined,
    run: async (e, _o, ctx) => {
      if (ctx.alerting !== undefined) await assertFiring(ctx.alerting, e.alerts ?? []);
    },
  },
];

async function observe(ctx: ScenarioContext, flags: readonly string[]): Promise<Observation> {
  const get = async (path: string): Promise<string> => {
    const response = await fetch(`${ctx.vm.exporterUrl}${path}`, { signal: AbortSignal.timeout(30_000) });
    if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return response.text();
  };
  // A scrape joins a collection already in flight (src/snapshot/collect.ts), and the host's Prometheus
  // scrapes the guest all along: one that began before the state settled (a 75 ms unpatching
  // transition, say) would answer for the state before. This first scrape waits such a collection out,
  // so the ones below start after the state settled.
  await get("/metrics");
  const [metricsText, landingHtml, check] = await Promise.all([
    get("/metrics"),
    get("/"),
    ctx.vm.exec(`node ${GUEST_PATHS.main} check --json ${flags.join(" ")}`, 120_000),
  ]);
  return { metricsText, metrics: parseMetrics(metricsText), check, landingHtml };
}

export function runScenario(scenario: Scenario): void {
  describe(scenario.title, { timeout: 15 * 60_000 }, () => {
    let ctx: ScenarioContext | undefined;
    let broken: string | undefined;
    let anyFailed = false;
    let serialLog = "(the VM did not start)";

    before(async () => {
      const prepared = await prepare();
      const vm = await Vm.boot({
        name: scenario.name,
        kernel: prepared.kernel,
        layers: prepared.layers,
        outputDir: prepared.outputDir,
        ...(scenario.append === undefined ? {} : { append: scenario.append }),
      });
      serialLog = vm.serialLog;
      ctx = { vm, alerting: undefined, notes: new Map() };
      try {
        const t0 = Date.now();
        await vm.startExporter(scenario.exporterFlags);
        progress(
          `${scenario.name}: exporter answering in the guest after ${((Date.now() - t0) / 1000).toFixed(1)}s at ${vm.exporterUrl}`,
        );
        if (scenario.alerting) {
          const alerting = await startAlerting(vm.exporterUrl);
          ctx = { ...ctx, alerting };
          progress(
            `${scenario.name}: Prometheus ${alerting.prometheus.url}, Alertmanager ${alerting.alertmanager.url} up`,
          );
        }
      } catch (error) {
        broken = "start-up";
        anyFailed = true;
        progress(`${scenario.name}: start-up FAILED; serial console log: ${serialLog}`);
        throw error;
      }
    });

    after(async () => {
      await ctx?.alerting?.stop();
      await ctx?.vm.stop();
      progress(
        `${scenario.name}: VM stopped${anyFailed ? `; there were failures: serial console log ${serialLog}` : ""}`,
      );
    });

    for (const state of scenario.states) {
      it(state.name, async (t: TestContext) => {
        if (ctx === undefined || broken !== undefined) {
          t.skip(`an earlier step failed (${broken ?? "start-up"})`);
          return;
        }
        const c = ctx;
        const t0 = Date.now();
        progress(`${scenario.name}: state "${state.name}": entering`);
        const status = { failed: false };
        const guard = async (what: string, work: () => Promise<void> | void): Promise<void> => {
          try {
            await work();
          } catch (error) {
            status.failed = true;
            anyFailed = true;
            progress(`${scenario.name}: state "${state.name}": ${what} FAILED; serial console log: ${serialLog}`);
            throw error;
          }
        };
        // A state the kernel could not be brought into leaves the rest of the
        // timeline meaningless; a failed assertion does not.
        let expected: Expectations | undefined;
        let observed: Observation | undefined;
        await guard("entering", async () => {
          try {
            await state.enter(c);
          } catch (error) {
            broken = state.name;
            throw error;
          }
          expected = await state.expect(c);
          observed = await observe(c, scenario.exporterFlags);
        });
        const [e, o] = [expected, observed];
        if (e === undefined || o === undefined) return;
        for (const assertion of ASSERTIONS.filter((a) => a.applies(e, c))) {
          await t.test(assertion.name, () => guard(assertion.name, () => assertion.run(e, o, c)));
        }
        for (const [name, extra] of Object.entries(e.extra ?? {})) {
          await t.test(name, () => guard(name, () => extra(c, o)));
        }
        progress(
          `${scenario.name}: state "${state.name}": ${status.failed ? "FAILED" : "ok"} (${((Date.now() - t0) / 1000).toFixed(1)}s)`,
        );
      });
    }
  });
}
