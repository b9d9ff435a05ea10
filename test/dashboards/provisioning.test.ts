// deploy/grafana/provisioning: a Grafana pointed at that folder (and the
// dashboards mounted where the provider looks) loads both dashboards and a
// Prometheus data source with no clicks. Grafana is not installable here, so
// the files are checked against the fields Grafana's provisioning requires.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { DASHBOARD_FILES, loadDashboard } from "../helpers/dashboards.js";

const read = (path: string): unknown => parse(fs.readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"));

interface Provider {
  name: string;
  type: string;
  orgId: number;
  folder: string;
  disableDeletion: boolean;
  allowUiUpdates: boolean;
  options: { path: string; foldersFromFilesStructure: boolean };
}
interface Datasource {
  name: string;
  uid: string;
  type: string;
  access: string;
  url: string;
  isDefault: boolean;
  jsonData: { timeInterval: string };
}

describe("Grafana provisioning", () => {
  it("the dashboards provider reads JSON files from the documented mount point", () => {
    const doc = read("deploy/grafana/provisioning/dashboards/livepatch.yml") as {
      apiVersion: number;
      providers: Provider[];
    };
    assert.equal(doc.apiVersion, 1);
    assert.equal(doc.providers.length, 1);
    const [provider] = doc.providers;
    assert.equal(provider?.type, "file");
    assert.equal(provider.name, "livepatch");
    assert.equal(provider.orgId, 1);
    assert.equal(provider.folder, "Livepatch");
    assert.equal(provider.allowUiUpdates, false, "read-only, like the dashboards");
    assert.equal(provider.options.path, "/var/lib/grafana/dashboards/livepatch");
    assert.equal(provider.options.foldersFromFilesStructure, false);
    const docs = fs.readFileSync(new URL("../../docs/alerts-and-dashboards.md", import.meta.url), "utf8");
    assert.ok(docs.includes(provider.options.path), "the docs say where to mount the dashboards");
  });

  it("the Prometheus data source has a stable uid and the example scrape interval", () => {
    const doc = read("deploy/grafana/provisioning/datasources/prometheus.yml") as {
      apiVersion: number;
      datasources: Datasource[];
    };
    assert.equal(doc.apiVersion, 1);
    const [source] = doc.datasources;
    assert.equal(source?.type, "prometheus");
    assert.equal(source.uid, "livepatch-prometheus");
    assert.equal(source.access, "proxy");
    assert.match(source.url, /^http:\/\/prometheus:9090$/);
    assert.equal(source.isDefault, true, "the dashboards' datasource variable starts on the default");
    const prometheus = read("deploy/prometheus/prometheus.yml") as { global: { scrape_interval: string } };
    assert.equal(source.jsonData.timeInterval, prometheus.global.scrape_interval, "$__rate_interval needs it");
  });

  it("the dashboards do not depend on the provisioned data source's uid or name", () => {
    for (const file of DASHBOARD_FILES) {
      const text = JSON.stringify(loadDashboard(file));
      assert.ok(!text.includes("livepatch-prometheus"), file);
      assert.ok(!text.includes('"Prometheus"'), file);
    }
  });
});
