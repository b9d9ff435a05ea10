// npm run build:binary: the exporter as one executable file, built with Node.js's single executable
// applications (SEA, Node 20): esbuild bundles src/main.ts and every production dependency into
// one CommonJS file (a Node 20 SEA runs exactly one CommonJS script and can require only Node's
// built-in modules), `node --experimental-sea-config` turns it into a blob, and postject injects
// the blob into a copy of the node binary running this script (stripped of debug symbols).
// Output: build/livepatch_exporter, plus build/THIRD-PARTY-LICENSES.txt (the bundled packages'
// licences, which ship with the binary). The result is cached by a hash of every input
// (support/build-cache.ts).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";
import { cached, filesUnder, hashInputs } from "./build-cache.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const BINARY_NAME = "livepatch_exporter";
export const LICENSES_NAME = "THIRD-PARTY-LICENSES.txt";
/** The sentinel every Node.js binary carries for SEA injection (Node's documentation). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
}

function readPackageJson(file: string): PackageJson {
  return JSON.parse(fs.readFileSync(file, "utf8")) as PackageJson;
}

export function packageVersion(): string {
  return readPackageJson(path.join(ROOT, "package.json")).version;
}

function gitRevision(): string {
  const result = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  const revision = result.status === 0 ? result.stdout.trim() : "";
  return /^[0-9a-f]{7,40}$/.test(revision) ? revision : "unknown";
}

/**
 * src/version.ts reads package.json and dist/revision.txt beside the compiled code; a single binary
 * has neither, so the bundle gets them as constants instead.
 */
function embedVersion(version: string, revision: string): Plugin {
  const versionModule = path.join(ROOT, "src", "version.ts");
  return {
    name: "embed-version",
    setup(builder) {
      builder.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, (args) =>
        args.path === versionModule
          ? {
              contents: `export const VERSION = ${JSON.stringify(version)};\nexport const REVISION = ${JSON.stringify(revision)};\n`,
              loader: "ts",
            }
          : undefined,
      );
    },
  };
}

async function bundle(outfile: string, version: string, revision: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [path.join(ROOT, "src", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    plugins: [embedVersion(version, revision)],
    // Before any module is evaluated: V8's memory-over-speed heuristics, the one footprint flag that works
    // after start-up and that NODE_OPTIONS refuses (docs/performance.md, "Memory"). The others come
    // through NODE_OPTIONS (the .deb's unit sets them).
    banner: { js: 'require("node:v8").setFlagsFromString("--optimize-for-size");' },
    // Licence headers of the bundled code stay with it.
    legalComments: "eof",
    metafile: true,
    logLevel: "silent",
  });
  // import.meta, a require() esbuild cannot follow, a missing file: each would break only the
  // binary, at run time. Any warning fails the build instead.
  if (result.warnings.length > 0) {
    throw new Error(
      `esbuild warnings:\n${result.warnings.map((w) => `${w.location?.file ?? ""}: ${w.text}`).join("\n")}`,
    );
  }
  return result.metafile;
}

/** The licence of every npm package in the bundle, and of Node.js itself, as one text file. */
function thirdPartyLicenses(metafile: Metafile): string {
  const packages = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] !== undefined) packages.set(match[1], "");
  }
  const sections: string[] = [];
  for (const dir of [...packages.keys()].sort()) {
    const pkg = readPackageJson(path.join(ROOT, dir, "package.json"));
    const licenceFile = fs
      .readdirSync(path.join(ROOT, dir))
      .find((name) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(name));
    const text = licenceFile === undefined ? "" : fs.readFileSync(path.join(ROOT, dir, licenceFile), "utf8").trim();
    sections.push(`${pkg.name} ${pkg.version} (${pkg.license ?? "see its package"})\n\n${text}`);
  }
  const nodeLicence = [
    path.join(path.dirname(process.execPath), "..", "share", "doc", "nodejs", "LICENSE"),
    path.join(path.dirname(process.execPath), "..", "LICENSE"),
    "/usr/share/doc/nodejs/LICENSE",
  ].find((file) => fs.existsSync(file));
  sections.unshift(
    `Node.js ${process.version} (the runtime this executable is built on)\n\n` +
      (nodeLicence === undefined
        ? "MIT; see https://github.com/nodejs/node/blob/main/LICENSE"
        : fs.readFileSync(nodeLicence, "utf8").trim()),
  );
  const rule = `\n\n${"-".repeat(78)}\n\n`;
  return `Software bundled into ${BINARY_NAME}, with its licences.${rule}${sections.join(rule)}\n`;
}

function run(command: string, args: readonly string[], what: string): void {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 300_000 });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`${what} failed: ${result.error?.message ?? ""}\n${result.stdout}${result.stderr}`);
  }
}

async function buildInto(directory: string, version: string, revision: string): Promise<void> {
  const bundleFile = path.join(directory, "bundle.cjs");
  const metafile = await bundle(bundleFile, version, revision);
  fs.writeFileSync(path.join(directory, LICENSES_NAME), thirdPartyLicenses(metafile));
  const blob = path.join(directory, "sea.blob");
  const config = path.join(directory, "sea-config.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      main: bundleFile,
      output: blob,
      disableExperimentalSEAWarning: true,
      // No code cache: V8 rejects it (with a warning on every start) when the binary runs with other
      // V8 flags than the build had, such as NODE_OPTIONS=--max-semi-space-size=1. It would save
      // about 50 ms of CPU per start.
      useCodeCache: false,
    }),
  );
  run(process.execPath, ["--experimental-sea-config", config], "node --experimental-sea-config");
  const binary = path.join(directory, BINARY_NAME);
  fs.copyFileSync(process.execPath, binary);
  fs.chmodSync(binary, 0o755);
  // Debug symbols are most of a distribution's node binary; the dynamic symbol table that native
  // addons link against stays. Without binutils the binary is only larger.
  const strip = spawnSync("strip", ["--strip-debug", "--strip-unneeded", binary], { encoding: "utf8" });
  if (strip.error !== undefined) process.stderr.write("build:binary: strip not found (binutils); not stripped\n");
  else if (strip.status !== 0) throw new Error(`strip failed: ${strip.stderr}`);
  const postject = path.join(ROOT, "node_modules", "postject", "dist", "cli.js");
  run(process.execPath, [postject, binary, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE], "postject");
  fs.rmSync(blob);
  fs.rmSync(config);
  // The binary must answer with the version it was built from, with no node_modules in reach.
  const check = spawnSync(binary, ["--version"], { cwd: directory, encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  if (check.stdout.trim() !== version) {
    throw new Error(`the built binary says ${JSON.stringify(check.stdout)} for --version:\n${check.stderr}`);
  }
}

export interface BuiltBinary {
  /** The cached binary (read-only use; copy it to change it). */
  readonly binary: string;
  readonly licenses: string;
  readonly version: string;
  readonly revision: string;
  readonly cacheHit: boolean;
  readonly seconds: number;
}

/** The binary for the current sources and this Node.js, from the cache or built now. */
export async function ensureBinary(): Promise<BuiltBinary> {
  const started = Date.now();
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19))
    throw new Error(`Node.js 20.19 or later is needed, not ${process.version}`);
  if (process.platform !== "linux") throw new Error("build:binary builds Linux binaries on Linux only");
  const version = packageVersion();
  const revision = gitRevision();
  const esbuildVersion = readPackageJson(path.join(ROOT, "node_modules", "esbuild", "package.json")).version;
  const postjectVersion = readPackageJson(path.join(ROOT, "node_modules", "postject", "package.json")).version;
  const key = hashInputs(
    [
      process.version,
      process.execPath,
      String(fs.statSync(process.execPath).size),
      esbuildVersion,
      postjectVersion,
      revision,
    ],
    [
      ...filesUnder(path.join(ROOT, "src")),
      path.join(ROOT, "package.json"),
      path.join(ROOT, "package-lock.json"),
      fileURLToPath(import.meta.url),
      path.join(ROOT, "scripts", "build-cache.ts"),
    ],
  );
  const entry = await cached("binary", key, (directory) => buildInto(directory, version, revision));
  return {
    binary: path.join(entry.directory, BINARY_NAME),
    licenses: path.join(entry.directory, LICENSES_NAME),
    version,
    revision,
    cacheHit: entry.hit,
    seconds: (Date.now() - started) / 1000,
  };
}

export async function main(): Promise<void> {
  const built = await ensureBinary();
  const out = path.join(ROOT, "build");
  fs.mkdirSync(out, { recursive: true });
  const target = path.join(out, BINARY_NAME);
  // Copy to a temporary name and rename: a running build/livepatch_exporter is not overwritten in place.
  fs.copyFileSync(built.binary, `${target}.tmp`);
  fs.chmodSync(`${target}.tmp`, 0o755);
  fs.renameSync(`${target}.tmp`, target);
  fs.copyFileSync(built.licenses, path.join(out, LICENSES_NAME));
  const size = (fs.statSync(target).size / 1024 / 1024).toFixed(1);
  process.stdout.write(
    `${path.relative(process.cwd(), target)}: ${BINARY_NAME} ${built.version} (${built.revision}), Node.js ${process.version}, ` +
      `${size} MiB, ${built.cacheHit ? "from the cache" : "built"} in ${built.seconds.toFixed(1)} s\n`,
  );
}
