// The committed dashboards: generated from dashboards/src, structurally
// sound for Grafana to import, and following the project's conventions.
// Their queries run against a real Prometheus in test/e2e/fleet.test.ts.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { VariableType, type Panel, type RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import { DASHBOARDS, dashboardText } from "../../dashboards/src/index.js";
import type { Dashboard } from "../../dashboards/src/model.js";
import { METRICS } from "../../src/views/catalog.js";
import {
  DASHBOARD_FILES,
  allPanels,
  annotationsOf,
  dashboardPath,
  loadDashboard,
  panelsOf,
  targetsOf,
} from "../helpers/dashboards.js";

const UIDS: Record<string, string> = { "host.json": "livepatch-host", "fleet.json": "livepatch-fleet" };
const OTHER: Record<string, string> = { "host.json": "livepatch-fleet", "fleet.json": "livepatch-host" };

/** Grafana's core panel plugins these dashboards may use. */
const PANEL_TYPES = ["row", "stat", "table", "timeseries", "state-timeline", "bargauge", "text"];

/** Grafana 11.0 writes schemaVersion 39; the SDK's model is newer, which older Grafana accepts as is. */
const MIN_SCHEMA_VERSION = 39;

/** Series Prometheus itself or prom-client's default collectors provide. */
const OTHER_SERIES = ["up", "scrape_duration_seconds", "process_cpu_seconds_total", "ALERTS"];

const RULES_DIR = new URL("../../deploy/prometheus/rules/", import.meta.url);
const RECORDED = fs
  .readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".yml"))
  .flatMap(
    (f) =>
      (parse(fs.readFileSync(new URL(f, RULES_DIR), "utf8")) as { groups: { rules: { record?: string }[] }[] }).groups,
  )
  .flatMap((g) => g.rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));

const dashboards = DASHBOARD_FILES.map((file) => [file, loadDashboard(file)] as const);

/** Every Prometheus expression in a dashboard: panel targets, annotations, variable queries. */
function expressions(dashboard: Dashboard): string[] {
  return [
    ...panelsOf(dashboard).flatMap(({ panel }) => targetsOf(panel).map((t) => t.expr)),
    ...annotationsOf(dashboard).flatMap((a) => (a.expr === undefined ? [] : [a.expr])),
    ...(dashboard.templating.list ?? []).flatMap((v) =>
      typeof v.query === "string" && v.type === VariableType.Query ? [v.query] : [],
    ),
  ];
}

/** Every object anywhere in the JSON with a `datasource` key, and that value. */
function datasourceRefs(value: unknown, found: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const item of value) datasourceRefs(item, found);
  else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "datasource") found.push(inner);
      datasourceRefs(inner, found);
    }
  }
  return found;
}

describe("dashboards", () => {
  it("the committed JSON is what dashboards/src generates (npm run dashboards)", () => {
    for (const [file, build] of Object.entries(DASHBOARDS)) {
      assert.ok((DASHBOARD_FILES as readonly string[]).includes(file), file);
      const committed = fs.readFileSync(dashboardPath(file), "utf8");
      assert.equal(committed, dashboardText(build()), `dashboards/${file} is stale: run npm run dashboards`);
    }
    assert.deepEqual(Object.keys(DASHBOARDS).sort(), [...DASHBOARD_FILES].sort());
  });

  for (const [file, dashboard] of dashboards) {
    describe(file, () => {
      it("has a stable uid, a title, a schema version Grafana 11 and 12 load, and is read-only", () => {
        assert.equal(dashboard.uid, UIDS[file]);
        assert.match(dashboard.uid ?? "", /^[A-Za-z0-9_-]{8,40}$/);
        assert.match(dashboard.title ?? "", /^Livepatch \/ /);
        assert.ok(dashboard.schemaVersion >= MIN_SCHEMA_VERSION, `schemaVersion ${dashboard.schemaVersion}`);
        assert.equal(dashboard.editable, false);
        assert.equal(dashboard.id, undefined, "no instance-specific id");
        assert.ok(Array.isArray(dashboard.templating.list));
        assert.ok(Array.isArray(dashboard.annotations.list));
      });

      it("panels have unique ids, known types and grid positions inside 24 columns that do not overlap", () => {
        const all = allPanels(dashboard);
        const ids = all.map((p) => p.id);
        assert.ok(
          ids.every((id) => Number.isInteger(id) && (id ?? 0) > 0),
          "positive integer ids",
        );
        assert.equal(new Set(ids).size, ids.length, "unique ids");
        for (const panel of all) {
          assert.ok(PANEL_TYPES.includes(panel.type), `${panel.title ?? ""}: type ${panel.type}`);
          const { x, y, w, h } = panel.gridPos ?? { x: -1, y: -1, w: 0, h: 0 };
          for (const n of [x, y, w, h]) assert.ok(Number.isInteger(n) && n >= 0, `${panel.title ?? ""}: gridPos`);
          assert.ok(w >= 1 && h >= 1 && x + w <= 24, `${panel.title ?? ""}: ${JSON.stringify(panel.gridPos)}`);
        }
        // What Grafana lays out at once: the top level, and each collapsed row's panels when it is opened.
        const groups: (Panel | RowPanel)[][] = [dashboard.panels ?? []];
        for (const row of (dashboard.panels ?? []).filter((p): p is RowPanel => p.type === "row")) {
          if (row.panels.length > 0) assert.equal(row.collapsed, true, `${row.title ?? ""}: only collapsed rows nest`);
          groups.push(row.panels);
          for (const inner of row.panels) assert.ok((inner.gridPos?.y ?? 0) > (row.gridPos?.y ?? 0), "below its row");
        }
        for (const group of groups) {
          for (const [i, a] of group.entries()) {
            for (const b of group.slice(i + 1)) {
              const p = a.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
              const q = b.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
              const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
              assert.ok(!overlap, `${a.title ?? ""} overlaps ${b.title ?? ""}`);
            }
          }
        }
      });

      it("every panel has a title, a description, queries with distinct refIds, and a unit", () => {
        for (const { panel } of panelsOf(dashboard)) {
          const name = panel.title ?? "";
          assert.ok(name.length > 0, "title");
          assert.ok((panel.description ?? "").length > 20, `${name}: description`);
          const targets = targetsOf(panel);
          assert.ok(targets.length > 0, `${name}: queries`);
          const refIds = targets.map((t) => t.refId);
          assert.deepEqual(
            refIds,
            targets.map((_, i) => String.fromCharCode(65 + i)),
            `${name}: refIds`,
          );
          for (const target of targets) assert.ok(target.expr.trim().length > 0, `${name}: empty query`);
          // Every panel here shows numbers (tables and state timelines too), so every one names its unit.
          assert.ok((panel.fieldConfig?.defaults.unit ?? "").length > 0, `${name}: unit`);
        }
      });

      it("uses the datasource variable everywhere and never a fixed data source uid", () => {
        const variable = dashboard.templating.list?.find((v) => v.name === "datasource");
        assert.equal(variable?.type, "datasource");
        assert.equal(variable.query, "prometheus");
        const refs = datasourceRefs(dashboard);
        assert.ok(refs.length > 0);
        for (const ref of refs) assert.deepEqual(ref, { type: "prometheus", uid: "${datasource}" });
        for (const { panel } of panelsOf(dashboard)) assert.ok(panel.datasource !== undefined, panel.title ?? "");
      });

      it("has job and instance variables from the datasource variable; All, where offered, is .*", () => {
        const names = (dashboard.templating.list ?? []).map((v) => v.name);
        assert.deepEqual(names, ["datasource", "job", "instance"]);
        for (const name of ["job", "instance"]) {
          const variable = dashboard.templating.list?.find((v) => v.name === name);
          assert.equal(variable?.type, "query", name);
          assert.equal(typeof variable.query, "string", name);
          assert.match(variable.query as string, name === "job" ? /^label_values\(/ : /^query_result\(/, name);
          assert.equal(variable.current, undefined, `${name}: no saved value`);
          if (variable.includeAll === true) assert.equal(variable.allValue, ".*", `${name}: All is .*`);
        }
        const [, job, instance] = dashboard.templating.list ?? [];
        assert.equal(job?.multi, true);
        assert.equal(job.includeAll, true);
        assert.match(instance?.query as string, /\$job/, "instances follow the selected jobs");
        if (file === "host.json") {
          // One host: Grafana opens the dashboard on the first instance, never on the whole fleet.
          assert.equal(instance?.multi, false);
          assert.notEqual(instance.includeAll, true);
        } else {
          assert.equal(instance?.multi, true);
          assert.equal(instance.includeAll, true);
        }
      });

      it("describes every panel with the catalog's help of each exporter metric it reads", () => {
        for (const { panel } of panelsOf(dashboard)) {
          const exprs = targetsOf(panel)
            .map((t) => t.expr)
            .join("\n");
          for (const [name, spec] of Object.entries(METRICS)) {
            if (!new RegExp(`\\b${name}\\b`).test(exprs)) continue;
            assert.ok((panel.description ?? "").includes(spec.help), `${panel.title ?? ""}: no help of ${name}`);
          }
        }
      });

      it("selects the chosen jobs in every query, and the chosen instances in every per-host panel", () => {
        for (const { panel, row } of panelsOf(dashboard)) {
          for (const { expr } of targetsOf(panel)) {
            const where = `${panel.title ?? ""}: ${expr}`;
            assert.match(expr, /job=~"\$job"/, where);
            // Fleet counts come from per-job rules; the Host dashboard and the Fleet's host tables are per host.
            if (dashboard.uid === "livepatch-host" || row === "Hosts")
              assert.match(expr, /instance=~"\$instance"/, where);
          }
        }
      });

      it("uses $__rate_interval for every rate and increase", () => {
        let rates = 0;
        for (const expr of expressions(dashboard)) {
          for (const match of expr.matchAll(/\b(?:rate|irate|increase)\(([^()]*(?:\([^()]*\))?[^()]*)\)/g)) {
            rates++;
            assert.match(match[1] ?? "", /\[\$__rate_interval\]$/, match[0]);
          }
        }
        if (file === "host.json") assert.ok(rates > 0, "the Host dashboard has rates to check");
      });

      it("queries only metrics the exporter, the recording rules, the vendor clients or Prometheus provide", () => {
        const known = new Set([...Object.keys(METRICS), ...RECORDED, ...OTHER_SERIES]);
        const used = new Set<string>();
        for (const expr of expressions(dashboard)) {
          for (const [name] of expr.matchAll(
            /\b(?:livepatch_\w+|\w+:livepatch_[\w:]+|up|scrape_\w+|process_\w+|ALERTS)\b/g,
          )) {
            used.add(name);
          }
        }
        for (const name of used) assert.ok(known.has(name), `unknown metric ${name}`);
        assert.ok(used.size > 10);
      });

      it("tables only show columns their queries produce", () => {
        for (const { panel } of panelsOf(dashboard).filter((p) => p.panel.type === "table")) {
          const refIds = new Set(targetsOf(panel).map((t) => t.refId));
          const filter = panel.transformations?.find((t) => t.id === "filterFieldsByName");
          const names = (filter?.options as { include: { names: string[] } } | undefined)?.include.names ?? [];
          assert.ok(names.length > 0, `${panel.title ?? ""}: columns`);
          const exprs = targetsOf(panel)
            .map((t) => t.expr)
            .join("\n");
          for (const name of names) {
            const ref = /^Value #([A-Z])$/.exec(name);
            if (ref !== null) assert.ok(refIds.has(ref[1]), `${panel.title ?? ""}: ${name} has no query`);
            else if (name !== "Value") assert.ok(exprs.includes(name), `${panel.title ?? ""}: no query yields ${name}`);
          }
        }
      });

      it("links to the other dashboard, keeping the variables and the time range", () => {
        const link = dashboard.links?.find((l) => l.url === `/d/${OTHER[file] ?? ""}`);
        assert.ok(link, "link to the other dashboard");
        assert.equal(link.type, "link");
        assert.equal(link.includeVars, true);
        assert.equal(link.keepTime, true);
        assert.equal(link.placement, undefined, "shown in the dashboard header");
      });
    });
  }

  it("the Fleet dashboard's problem table links each instance to the Host dashboard", () => {
    const fleet = loadDashboard("fleet.json");
    for (const title of ["Hosts with problems", "Longest-pending reboots"]) {
      const panel = panelsOf(fleet).find((p) => p.panel.title === title)?.panel;
      assert.ok(panel, title);
      const override = panel.fieldConfig?.overrides.find(
        (o) => o.matcher.id === "byName" && o.matcher.options === "instance",
      );
      const links = override?.properties.find((p) => p.id === "links")?.value as { url: string }[] | undefined;
      const url = links?.[0]?.url ?? "";
      assert.match(url, /^\/d\/livepatch-host\?/, title);
      assert.ok(url.includes("var-instance=${__data.fields.instance}"), `${title}: ${url}`);
      assert.ok(url.includes("var-job=${__data.fields.job}"), `${title}: ${url}`);
      assert.ok(url.includes("${datasource:queryparam}"), `${title}: ${url}`);
      assert.ok(url.includes("${__url_time_range}"), `${title}: ${url}`);
      const columns = (
        panel.transformations?.find((t) => t.id === "filterFieldsByName")?.options as {
          include: { names: string[] };
        }
      ).include.names;
      assert.ok(columns.includes("instance") && columns.includes("job"), "the link's fields are in the table");
    }
    const host = loadDashboard("host.json");
    assert.equal(host.uid, "livepatch-host");
  });

  it("no Fleet table lists every host: a table with an instance column is a top-k", () => {
    const fleet = loadDashboard("fleet.json");
    const perHost = panelsOf(fleet).filter(({ panel }) => {
      if (panel.type !== "table") return false;
      const filter = panel.transformations?.find((t) => t.id === "filterFieldsByName");
      return (filter?.options as { include: { names: string[] } }).include.names.includes("instance");
    });
    assert.ok(perHost.length >= 2, "the problem and reboot tables");
    for (const { panel } of perHost) {
      const [first, ...others] = targetsOf(panel);
      assert.match(first?.expr ?? "", /^topk\(\d+, /, `${panel.title ?? ""}: its rows`);
      // Other queries only add columns to those rows: the merge would add a row per extra host.
      for (const other of others)
        assert.ok(other.expr.includes(first?.expr ?? "?"), `${panel.title ?? ""}: ${other.expr}`);
    }
  });

  it("the Fleet dashboard's problems are the alerts, and its annotation only the critical ones of the chosen jobs", () => {
    const fleet = loadDashboard("fleet.json");
    const problems = panelsOf(fleet).find((p) => p.panel.title === "Hosts with problems")?.panel;
    assert.ok(problems);
    assert.match(targetsOf(problems)[0]?.expr ?? "", /ALERTS\{alertname=~"Livepatch\.\+"/);
    const [annotation] = annotationsOf(fleet);
    assert.match(annotation?.expr ?? "", /severity="critical"/);
    assert.match(annotation?.expr ?? "", /job=~"\$job"/);
  });

  it("the Host dashboard has a collapsed Vendor clients row with the livepatch_client_* panels", () => {
    const host = loadDashboard("host.json");
    const row = (host.panels ?? []).find((p): p is RowPanel => p.type === "row" && p.title === "Vendor clients");
    assert.equal(row?.collapsed, true);
    assert.ok(row.panels.length >= 3);
    for (const panel of row.panels) {
      assert.ok(
        targetsOf(panel).every((t) => /livepatch_client_|livepatch_reboot_can_wait/.test(t.expr)),
        `${panel.title ?? ""} queries vendor client metrics`,
      );
    }
    const elsewhere = panelsOf(host).filter((p) => p.row !== "Vendor clients");
    for (const { panel } of elsewhere) {
      assert.ok(!targetsOf(panel).some((t) => t.expr.includes("livepatch_client_")), panel.title ?? "");
    }
  });
});
