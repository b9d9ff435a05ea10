// How the tests and the fleet simulator read a dashboard as Grafana does:
// the default choice of a variable and the text Grafana's Prometheus data
// source puts in a query.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VariableSort, VariableType, type VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  applyVariableRegex,
  defaultChoice,
  formatChoice,
  interpolate,
  labelValuesQuery,
  queryResultRows,
  variableQuery,
} from "../../dashboards/src/walk.js";
import { loadDashboard } from "../helpers/dashboards.js";

const variable = (name: string, fields: Partial<VariableModel>): VariableModel => ({
  name,
  type: VariableType.Query,
  ...fields,
});

describe("Grafana's variables, as the dashboards use them", () => {
  it("a variable without All opens on its first value in natural order, one with All on All", () => {
    const hosts = ["fleet-10:10027", "fleet-2:10027", "fleet-1:10027"];
    const one = variable("instance", { multi: false, includeAll: false, sort: VariableSort.NaturalAsc });
    assert.deepEqual(defaultChoice(one, hosts).values, ["fleet-1:10027"]);
    const many = variable("instance", { multi: true, includeAll: true, allValue: ".*", sort: VariableSort.NaturalAsc });
    assert.equal(defaultChoice(many, hosts).all, true);
  });

  it("writes All as the allValue, several values as an escaped alternation, one value as it is", () => {
    const many = variable("instance", { multi: true, includeAll: true, allValue: ".*" });
    assert.equal(formatChoice({ variable: many, values: ["a", "b"], all: true }), ".*");
    assert.equal(formatChoice({ variable: many, values: ["h.1:9", "h2"], all: false }), "(h\\\\.1:9|h2)");
    const noAllValue = variable("job", { multi: true, includeAll: true });
    assert.equal(formatChoice({ variable: noAllValue, values: ["a", "b"], all: true }), "(a|b)");
    const one = variable("instance", { multi: false, includeAll: false });
    assert.equal(formatChoice({ variable: one, values: ["h.1:9"], all: false }), "h.1:9");
  });

  it("replaces $name and ${name}, leaves label_replace's $1 alone, and refuses an unknown variable", () => {
    assert.equal(
      interpolate('label_replace(up{job=~"$job",instance=~"${instance}"}, "x", "$1", "y", "(.*)")', {
        job: ".*",
        instance: "h1",
      }),
      'label_replace(up{job=~".*",instance=~"h1"}, "x", "$1", "y", "(.*)")',
    );
    assert.throws(() => interpolate('up{job=~"$nope"}', {}), /unknown template variable \$nope/);
  });

  it("reads label_values() queries, with and without a selector", () => {
    assert.deepEqual(labelValuesQuery('label_values(up{job=~"$job"}, instance)'), {
      selector: 'up{job=~"$job"}',
      label: "instance",
    });
    assert.deepEqual(labelValuesQuery("label_values(job)"), { selector: undefined, label: "job" });
    assert.throws(() => labelValuesQuery("query_result(up)"));
  });

  it("reads query_result() queries, prints their rows as Grafana does, and picks values with the regex", () => {
    const instance = loadDashboard("host.json").templating.list?.find((v) => v.name === "instance");
    assert.ok(instance);
    const query = variableQuery(interpolate(instance.query as string, { job: "(livepatch)" }));
    assert.deepEqual(query, { kind: "query result", expr: 'count by (instance) (up{job=~"(livepatch)"})' });
    assert.deepEqual(variableQuery('label_values(up{job=~"$job"}, instance)'), {
      kind: "label values",
      selector: 'up{job=~"$job"}',
      label: "instance",
    });
    const rows = queryResultRows([
      { metric: { instance: "fleet-2:10027" }, value: [1796180258.034, "1"] },
      { metric: { __name__: "up", instance: "fleet-1:10027", job: "livepatch" }, value: [1796180258, "0"] },
    ]);
    assert.deepEqual(rows, [
      '{instance="fleet-2:10027"} 1 1796180258034',
      'up{instance="fleet-1:10027",job="livepatch"} 0 1796180258000',
    ]);
    assert.deepEqual(applyVariableRegex([...rows, "no instance here"], instance.regex), [
      "fleet-2:10027",
      "fleet-1:10027",
    ]);
    assert.deepEqual(applyVariableRegex(["a", "b", "a"], undefined), ["a", "b"]);
    assert.deepEqual(applyVariableRegex(["host-1", "host-2"], "/(?<value>\\d+)$/"), ["1", "2"]);
  });

  it("the Host dashboard opens on one host, the Fleet dashboard on every host", () => {
    const hosts = ["fleet-2:10027", "fleet-1:10027"];
    const of = (file: string) => {
      const instance = loadDashboard(file).templating.list?.find((v) => v.name === "instance");
      assert.ok(instance);
      return formatChoice(defaultChoice(instance, hosts));
    };
    assert.equal(of("host.json"), "fleet-1:10027");
    assert.equal(of("fleet.json"), ".*");
  });
});
