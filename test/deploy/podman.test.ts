// The container image really built (deploy/container/Dockerfile, with podman) and run the way the
// Kubernetes DaemonSet runs it: its args, user 65534, read-only root filesystem (and no tmpfs
// either), no capability, no privilege escalation, host /proc, /sys and / mounted read-only —
// a captured kernel's tree standing in for the host. Asserts /metrics (the golden file), the
// non-root user, tini as PID 1 reaping orphans, and that nothing is written. The base image is
// built from Debian packages (test/helpers/podman.ts) and passed as NODE_IMAGE: the Dockerfile's
// default, the upstream node image, cannot be pulled here. Skipped, saying why, where podman or
// mmdebstrap cannot run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { KMSG_IN_TREE, realKernelTree } from "../helpers/fixtures.js";
import { GOLDEN_DIR, stable } from "../helpers/golden.js";
import { nodeBaseImage, podman, podmanUnavailable, ULIMITS, type BaseImage } from "../helpers/podman.js";
import { promtool } from "../helpers/promtool.js";
import { waitFor } from "../helpers/wait.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };

const skip = podmanUnavailable();
if (skip !== undefined) process.stderr.write(`podman.test.ts: skipped: ${skip}\n`);

interface DaemonSetContainer {
  readonly args: string[];
  readonly env?: { name: string; value: string }[];
  readonly ports: { containerPort: number }[];
  readonly securityContext: {
    readonly readOnlyRootFilesystem: boolean;
    readonly allowPrivilegeEscalation: boolean;
    readonly capabilities: { readonly drop: string[] };
  };
  readonly volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
}

interface DaemonSet {
  readonly spec: {
    readonly template: {
      readonly spec: {
        readonly securityContext: { runAsUser: number; runAsGroup: number; runAsNonRoot: boolean };
        readonly containers: DaemonSetContainer[];
        readonly volumes: { name: string; hostPath: { path: string } }[];
      };
    };
  };
}

const daemonSet = parse(fs.readFileSync(path.join(ROOT, "deploy/kubernetes/daemonset.yaml"), "utf8")) as DaemonSet;
const pod = daemonSet.spec.template.spec;
function onlyContainer(): DaemonSetContainer {
  const [first] = pod.containers;
  if (first === undefined || pod.containers.length !== 1) throw new Error("the DaemonSet must have one container");
  return first;
}
const container = onlyContainer();

/** A tree's files and their content, to prove it unchanged. */
function treeDigest(root: string): string {
  const hash = createHash("sha256");
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    hash.update(`${path.relative(root, file)}\n`);
    if (entry.isFile()) hash.update(fs.readFileSync(file));
  }
  return hash.digest("hex");
}

/**
 * GET on a new connection each time: a kept-alive socket to the published port can be closed by the
 * other side between two tests on a slow machine, which fetch reports as a failure of the request.
 */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 30_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url}: timed out`)));
    request.on("error", reject);
  });
}

function ok(result: { status: number | null; stdout: string; stderr: string }, what: string): string {
  assert.equal(result.status, 0, `${what}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

describe("the container image, built and run with podman as the DaemonSet runs it", { skip }, () => {
  const id = `${process.pid}-${Date.now().toString(36)}`;
  const image = `localhost/livepatch_exporter:test-${id}`;
  const name = `livepatch-exporter-test-${id}`;
  const keep = process.env["LIVEPATCH_KEEP_TEST_IMAGES"] === "1";
  let base: BaseImage;
  let revision: string;
  let tree: string;
  let digest: string;
  let url: string;

  before(async () => {
    base = await nodeBaseImage();
    revision = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
    const started = Date.now();
    ok(
      podman(
        [
          "build",
          ...ULIMITS,
          // No intermediate images left behind (they would outlive the test); with
          // LIVEPATCH_KEEP_TEST_IMAGES=1 they stay, and so does podman's layer cache.
          `--layers=${keep}`,
          "--build-arg",
          `NODE_IMAGE=${base.image}`,
          "--build-arg",
          `REVISION=${revision}`,
          "-f",
          path.join(ROOT, "deploy/container/Dockerfile"),
          "-t",
          image,
          ROOT,
        ],
        1_800_000,
      ),
      "podman build",
    );
    process.stderr.write(
      `podman.test.ts: base image ${base.cacheHit ? "from the cache" : "built"} in ${base.seconds.toFixed(0)} s, ` +
        `image built in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );

    // The DaemonSet's hostPath volumes, each replaced by its part of a captured host.
    tree = realKernelTree("basic-enabled");
    digest = treeDigest(tree);
    const hostPathFor: Record<string, string> = {
      "/proc": path.join(tree, "proc"),
      "/sys": path.join(tree, "sys"),
      "/": tree,
    };
    const volumes = container.volumeMounts.map((mount) => {
      const volume = pod.volumes.find((v) => v.name === mount.name);
      const source = volume === undefined ? undefined : hostPathFor[volume.hostPath.path];
      assert.ok(
        source !== undefined && mount.readOnly,
        `volume ${mount.name}: a read-only hostPath we can stand in for`,
      );
      return ["--volume", `${source}:${mount.mountPath}:ro`];
    });
    // The DaemonSet's environment; the kernel log as the kernel-log component turns it on (its device
    // mapped at /host/dev/kmsg), here the capture's saved log under the mounted root, so that
    // /metrics is the capture's whole golden file.
    const environment = new Map((container.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(
      environment.get("LIVEPATCH_EXPORTER_COLLECTOR_KMSG"),
      "false",
      "the base DaemonSet reads no kernel log",
    );
    const rootMount = container.volumeMounts.find(
      (m) => pod.volumes.find((v) => v.name === m.name)?.hostPath.path === "/",
    );
    environment.set("LIVEPATCH_EXPORTER_COLLECTOR_KMSG", "true");
    environment.set("LIVEPATCH_EXPORTER_PATH_KMSG", path.posix.join(rootMount?.mountPath ?? "/", KMSG_IN_TREE));
    const security = container.securityContext;
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.deepEqual(security.capabilities.drop, ["ALL"]);
    const port = container.ports[0]?.containerPort ?? 0;
    ok(
      podman([
        "run",
        "--detach",
        "--name",
        name,
        ...ULIMITS,
        `--user=${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
        // readOnlyRootFilesystem, with no writable tmpfs at all (podman adds /tmp, /run, /var/tmp by default).
        "--read-only",
        "--read-only-tmpfs=false",
        "--cap-drop=all",
        "--security-opt=no-new-privileges",
        ...[...environment].flatMap(([variable, value]) => ["--env", `${variable}=${value}`]),
        ...volumes.flat(),
        "--publish",
        `127.0.0.1::${port}`,
        image,
        ...container.args,
      ]),
      "podman run",
    );
    url = `http://${ok(podman(["port", name, String(port)]), "podman port").trim()}`;
    await waitFor("the container's /-/ready", async () => (await get(`${url}/-/ready`)).status === 200, 60_000, 250);
  });

  after(() => {
    podman(["rm", "--force", "--time=0", name]);
    if (!keep) podman(["rmi", "--force", image]);
  });

  it("the image: tini as entrypoint, user 65534, the port, version and revision labels", () => {
    const [config] = JSON.parse(ok(podman(["image", "inspect", image]), "inspect")) as {
      Config: {
        User: string;
        Entrypoint: string[];
        ExposedPorts: Record<string, unknown>;
        Labels: Record<string, string>;
      };
    }[];
    assert.ok(config);
    assert.equal(config.Config.User, "65534:65534");
    assert.deepEqual(config.Config.Entrypoint.slice(0, 3), ["/usr/bin/tini", "-s", "--"]);
    assert.deepEqual(Object.keys(config.Config.ExposedPorts), ["10027/tcp"]);
    assert.equal(config.Config.Labels["org.opencontainers.image.version"], pkg.version);
    assert.equal(config.Config.Labels["org.opencontainers.image.revision"], revision);
  });

  it("serves the host's /metrics: the golden file for this capture, promtool-clean", async () => {
    const { status, body } = await get(`${url}/metrics`);
    assert.equal(status, 200);
    assert.equal(stable(body), fs.readFileSync(new URL("basic-enabled.prom", GOLDEN_DIR), "utf8"));
    assert.match(
      body,
      new RegExp(`^livepatch_exporter_build_info\\{version="${pkg.version}",revision="${revision}",`, "m"),
    );
    assert.match(body, /^livepatch_os_info\{id="debian",/m, "the host's os-release, through --path.rootfs");
    const lint = promtool(["check", "metrics"], body);
    assert.equal(lint.status, 0, lint.output);
  });

  it("runs as 65534 only, without capabilities, under tini as PID 1", () => {
    const rows = ok(podman(["top", name, "pid", "ppid", "hpid", "capeff", "args"]), "top")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/));
    assert.ok(rows.length >= 2, JSON.stringify(rows));
    for (const [, , hpid, capeff] of rows) {
      // The real, effective, saved and file-system uid and gid, as the host's kernel sees them.
      const status = fs.readFileSync(`/proc/${hpid}/status`, "utf8");
      assert.match(status, /^Uid:\t65534\t65534\t65534\t65534$/m, `pid ${hpid}`);
      assert.match(status, /^Gid:\t65534\t65534\t65534\t65534$/m, `pid ${hpid}`);
      assert.match(status, /^NoNewPrivs:\t1$/m, `pid ${hpid}`);
      assert.equal(capeff, "none");
    }
    const init = rows.find(([pid]) => pid === "1");
    assert.equal(init?.[4], "/usr/bin/tini");
    assert.ok(
      rows.some(([, ppid, , , command]) => ppid === "1" && command === "node"),
      JSON.stringify(rows),
    );
  });

  it("tini adopts and reaps orphans (node as PID 1 would leave zombies)", async () => {
    // A shell that starts a background sleep and exits: the sleep is orphaned. Long enough to be
    // seen by podman top on a busy machine; it then exits and must not stay a zombie.
    ok(podman(["exec", name, "sh", "-c", "(sleep 8 &) ; exit 0"]), "exec");
    const processes = (): string[][] =>
      ok(podman(["top", name, "pid", "ppid", "state", "args"]), "top")
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => line.trim().split(/\s+/));
    const orphan = processes().find((row) => row[3] === "sleep");
    assert.ok(orphan, "the orphan is running");
    assert.equal(orphan[1], "1", "the orphan was adopted by PID 1");
    await waitFor("the orphan to be reaped", () => !processes().some((row) => row[3] === "sleep"), 30_000, 500);
    assert.deepEqual(
      processes().filter((row) => row[2]?.startsWith("Z")),
      [],
      "no zombie",
    );
  });

  it("writes nothing: podman diff is empty, the host tree unchanged, and writing is impossible", async () => {
    for (const route of ["/metrics", "/", "/-/healthy"]) assert.equal((await get(`${url}${route}`)).status, 200, route);
    const check = podman([
      "exec",
      name,
      "node",
      "/app/dist/main.js",
      "check",
      ...container.args.filter((a) => a.startsWith("--path.")),
    ]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    // podman's own changes only: the volumes' mount points (and their parents), and /etc, where it
    // bind-mounts hosts, hostname and resolv.conf. Not one file.
    const engine = new Set(["C /etc"]);
    for (const mount of container.volumeMounts) {
      for (let dir = mount.mountPath; dir !== "/"; dir = path.posix.dirname(dir)) engine.add(`A ${dir}`);
    }
    const changes = ok(podman(["diff", name]), "diff")
      .trim()
      .split("\n")
      .filter((line) => line !== "");
    assert.deepEqual(
      changes.filter((line) => !engine.has(line)),
      [],
      "files changed in the container",
    );
    assert.equal(treeDigest(tree), digest, "the host tree");
    for (const target of ["/app/x", "/tmp/x", "/host/root/x"]) {
      const write = podman(["exec", name, "sh", "-c", `: > ${target}`]);
      assert.notEqual(write.status, 0, target);
      assert.match(write.stderr, /Read-only file system/, target);
    }
  });

  it("stops on SIGTERM through tini, exit code 0, with nothing but info logged", () => {
    ok(podman(["stop", "--time=20", name], 60_000), "stop");
    const state = ok(podman(["inspect", name, "--format", "{{.State.ExitCode}}"]), "inspect").trim();
    assert.equal(state, "0");
    const logs = podman(["logs", name]);
    const lines = `${logs.stdout}${logs.stderr}`.trim().split("\n");
    assert.ok(
      lines.some((line) => line.includes("level=info msg=stopped")),
      lines.join("\n"),
    );
    assert.deepEqual(
      lines.filter((line) => /level=(warn|error)/.test(line)),
      [],
    );
  });
});
