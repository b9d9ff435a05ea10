// podman as it works on this kind of machine (Debian packages podman, runc, uidmap; no Docker
// daemon, no registry): the runc runtime, cgroupfs, explicit ulimits on build and run. Base images
// cannot be pulled, so the container test builds one from Debian packages with mmdebstrap and
// passes it to the Dockerfile as NODE_IMAGE.
//
// That base is Debian bookworm (minbase) plus the Node.js and npm this test runs on, put where the
// upstream node image has them (/usr/local/bin/node, /usr/local/lib/node_modules/npm): Debian's
// own nodejs is too old for engines ">=20.19". The host's CA bundle goes in too (with
// NODE_EXTRA_CA_CERTS), so that npm ci in the build trusts what this machine trusts, as it does
// here. The tarball is cached (support/build-cache.ts) by its inputs; importing it takes seconds.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cached, hashInputs } from "../../support/build-cache.js";

export const PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs"] as const;
/** This process's hard limit of a resource (/proc/self/limits), capped. */
function hardLimit(resource: string, cap: number): number {
  const line = fs
    .readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith(resource));
  const hard = Number(line?.slice(resource.length).trim().split(/\s+/)[1]);
  return Number.isFinite(hard) && hard > 0 ? Math.min(hard, cap) : cap;
}

/**
 * Explicit limits: podman's defaults do not work here, and a container cannot be given more than
 * the limits podman itself runs under (runc fails with "error setting rlimits").
 */
export const ULIMITS = [
  "--ulimit",
  `nofile=${hardLimit("Max open files", 65536)}:${hardLimit("Max open files", 65536)}`,
  "--ulimit",
  `nproc=${hardLimit("Max processes", 16384)}:${hardLimit("Max processes", 16384)}`,
] as const;

const SUITE = "bookworm";
const PACKAGES = ["ca-certificates", "libstdc++6"];
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const BASE_REPOSITORY = "localhost/livepatch-exporter-node-base";

export interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function podman(args: readonly string[], timeoutMs = 120_000): Result {
  const [command, ...global] = PODMAN;
  const result = spawnSync(command, [...global, ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (result.error !== undefined && (result.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Why the container test cannot run here, or undefined when it can. */
export function podmanUnavailable(): string | undefined {
  if (spawnSync("podman", ["--version"]).error !== undefined)
    return "podman is not installed (apt-get install podman runc uidmap)";
  if (spawnSync("mmdebstrap", ["--version"]).error !== undefined)
    return "mmdebstrap is not installed (apt-get install mmdebstrap)";
  if (process.getuid?.() !== 0) return "the base image is built with mmdebstrap as root, and this is not root";
  const info = podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"], 60_000);
  if (info.status !== 0)
    return `podman cannot run here: ${(info.stderr || info.stdout).trim().split("\n").at(-1) ?? ""}`;
  return undefined;
}

function version(command: string, args: readonly string[]): string {
  return spawnSync(command, args, { encoding: "utf8" }).stdout.trim();
}

/** npm beside the node running this (…/bin/node → …/lib/node_modules/npm). */
function npmDirectory(): string {
  const candidates = [
    path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm"),
    "/usr/lib/node_modules/npm",
    "/usr/local/lib/node_modules/npm",
  ];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, "bin", "npm-cli.js")));
  if (found === undefined) throw new Error(`no npm found next to ${process.execPath}`);
  return path.resolve(found);
}

export interface BaseImage {
  readonly image: string;
  readonly tarball: string;
  readonly cacheHit: boolean;
  readonly seconds: number;
}

/** The node base image, imported from the cached mmdebstrap tarball (built first if needed). */
export async function nodeBaseImage(): Promise<BaseImage> {
  const started = Date.now();
  const npm = npmDirectory();
  const npmVersion = (JSON.parse(fs.readFileSync(path.join(npm, "package.json"), "utf8")) as { version: string })
    .version;
  const tarballName = "base.tar";
  const hooks = [
    'mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules"',
    `copy-in ${process.execPath} /usr/local/bin`,
    `copy-in ${npm} /usr/local/lib/node_modules`,
    'chroot "$1" ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm',
    'chroot "$1" ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
    `upload ${CA_BUNDLE} ${CA_BUNDLE}`,
  ];
  const options = [
    "--variant=minbase",
    `--include=${PACKAGES.join(",")}`,
    // Like the slim images: no documentation, manual pages or translations.
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
    ...hooks.map((hook) => `--customize-hook=${hook}`),
    "--quiet",
    SUITE,
  ];
  // Keyed by what goes in: the command line, mmdebstrap's version, node, npm and the CA bundle.
  // (Debian's packages of the suite move on; an entry is rebuilt when these change, or when the
  // cache keeps only newer ones.)
  const key = hashInputs(
    [...options, version("mmdebstrap", ["--version"]), process.version, npmVersion],
    [process.execPath, CA_BUNDLE],
  );
  const entry = await cached("container-base", key, (directory) => {
    const result = spawnSync("mmdebstrap", [...options, path.join(directory, tarballName)], {
      encoding: "utf8",
      timeout: 900_000,
    });
    if (result.status !== 0) {
      throw new Error(`mmdebstrap failed:\n${result.stdout}${result.stderr}${result.error?.message ?? ""}`);
    }
  });
  const image = `${BASE_REPOSITORY}:${key}`;
  if (podman(["image", "exists", image]).status !== 0) {
    // Base images of earlier inputs are of no use any more.
    const old = podman(["images", "--format", "{{.Repository}}:{{.Tag}}", BASE_REPOSITORY]).stdout.trim();
    for (const tag of old.split("\n").filter((t) => t.startsWith(`${BASE_REPOSITORY}:`))) podman(["rmi", tag]);
    const imported = podman(
      [
        "import",
        "--change",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change",
        `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
        "--change",
        'CMD ["node"]',
        path.join(entry.directory, tarballName),
        image,
      ],
      300_000,
    );
    if (imported.status !== 0) throw new Error(`podman import failed:\n${imported.stderr}`);
  }
  return {
    image,
    tarball: path.join(entry.directory, tarballName),
    cacheHit: entry.hit,
    seconds: (Date.now() - started) / 1000,
  };
}
