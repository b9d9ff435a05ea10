// The shipped Prometheus rules, Prometheus and Alertmanager configurations, checked by the real tools.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { promtool } from "../helpers/promtool.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RULES_DIR = `${ROOT}deploy/prometheus/rules/`;
const RULE_FILES = fs
  .readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".yml"))
  .map((f) => RULES_DIR + f);
const ALERTMANAGER = `${ROOT}deploy/alertmanager/alertmanager.yml`;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

function rules(): Rule[] {
  return RULE_FILES.flatMap((file) =>
    (parse(fs.readFileSync(file, "utf8")) as RuleFile).groups.flatMap((g) => g.rules),
  );
}

function amtool(args: readonly string[]): { status: number | null; stdout: string; output: string } {
  const result = spawnSync("amtool", args, { encoding: "utf8" });
  if (result.error)
    throw new Error(`amtool is required (apt-get install prometheus-alertmanager): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

describe("Prometheus rules", () => {
  it("promtool check rules accepts every rules file (including its lint)", () => {
    for (const file of RULE_FILES) {
      const result = promtool(["check", "rules", file]);
      assert.equal(result.status, 0, result.output);
    }
  });

  it("promtool test rules: every alert fires where it should and nowhere else", () => {
    const result = promtool(["test", "rules", `${ROOT}test/rules/livepatch-alerts.test.yml`]);
    assert.equal(result.status, 0, result.output);
  });

  it("every alert has a test where it fires and one where it must not", () => {
    const tests = parse(fs.readFileSync(`${ROOT}test/rules/livepatch-alerts.test.yml`, "utf8")) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of new Set(rules().flatMap((r) => (r.alert === undefined ? [] : [r.alert])))) {
      assert.ok(
        cases.some((c) => c.alertname === name && c.exp_alerts.length > 0),
        `${name} never fires in tests`,
      );
      assert.ok(
        cases.some((c) => c.alertname === name && c.exp_alerts.length === 0),
        `${name} has no must-not-fire case`,
      );
    }
  });

  it("alerts follow the conventions and link to an existing runbook section", () => {
    const runbooks = fs.readFileSync(`${ROOT}docs/runbooks.md`, "utf8");
    const anchors = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]?.toLowerCase()));
    for (const rule of rules()) {
      if (rule.record !== undefined) {
        assert.match(
          rule.record,
          /^[a-z_]+:livepatch_[a-z_]+:[a-z_]+$/,
          `recording rule ${rule.record}: level:metric:operations`,
        );
        continue;
      }
      const name = rule.alert ?? "";
      assert.match(name, /^Livepatch[A-Z][A-Za-z]+$/, name);
      assert.ok(["critical", "warning", "info"].includes(rule.labels?.["severity"] ?? ""), `${name}: severity`);
      const annotations = rule.annotations ?? {};
      assert.ok(annotations["summary"], `${name}: summary`);
      assert.match(
        annotations["description"] ?? "",
        /\{\{ \$labels\.(instance|id) \}\}/,
        `${name}: description names the host`,
      );
      const url = annotations["runbook_url"] ?? "";
      const anchor = /docs\/runbooks\.md#([a-z]+)$/.exec(url)?.[1];
      assert.equal(anchor, name.toLowerCase(), `${name}: runbook_url ${url}`);
      assert.ok(anchors.has(anchor), `${name}: docs/runbooks.md has no section ${anchor}`);
    }
  });
});

describe("example configurations", () => {
  it("promtool check config accepts the example Prometheus configuration", () => {
    const result = promtool(["check", "config", `${ROOT}deploy/prometheus/prometheus.yml`]);
    assert.equal(result.status, 0, result.output);
  });

  it("amtool check-config accepts the Alertmanager configuration", () => {
    const result = amtool(["check-config", ALERTMANAGER]);
    assert.equal(result.status, 0, result.output);
  });

  it("routes by severity", () => {
    const route = (labels: string[]): string =>
      amtool(["config", "routes", "test", `--config.file=${ALERTMANAGER}`, ...labels]).stdout.trim();
    assert.equal(route(["alertname=LivepatchTransitionNotCompleting", "severity=critical"]), "livepatch-pager");
    assert.equal(route(["alertname=LivepatchTransitionNotCompleting", "severity=warning"]), "livepatch-chat");
    assert.equal(route(["alertname=LivepatchNewKernelTaint", "severity=info"]), "livepatch-digest");
    assert.equal(route(["alertname=Other"]), "livepatch-tickets");
  });
});
