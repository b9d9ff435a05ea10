// The container image, checked without a container engine: the Dockerfile's structure (stages,
// pinned LTS base, production dependencies only, non-root user, OCI labels, port), that every COPY
// source exists and survives .dockerignore, that the entrypoint is what `npm run build` produces,
// and a rehearsal of the build stage on exactly the files the build context would hold.
// test/deploy/sandbox.test.ts shows that the exporter writes nothing (--read-only works).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_PORT } from "../../src/options.js";
import { copyParts, dockerIgnored, labels, parseDockerfile, words, type Stage } from "../helpers/dockerfile.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dockerfile = parseDockerfile(fs.readFileSync(path.join(ROOT, "deploy/container/Dockerfile"), "utf8"));
const dockerignore = fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: { node: string };
};
function lastStage(): Stage {
  const stage = dockerfile.stages.at(-1);
  if (stage === undefined) throw new Error("the Dockerfile has no FROM");
  return stage;
}
const runtime = lastStage();
const stageNamed = (name: string): Stage | undefined => dockerfile.stages.find((s) => s.name === name);
const all = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** Files of the repository under a context path (a file or a directory), "/"-separated. */
function contextFiles(source: string): string[] {
  const full = path.join(ROOT, source);
  if (!fs.statSync(full).isDirectory()) return [source];
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
}

/** WORKDIR of a stage (the last one; the Dockerfile sets it once per stage). */
const workdir = (stage: Stage): string => all(stage, "WORKDIR").at(-1) ?? "/";

describe("container image (deploy/container/Dockerfile)", () => {
  it("is multi-stage, every stage on the same pinned Node.js LTS image", () => {
    assert.ok(dockerfile.stages.length >= 2, "multi-stage");
    const image = dockerfile.globalArgs.get("NODE_IMAGE") ?? "";
    const match = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/.exec(image);
    assert.ok(match, `NODE_IMAGE=${image}: an exact node:<x.y.z>-<distro>-slim tag`);
    const major = Number(match[1]);
    assert.equal(major % 2, 0, "an even, LTS release line");
    const minimum = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
    assert.ok(major >= minimum, `Node.js ${major} satisfies engines.node ${pkg.engines.node}`);
    const names = new Set<string>();
    for (const stage of dockerfile.stages) {
      assert.ok(stage.from === "${NODE_IMAGE}" || names.has(stage.from), `FROM ${stage.from}`);
      if (stage.name !== undefined) names.add(stage.name);
    }
  });

  it("every COPY source exists and is in the build context (.dockerignore); --from names a stage", () => {
    const earlier = new Set<string>();
    let copies = 0;
    for (const stage of dockerfile.stages) {
      for (const args of all(stage, "COPY")) {
        const { from, sources } = copyParts(args);
        if (from !== undefined) {
          assert.ok(earlier.has(from), `COPY --from=${from}: no earlier stage of that name`);
          continue;
        }
        for (const source of sources) {
          copies++;
          assert.ok(fs.existsSync(path.join(ROOT, source)), `COPY ${source}: no such file`);
          const files = contextFiles(source);
          assert.ok(files.length > 0, `COPY ${source}: empty`);
          for (const file of files)
            assert.ok(!dockerIgnored(dockerignore, file), `${file} is excluded by .dockerignore`);
        }
      }
      if (stage.name !== undefined) earlier.add(stage.name);
    }
    assert.ok(copies >= 6, "the check saw the COPY instructions");
  });

  it(".dockerignore keeps dependencies, build output, git and tests out of the context", () => {
    for (const file of ["node_modules/express/package.json", "dist/main.js", ".git/HEAD", "test/unit/fs.test.ts"]) {
      assert.ok(dockerIgnored(dockerignore, file), file);
    }
    assert.ok(!dockerIgnored(dockerignore, "src/main.ts"));
  });

  it("the entrypoint is tini, from Debian's package, running the bin that npm run build produces", () => {
    const words_ = words(all(runtime, "ENTRYPOINT").at(-1) ?? "");
    assert.equal(all(runtime, "ENTRYPOINT").at(-1)?.startsWith("["), true, "exec form: signals reach tini");
    // tini as PID 1 forwards signals and reaps orphans (issue 14); -s also when it is not PID 1.
    assert.deepEqual(words_.slice(0, 3), ["/usr/bin/tini", "-s", "--"]);
    const tini = all(runtime, "COPY")
      .map(copyParts)
      .find(({ destination }) => destination === "/usr/bin/tini");
    assert.ok(tini?.from !== undefined, "tini is copied from a stage");
    assert.deepEqual(tini.sources, ["/usr/bin/tini-static"], "the statically linked build: no library to match");
    const init = stageNamed(tini.from);
    assert.ok(init);
    assert.ok(
      all(init, "RUN").some((run) => /apt-get install .*\btini\b/.test(run)),
      "installed from Debian",
    );
    const entrypoint = words_.slice(3);
    assert.equal(entrypoint[0], "node");
    // node's own flags (support/install-ways.ts, FOOTPRINT_FLAGS), then the script.
    const script = entrypoint.slice(1).find((word) => !word.startsWith("-")) ?? "";
    // Which COPY --from brought it, and where it was in that stage.
    const copy = all(runtime, "COPY")
      .map(copyParts)
      .find(({ destination }) => script.startsWith(`${path.posix.resolve(workdir(runtime), destination)}/`));
    assert.ok(copy?.from !== undefined, `${script} is copied from a build stage`);
    const [source = ""] = copy.sources;
    const inStage = path.posix.join(
      source,
      path.posix.relative(path.posix.resolve(workdir(runtime), copy.destination), script),
    );
    const build = stageNamed(copy.from);
    assert.ok(build, copy.from);
    assert.ok(
      all(build, "RUN").some((run) => run.includes("npm run build")),
      `stage ${copy.from} runs npm run build`,
    );
    const relative = path.posix.relative(workdir(build), inStage);
    assert.equal(relative, Object.values(pkg.bin)[0], "the image runs the package's bin");
    assert.ok(fs.existsSync(path.join(ROOT, relative)), `npm run build produced ${relative}`);
  });

  it("the runtime stage has production dependencies only", () => {
    const copy = all(runtime, "COPY")
      .map(copyParts)
      .find(({ sources }) => sources.some((s) => s.endsWith("node_modules")));
    assert.ok(copy?.from !== undefined, "node_modules come from a stage");
    const deps = stageNamed(copy.from);
    assert.ok(deps);
    const installs = all(deps, "RUN").filter((run) => /\bnpm (ci|install|i)\b/.test(run));
    assert.ok(installs.length > 0, "that stage installs them");
    for (const run of installs) assert.match(run, /npm ci --omit=dev/, run);
    assert.deepEqual(all(runtime, "RUN"), [], "nothing is installed or built in the runtime stage");
  });

  it("runs as nobody (65534), never as root", () => {
    assert.equal(all(runtime, "USER").at(-1), "65534:65534");
    for (const user of all(runtime, "USER")) assert.doesNotMatch(user, /^(0|root)(:|$)/);
  });

  it("exposes the default port and carries the OCI labels, in step with package.json", () => {
    assert.deepEqual(all(runtime, "EXPOSE"), [String(DEFAULT_PORT)]);
    const label = new Map(all(runtime, "LABEL").flatMap((args) => [...labels(args)]));
    for (const key of ["title", "description", "version", "revision", "licenses", "source", "base.name"]) {
      assert.ok(label.get(`org.opencontainers.image.${key}`), `org.opencontainers.image.${key}`);
    }
    assert.equal(label.get("org.opencontainers.image.licenses"), pkg.license);
    const version = all(runtime, "ARG").find((a) => a.startsWith("VERSION="));
    assert.equal(version, `VERSION=${pkg.version}`, "the image version follows package.json");
  });

  it("the build stage builds from exactly the files the build context holds", () => {
    // Rehearse the build stage: the context files its COPY instructions take (after .dockerignore),
    // the repository's own node_modules in place of `npm ci` (same lockfile), then its npm run build.
    const build = stageNamed("build");
    assert.ok(build);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-image-build-"));
    try {
      for (const { from, sources, destination } of all(build, "COPY").map(copyParts)) {
        assert.equal(from, undefined);
        for (const source of sources) {
          for (const file of contextFiles(source).filter((f) => !dockerIgnored(dockerignore, f))) {
            const target = destination.endsWith("/")
              ? path.join(dir, destination, path.relative(path.dirname(source), file))
              : path.join(dir, destination, path.relative(source, file));
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.copyFileSync(path.join(ROOT, file), target);
          }
        }
      }
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      const built = spawnSync("npm", ["run", "build"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
      assert.equal(built.status, 0, built.stdout + built.stderr);
      const version = spawnSync(process.execPath, [path.join(dir, "dist/main.js"), "--version"], {
        encoding: "utf8",
      });
      assert.equal(version.stdout.trim(), pkg.version, version.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
