// The kustomization in deploy/kubernetes: every object valid against its schema (offline, with
// kubernetes-models and @kubernetes-models/prometheus-operator), the DaemonSet's security and host
// access, the pieces that must agree (ports, labels, selectors, the job label the rules use), and
// the generated PrometheusRule and dashboards ConfigMap in step with their sources.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import os from "node:os";
import { parse, stringify } from "yaml";
import { DEFAULT_PORT } from "../../src/options.js";
import { checkGenerated } from "../helpers/generators.js";
import { assemble, kustomizeBuild, objectKey, readKustomization, type K8sObject } from "../helpers/kustomize.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIR = path.join(ROOT, "deploy/kubernetes");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
/** The labels every object of the kustomization carries (and the selectors use the first). */
const LABELS = {
  "app.kubernetes.io/name": "livepatch-exporter",
  "app.kubernetes.io/component": "exporter",
  "app.kubernetes.io/part-of": "livepatch-exporter",
};
/** The label the Grafana dashboard sidecar (k8s-sidecar, kube-prometheus-stack) looks for. */
const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" };

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;
const MODELS: Record<string, ModelClass> = {
  "apps/v1/DaemonSet": DaemonSet as unknown as ModelClass,
  "v1/Service": Service as unknown as ModelClass,
  "v1/ConfigMap": ConfigMap as unknown as ModelClass,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor as unknown as ModelClass,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule as unknown as ModelClass,
};

function validate(object: K8sObject): void {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  assert.ok(model, `no schema for ${object.apiVersion} ${object.kind}`);
  new model(structuredClone(object)).validate();
}

// Just the parts of the objects the checks read.
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  env?: { name: string; value?: string }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  tolerations?: { key?: string; operator?: string; effect?: string }[];
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string; type?: string } }[];
}
interface DaemonSetSpec {
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}
interface ServiceSpec {
  clusterIP?: string;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string | number }[];
}
interface ServiceMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  endpoints: {
    port: string;
    path?: string;
    relabelings?: { action?: string; sourceLabels?: string[]; targetLabel?: string; replacement?: string }[];
  }[];
}

let objects: K8sObject[];
let built: string;

function one(kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  const [object] = found;
  assert.ok(object !== undefined && found.length === 1, `one ${kind}`);
  return object;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe("Kubernetes (deploy/kubernetes, kustomize)", () => {
  before(() => {
    const assembled = assemble(DIR);
    const kustomize = kustomizeBuild(DIR);
    if (kustomize === undefined) {
      built = "assembled from kustomization.yaml (neither kubectl nor kustomize is installed)";
      objects = assembled;
    } else {
      built = `built by ${kustomize.tool}`;
      objects = kustomize.objects;
      // The fallback must agree with the real tool, so that it means something where kubectl is missing.
      const byKey = (list: K8sObject[]): Map<string, K8sObject> => new Map(list.map((o) => [objectKey(o), o]));
      assert.deepEqual(byKey(assembled), byKey(kustomize.objects), "assemble() == kustomize");
    }
  });

  it("builds the expected objects, all in the kustomization's namespace and labelled", (t) => {
    t.diagnostic(built);
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      "ConfigMap",
      "DaemonSet",
      "PrometheusRule",
      "Service",
      "ServiceMonitor",
    ]);
    const namespace = readKustomization(DIR).namespace;
    for (const object of objects) {
      assert.equal(object.metadata.namespace, namespace, objectKey(object));
      assert.ok(matches(LABELS, object.metadata.labels), `${objectKey(object)} carries the common labels`);
    }
  });

  it("every object is valid against its schema", () => {
    for (const object of objects) {
      assert.doesNotThrow(() => validate(object), objectKey(object));
    }
  });

  it("the schema validation rejects a broken object (the check is real)", () => {
    const daemonSet = structuredClone(one("DaemonSet"));
    const [container] = (daemonSet["spec"] as DaemonSetSpec).template.spec.containers;
    assert.ok(container);
    (container as unknown as { ports: unknown[] }).ports = [{ containerPort: "metrics" }];
    assert.throws(() => validate(daemonSet), /containerPort must be integer/);
    const rule = structuredClone(one("PrometheusRule"));
    const firstRule = (rule["spec"] as { groups: { rules: { for?: string }[] }[] }).groups[0]?.rules[0];
    assert.ok(firstRule);
    firstRule.for = "half an hour";
    assert.throws(() => validate(rule), /for must match pattern/);
  });

  describe("DaemonSet", () => {
    let pod: PodSpec;
    let container: Container;
    before(() => {
      pod = (one("DaemonSet")["spec"] as DaemonSetSpec).template.spec;
      const [only, ...others] = pod.containers;
      assert.ok(only !== undefined && others.length === 0, "one container");
      container = only;
    });

    it("runs as non-root with a read-only root filesystem, no capability and no escalation", () => {
      const podSc = pod.securityContext;
      assert.ok(podSc, "pod securityContext");
      assert.equal(podSc.runAsNonRoot, true);
      assert.ok((podSc.runAsUser ?? 0) > 0, "a non-zero uid");
      assert.equal(podSc.seccompProfile?.type, "RuntimeDefault");
      const sc = container.securityContext;
      assert.ok(sc, "container securityContext");
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.privileged, false);
      assert.deepEqual(sc.capabilities?.drop, ["ALL"]);
      assert.equal(sc.capabilities.add, undefined);
      assert.ok(!pod.hostNetwork && !pod.hostPID && !pod.hostIPC, "no host namespaces");
    });

    it("mounts the host's /proc, /sys and / read-only and names them with the matching --path.* flags", () => {
      const flags = new Map(
        (container.args ?? []).map((arg) => {
          const [flag = "", value = ""] = arg.split("=", 2);
          return [flag, value];
        }),
      );
      const hostPaths = new Map((pod.volumes ?? []).map((v) => [v.name, v.hostPath?.path]));
      const mountOf = (hostPath: string): { mountPath: string; readOnly?: boolean } | undefined =>
        container.volumeMounts?.find((m) => hostPaths.get(m.name) === hostPath);
      for (const [hostPath, flag] of [
        ["/proc", "--path.procfs"],
        ["/sys", "--path.sysfs"],
        ["/", "--path.rootfs"],
      ] as const) {
        const mount = mountOf(hostPath);
        assert.ok(mount, `${hostPath} is mounted`);
        assert.equal(mount.readOnly, true, `${hostPath} read-only`);
        assert.equal(flags.get(flag), mount.mountPath, `${flag} names the mount of ${hostPath}`);
      }
      for (const mount of container.volumeMounts ?? []) assert.equal(mount.readOnly, true, mount.name);
    });

    it("tolerates every taint", () => {
      assert.ok(
        pod.tolerations?.some((t) => t.operator === "Exists" && t.key === undefined && t.effect === undefined),
        "a toleration with operator Exists and no key or effect",
      );
    });

    it("probes /-/healthy and /-/ready on the port the exporter listens on", () => {
      const listen = (container.args ?? []).find((a) => a.startsWith("--web.listen-address="));
      const port = Number(listen?.split(":").at(-1) ?? DEFAULT_PORT);
      assert.equal(port, DEFAULT_PORT);
      const named = container.ports?.find((p) => p.name === "metrics");
      assert.equal(named?.containerPort, port);
      assert.deepEqual(container.livenessProbe?.httpGet, { path: "/-/healthy", port: "metrics" });
      assert.deepEqual(container.readinessProbe?.httpGet, { path: "/-/ready", port: "metrics" });
    });

    it("keeps the image's entrypoint (its init reaps vendor clients' orphans): args, never command", () => {
      assert.equal(container.command, undefined);
      assert.ok((container.args ?? []).length > 0);
    });

    it("runs the image of this version", () => {
      assert.match(container.image, new RegExp(`:${pkg.version.replaceAll(".", "\\.")}$`));
    });
  });

  it("the Service, ServiceMonitor and DaemonSet select each other, and the job label is the rules' one", () => {
    const daemonSet = { spec: one("DaemonSet")["spec"] as DaemonSetSpec };
    const service = { object: one("Service"), spec: one("Service")["spec"] as ServiceSpec };
    const monitor = { spec: one("ServiceMonitor")["spec"] as ServiceMonitorSpec };
    const podLabels = daemonSet.spec.template.metadata.labels;
    assert.ok(matches(daemonSet.spec.selector.matchLabels, podLabels), "DaemonSet selector");
    assert.ok(matches(service.spec.selector, podLabels), "Service selector");
    assert.equal(service.spec.clusterIP, "None", "headless: every pod is a target");
    assert.ok(matches(monitor.spec.selector.matchLabels, service.object.metadata.labels), "ServiceMonitor selector");
    const [endpoint] = monitor.spec.endpoints;
    const servicePort = service.spec.ports.find((p) => p.name === endpoint?.port);
    assert.ok(servicePort, `the Service has port ${endpoint?.port}`);
    const containerPorts = daemonSet.spec.template.spec.containers[0]?.ports ?? [];
    assert.ok(
      containerPorts.some((p) => p.name === servicePort.targetPort),
      "targetPort names a container port",
    );
    // The rules select job="livepatch"; the relabeling must produce exactly that.
    const rules = fs.readFileSync(path.join(ROOT, "deploy/prometheus/rules/livepatch-alerts.yml"), "utf8");
    const jobs = new Set([...rules.matchAll(/job="([^"]+)"/g)].map((m) => m[1]));
    assert.equal(jobs.size, 1);
    const job = endpoint?.relabelings?.find((r) => r.targetLabel === "job");
    assert.equal(job?.replacement, [...jobs][0]);
    const instance = endpoint?.relabelings?.find((r) => r.targetLabel === "instance");
    assert.deepEqual(instance?.sourceLabels, ["__meta_kubernetes_pod_node_name"], "instance = node name");
  });

  describe("generated objects", () => {
    it("the PrometheusRule and the dashboards ConfigMap are in step with their sources (npm run deploy:generate)", () => {
      const result = checkGenerated("gen-deploy.ts");
      assert.equal(result.status, 0, result.stderr);
    });

    it("the PrometheusRule holds every group of every rules file", () => {
      const rule = one("PrometheusRule")["spec"] as { groups: { name: string }[] };
      const dir = path.join(ROOT, "deploy/prometheus/rules");
      const names = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yml"))
        .sort()
        .flatMap((f) => (parse(fs.readFileSync(path.join(dir, f), "utf8")) as { groups: { name: string }[] }).groups)
        .map((g) => g.name);
      assert.ok(names.length >= 2);
      assert.deepEqual(
        rule.groups.map((g) => g.name),
        names,
      );
    });

    it("the dashboards ConfigMap holds every dashboards/*.json for the Grafana sidecar, small enough to apply", () => {
      const configMap = one("ConfigMap");
      assert.ok(matches(GRAFANA_DASHBOARD_LABEL, configMap.metadata.labels), "grafana_dashboard label");
      const data = (configMap["data"] ?? {}) as Record<string, string>;
      const dir = path.join(ROOT, "dashboards");
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
      assert.deepEqual(Object.keys(data).sort(), files.map((f) => `livepatch-${f}`).sort());
      for (const [key, json] of Object.entries(data)) assert.doesNotThrow(() => JSON.parse(json), key);
      // kubectl apply (client side) keeps a copy in an annotation, limited to 256 KiB.
      const size = Object.values(data).reduce((sum, json) => sum + Buffer.byteLength(json), 0);
      assert.ok(size < 200 * 1024, `${size} bytes of dashboards: split the ConfigMap or use server-side apply`);
    });
  });
});

describe("Kubernetes: the kernel-log component (deploy/kubernetes/components/kernel-log)", () => {
  const envOf = (container: Container): Record<string, string | undefined> =>
    Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  const onlyContainer = (daemonSet: K8sObject): { pod: PodSpec; container: Container } => {
    const pod = (daemonSet["spec"] as DaemonSetSpec).template.spec;
    const [container] = pod.containers;
    assert.ok(container);
    return { pod, container };
  };

  it("the base DaemonSet keeps the kmsg collector off (it cannot read the log unprivileged)", () => {
    const base = assemble(DIR).find((o) => o.kind === "DaemonSet");
    assert.ok(base);
    assert.equal(envOf(onlyContainer(base).container)["LIVEPATCH_EXPORTER_COLLECTOR_KMSG"], "false");
  });

  it("an overlay with it reads the host's /dev/kmsg as root in a privileged, read-only container", (t) => {
    const overlay = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-overlay-"));
    try {
      const base = path.relative(overlay, DIR);
      fs.writeFileSync(
        path.join(overlay, "kustomization.yaml"),
        stringify({
          apiVersion: "kustomize.config.k8s.io/v1beta1",
          kind: "Kustomization",
          resources: [base],
          components: [`${base}/components/kernel-log`],
        }),
      );
      const result = kustomizeBuild(overlay);
      if (result === undefined) {
        t.skip("neither kubectl nor kustomize is installed: a component needs the real tool");
        return;
      }
      const daemonSet = result.objects.find((o) => o.kind === "DaemonSet");
      assert.ok(daemonSet);
      assert.doesNotThrow(() => validate(daemonSet));
      const { pod, container } = onlyContainer(daemonSet);
      const env = envOf(container);
      assert.equal(env["LIVEPATCH_EXPORTER_COLLECTOR_KMSG"], "true");
      const kmsg = env["LIVEPATCH_EXPORTER_PATH_KMSG"];
      const volume = pod.volumes?.find((v) => v.hostPath?.path === "/dev/kmsg");
      assert.ok(volume);
      assert.deepEqual(volume.hostPath, { path: "/dev/kmsg", type: "CharDevice" });
      const mount = container.volumeMounts?.find((m) => m.name === volume.name);
      assert.equal(mount?.mountPath, kmsg, "--path.kmsg names the device's mount");
      for (const m of container.volumeMounts ?? []) assert.equal(m.readOnly, true, m.name);
      // The device needs a privileged container, and CAP_SYSLOG (dmesg_restrict=1) root.
      assert.equal(container.securityContext?.privileged, true);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(pod.securityContext?.runAsUser, 0);
      assert.equal(pod.securityContext.runAsNonRoot, false);
      // The rest of the DaemonSet is the base's.
      assert.deepEqual(container.args, onlyContainer(one("DaemonSet")).container.args);
    } finally {
      fs.rmSync(overlay, { recursive: true, force: true });
    }
  });
});
