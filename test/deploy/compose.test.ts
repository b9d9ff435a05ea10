// The demo stack (deploy/compose): valid against the Compose Specification's schema, every file it
// mounts exists, and the pieces agree with each other (ports, scrape and alerting targets, the job
// label of the rules, Grafana's data source and dashboard folder). Docker is not available here,
// so Prometheus's and Alertmanager's own checkers run on the files laid out as the containers
// would see them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { DEFAULT_PORT } from "../../src/options.js";
import {
  bindMounts,
  composeValidator,
  publishedPorts,
  resolveSource,
  type ComposeFile,
  type ComposeService,
} from "../helpers/compose.js";
import { promtool } from "../helpers/promtool.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIR = path.join(ROOT, "deploy/compose");
const compose = parse(fs.readFileSync(path.join(DIR, "compose.yaml"), "utf8")) as ComposeFile;
const prometheusConfig = parse(fs.readFileSync(path.join(DIR, "prometheus.yml"), "utf8")) as {
  global: { scrape_interval: string };
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
};

function service(name: string): ComposeService {
  const found = compose.services[name];
  assert.ok(found, `service ${name}`);
  return found;
}

/** The value of --flag=value in a service's command. */
function flag(spec: ComposeService, name: string): string | undefined {
  return spec.command?.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** host:port -> the service it names and the port, asserting the service exists. */
function serviceTarget(target: string): { service: string; port: number } {
  const [host = "", port = ""] = target.split(":");
  assert.ok(host in compose.services, `${target}: no service ${host}`);
  return { service: host, port: Number(port) };
}

/** The port a service listens on inside the stack: the container side of its published port. */
function containerPort(name: string): number {
  const [first] = publishedPorts(service(name));
  assert.ok(first, `${name} publishes a port`);
  assert.equal(first.host, first.container, `${name}: the same port on the host and in the stack`);
  return first.container;
}

/** Copies a service's bind mounts into a directory laid out like the container's filesystem. */
function containerView(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `livepatch-compose-${name}-`));
  for (const mount of bindMounts(compose).filter((m) => m.service === name)) {
    fs.cpSync(resolveSource(DIR, mount.source), path.join(dir, mount.target), { recursive: true });
  }
  return dir;
}

describe("demo stack (deploy/compose)", () => {
  it("is valid against the Compose Specification schema", () => {
    const validate = composeValidator();
    assert.deepEqual(validate(compose), []);
    const typo = structuredClone(compose) as ComposeFile & { services: Record<string, Record<string, unknown>> };
    (typo.services["exporter"] as Record<string, unknown>)["read_onyl"] = true;
    assert.ok(validate(typo).length > 0, "the schema rejects an unknown key (the check is real)");
  });

  it("every bind-mounted file or directory exists, and the exporter's build context too", () => {
    const mounts = bindMounts(compose);
    assert.ok(mounts.length >= 5, "the check saw the mounts");
    for (const mount of mounts) {
      if (path.isAbsolute(mount.source)) continue; // the host's own paths (/ for the exporter)
      assert.ok(fs.existsSync(resolveSource(DIR, mount.source)), `${mount.service}: ${mount.source} does not exist`);
      assert.ok(mount.readOnly, `${mount.service}: ${mount.source} is mounted read-only`);
    }
    const build = service("exporter").build;
    assert.ok(build);
    assert.ok(fs.existsSync(path.join(resolveSource(DIR, build.context), build.dockerfile ?? "Dockerfile")));
  });

  it("the exporter reads the host read-only, unprivileged, on the default port", () => {
    const exporter = service("exporter");
    assert.equal(exporter.read_only, true, "read-only root filesystem");
    assert.equal(exporter.user, "65534:65534");
    assert.deepEqual(exporter.cap_drop, ["ALL"]);
    assert.ok(exporter.security_opt?.includes("no-new-privileges:true"));
    const host = bindMounts(compose).find((m) => m.service === "exporter" && m.source === "/");
    assert.ok(host?.readOnly, "/ is mounted read-only");
    assert.equal(flag(exporter, "--path.rootfs"), host.target);
    assert.equal(flag(exporter, "--path.procfs"), `${host.target}/proc`);
    assert.equal(flag(exporter, "--path.sysfs"), `${host.target}/sys`);
    const listen = Number(flag(exporter, "--web.listen-address")?.split(":").at(-1) ?? DEFAULT_PORT);
    assert.equal(listen, DEFAULT_PORT);
    assert.equal(containerPort("exporter"), listen);
  });

  it("the exporter runs under an init that reaps the processes vendor clients leave behind", () => {
    assert.equal(service("exporter").init, true);
  });

  it("Prometheus scrapes the exporter as job livepatch (the rules' job) and alerts the Alertmanager", () => {
    const livepatch = prometheusConfig.scrape_configs.find((c) => c.job_name === "livepatch");
    assert.ok(livepatch, "job livepatch");
    const rules = fs.readFileSync(path.join(ROOT, "deploy/prometheus/rules/livepatch-alerts.yml"), "utf8");
    assert.deepEqual([...new Set([...rules.matchAll(/job="([^"]+)"/g)].map((m) => m[1]))], ["livepatch"]);
    const targets = livepatch.static_configs.flatMap((c) => c.targets);
    assert.deepEqual(
      targets.map(serviceTarget),
      [{ service: "exporter", port: containerPort("exporter") }],
      "the exporter service on its port",
    );
    const alertmanagers = prometheusConfig.alerting.alertmanagers.flatMap((a) =>
      a.static_configs.flatMap((c) => c.targets),
    );
    assert.deepEqual(alertmanagers.map(serviceTarget), [
      { service: "alertmanager", port: containerPort("alertmanager") },
    ]);
    for (const config of prometheusConfig.scrape_configs) {
      for (const target of config.static_configs.flatMap((c) => c.targets)) {
        if (target.startsWith("localhost:")) assert.equal(Number(target.split(":")[1]), containerPort("prometheus"));
        else assert.equal(serviceTarget(target).port, containerPort(serviceTarget(target).service), target);
      }
    }
  });

  it("promtool accepts Prometheus's configuration as mounted, with the project's rules", () => {
    const prometheus = service("prometheus");
    const dir = containerView("prometheus");
    try {
      const config = path.join(dir, flag(prometheus, "--config.file") ?? "/etc/prometheus/prometheus.yml");
      const result = promtool(["check", "config", config]);
      assert.equal(result.status, 0, result.output);
      const ruleFiles = fs.readdirSync(path.join(ROOT, "deploy/prometheus/rules")).filter((f) => f.endsWith(".yml"));
      assert.match(result.output, new RegExp(`SUCCESS: ${ruleFiles.length} rule files found`), result.output);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("amtool accepts Alertmanager's configuration as mounted", () => {
    const alertmanager = service("alertmanager");
    const dir = containerView("alertmanager");
    try {
      const config = path.join(dir, flag(alertmanager, "--config.file") ?? "/etc/alertmanager/alertmanager.yml");
      const result = spawnSync("amtool", ["check-config", config], { encoding: "utf8" });
      assert.ok(!result.error, "amtool is required (apt-get install prometheus-alertmanager)");
      assert.equal(result.status, 0, result.stdout + result.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Grafana's provisioned data source is the stack's Prometheus and its dashboards folder is mounted", () => {
    const grafana = bindMounts(compose).filter((m) => m.service === "grafana");
    const provisioning = grafana.find((m) => m.target === "/etc/grafana/provisioning");
    assert.ok(provisioning, "provisioning mounted at /etc/grafana/provisioning");
    const dir = resolveSource(DIR, provisioning.source);
    const datasources = parse(fs.readFileSync(path.join(dir, "datasources/prometheus.yml"), "utf8")) as {
      datasources: { url: string; jsonData?: { timeInterval?: string } }[];
    };
    const [datasource] = datasources.datasources;
    assert.equal(datasource?.url, `http://prometheus:${containerPort("prometheus")}`);
    assert.equal(datasource.jsonData?.timeInterval, prometheusConfig.global.scrape_interval);
    const providers = parse(fs.readFileSync(path.join(dir, "dashboards/livepatch.yml"), "utf8")) as {
      providers: { options: { path: string } }[];
    };
    const dashboards = grafana.find((m) => m.target === providers.providers[0]?.options.path);
    assert.ok(dashboards, "the provider's folder is a mount");
    const jsonFiles = fs.readdirSync(resolveSource(DIR, dashboards.source)).filter((f) => f.endsWith(".json"));
    assert.ok(jsonFiles.length > 0, "with dashboards in it");
  });

  it("every image is pinned to a version", () => {
    for (const [name, spec] of Object.entries(compose.services)) {
      if (spec.build !== undefined) continue;
      assert.match(spec.image ?? "", /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name}: ${spec.image}`);
    }
  });
});
