// One collector per vendor client. It runs nothing itself: the client's
// background runner (src/clients/runner.ts) does, every interval, and a
// scrape reads its last result — so a hung client never delays /metrics.
// The reboot facts (a dependency) decide whether a required reboot can wait.
import type { Fact } from "../fact.js";
import type { ClientName } from "../clients/names.js";
import { rebootCanWait } from "../clients/reboot-wait.js";
import type { ClientRunnerState, ClientStateSource } from "../clients/runner.js";
import type { ClientFix } from "../clients/view.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

export interface ClientFacts extends ClientRunnerState {
  readonly client: ClientName;
  /** Per-fix series (opt-in --collector.clients.fix-info), at most the limit, by name; undefined when off. */
  readonly fixInfo: readonly ClientFix[] | undefined;
  /** See rebootCanWait: absent without a current view or when no reboot is required. */
  readonly rebootCanWait: Fact<boolean>;
}

export interface ClientCollectorOptions {
  readonly fixInfo: boolean;
  readonly fixInfoLimit: number;
}

export const DEFAULT_CLIENT_COLLECTOR_OPTIONS: ClientCollectorOptions = { fixInfo: false, fixInfoLimit: 100 };

export function createClientCollector<N extends ClientName>(
  name: N,
  source: ClientStateSource | undefined,
  options: ClientCollectorOptions,
): Collector<N> {
  return {
    name,
    help: `the ${name} client's last background run`,
    dependsOn: ["reboot"],
    collect: (ctx: CollectorContext) => {
      if (source === undefined) throw new CollectorError(`the ${name} client is not running`);
      const state = source.state();
      const view = state.last?.outcome.ok === true ? state.last.outcome.view : undefined;
      const fixInfo =
        options.fixInfo && view?.fixes !== undefined
          ? [...view.fixes]
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
              .slice(0, options.fixInfoLimit)
          : undefined;
      const facts: ClientFacts = {
        ...state,
        client: name,
        fixInfo,
        rebootCanWait: rebootCanWait(ctx.deps.reboot, view, Date.now()),
      };
      return facts;
    },
  };
}
