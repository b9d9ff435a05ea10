// One collector per vendor client. It runs nothing itself: the client's
// background runner (src/clients/runner.ts) does, every interval, and a
// scrape reads its last result — so a hung client never delays /metrics.
// Whether a required reboot can wait is derived from these facts and the
// reboot facts (src/derive/reboot-can-wait.ts).
import path from "node:path";
import type { ClientName } from "../clients/names.js";
import { CLIENTS } from "../clients/registry.js";
import type { ClientRunnerState } from "../clients/runner.js";
import type { ClientFix } from "../clients/view.js";
import { CollectorError, type Collector } from "./types.js";

export interface ClientFacts extends ClientRunnerState {
  readonly client: ClientName;
  /** Per-fix series (opt-in --collector.clients.fix-info), at most the limit, by name; undefined when off. */
  readonly fixInfo: readonly ClientFix[] | undefined;
}

export function clientCollector(name: ClientName): Collector<ClientFacts> {
  return {
    help: clientHelp(name),
    create: ({ options, clients }) => {
      const { fixInfo, fixInfoLimit } = options.clients;
      return () => {
        const source = clients[name];
        if (source === undefined) throw new CollectorError(`the ${name} client is not running`);
        const state = source.state();
        const view = state.last?.outcome.ok === true ? state.last.outcome.view : undefined;
        return {
          ...state,
          client: name,
          fixInfo:
            fixInfo && view?.fixes !== undefined
              ? [...view.fixes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, fixInfoLimit)
              : undefined,
        };
      };
    },
  };
}

/** "Canonical Livepatch: canonical-livepatch status --format json", from the client's definition. */
function clientHelp(name: ClientName): string {
  const { title, usualPaths, commands } = CLIENTS[name];
  const binary = path.basename(usualPaths[0] ?? name);
  return `${title}: ${commands.map((args) => [binary, ...args].join(" ")).join(", ")}`;
}
