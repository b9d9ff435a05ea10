// Live-patch clients: what each vendor client's last run says, one finding
// per client; one line when there is none, so the section is never empty.
import { CLIENT_NAMES } from "../../clients/names.js";
import { CLIENTS } from "../../clients/registry.js";
import type { ClientFacts } from "../../collectors/client.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Finding } from "./finding.js";
import type { SectionResult } from "./section.js";

const BINARIES = CLIENT_NAMES.map((name) => CLIENTS[name].usualPaths[0]?.split("/").pop() ?? name).join(", ");

export function clientsSection(snapshot: Snapshot): SectionResult {
  const clients = CLIENT_NAMES.flatMap((name) => {
    const facts = snapshot.facts[name];
    return facts === undefined ? [] : [facts];
  });
  if (clients.length === 0) {
    const failed = snapshot.runs.some((run) => CLIENT_NAMES.some((name) => name === run.name));
    if (failed) return { findings: [], fine: [] }; // their collector failure is reported under Exporter
    return {
      findings: [
        finding("clients_none", "info", `no vendor live-patch client found or enabled (${BINARIES})`, {
          facts: { clients: [] },
        }),
      ],
      fine: [],
    };
  }
  const findings = clients.map(clientFinding);
  const fine = findings.filter((f) => f.level === "ok").map((f) => `${f.subject ?? ""} reports no problem`);
  return { findings, fine };
}

function clientFinding(facts: ClientFacts): Finding {
  const name = facts.client;
  const who = `${name} (${CLIENTS[name].title}, ${facts.binary})`;
  const last = facts.last;
  const base = { client: name, binary: facts.binary };
  if (last === undefined) {
    return finding("client", "info", `${who}: no run has finished yet`, {
      subject: name,
      facts: { ...base, up: null },
    });
  }
  if (!last.outcome.ok) {
    return finding("client", "warn", `${who}: ${reasonText(last.outcome.reason)}: ${last.outcome.message}`, {
      subject: name,
      facts: { ...base, up: false, error: last.outcome.reason },
    });
  }
  const view = last.outcome.view;
  const coverageEnd =
    view.coverageEndSeconds === undefined ? null : new Date(view.coverageEndSeconds * 1000).toISOString().slice(0, 10);
  const summary = [
    view.state === undefined ? undefined : `state ${view.state}`,
    view.supportState === undefined ? undefined : `support ${view.supportState}`,
    view.patches === undefined
      ? undefined
      : `patches ${[...view.patches].map(([state, n]) => `${state} ${n}`).join(", ")}`,
    view.fixes === undefined ? undefined : `${view.fixes.filter((f) => f.patched).length} fix(es) applied`,
    view.effectiveKernel === undefined ? undefined : `effective kernel ${view.effectiveKernel}`,
    coverageEnd === null ? undefined : `coverage ends ${coverageEnd}`,
  ].filter((part) => part !== undefined);
  return finding("client", view.problems.length > 0 ? "warn" : "ok", `${who}: ${summary.join("; ") || "up"}`, {
    subject: name,
    details: [...view.problems, ...view.details],
    facts: {
      ...base,
      up: true,
      state: view.state ?? null,
      support: view.supportState ?? null,
      patches: view.patches === undefined ? null : Object.fromEntries(view.patches),
      fixes_applied: view.fixes === undefined ? null : view.fixes.filter((f) => f.patched).length,
      effective_kernel: view.effectiveKernel ?? null,
      coverage_end: coverageEnd,
      covered_and_patched: view.coveredAndPatched,
      problems: view.problems,
    },
  });
}
