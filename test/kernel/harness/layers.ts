// The initramfs, as layers the kernel unpacks in order (concatenated cpio
// archives, each compressed on its own):
//   base  busybox, /init, the test modules, e1000.ko, the host files the
//         exporter reads under / (os-release, the kernel config)     per run, small
//   node  this machine's node, the libraries ldd lists, the ELF interpreter  cached
//   deps  the app's production node_modules (npm ci --omit=dev)      cached by package-lock.json
//   app   dist/, package.json and the guest agent                    per run, small
//   boot  /harness/boot.conf: token and ports of one boot            per boot
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import ts from "typescript";
import { cachedFile } from "./cache.js";
import { cpioArchive, treeEntries, type CpioEntry } from "./cpio.js";
import type { Kernel, TestModule } from "./kernel.js";
import { progress } from "./progress.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const GUEST = fileURLToPath(new URL("../guest/", import.meta.url));

/** Guest paths the harness and the states use. */
export const GUEST_PATHS = {
  modules: "/harness/modules",
  agent: "/harness/agent.mjs",
  bootConf: "/harness/boot.conf",
  app: "/app",
  main: "/app/dist/main.js",
} as const;

export function gzip(archive: Buffer): Buffer {
  return gzipSync(archive, { level: 6 });
}

function zstd(archive: Buffer, level: number): Buffer {
  const result = spawnSync("zstd", ["-q", `-${level}`, "-T0", "-c"], { input: archive, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`zstd failed: ${result.stderr.toString()}`);
  return result.stdout;
}

const file = (guestPath: string, hostPath: string, mode?: number): CpioEntry => ({
  kind: "file",
  path: guestPath,
  data: fs.readFileSync(hostPath),
  ...(mode === undefined ? {} : { mode }),
});

/** busybox with its applets, /init, the test modules, the NIC driver and the host files the exporter reads. */
export function baseLayer(kernel: Kernel, modules: Readonly<Record<TestModule, string>>): Buffer {
  const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
  if (busybox === undefined) throw new Error("busybox is not installed (busybox-static)");
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const e1000 = `${kernel.modulesDir}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko`;
  if (!fs.existsSync(e1000)) throw new Error(`${e1000} is missing (the guest's network card driver)`);
  const entries: CpioEntry[] = [
    ...["proc", "sys", "dev", "tmp", "run", "root", "etc", "usr/bin", "usr/sbin", "sbin"].map((dir): CpioEntry => ({
      kind: "dir",
      path: dir,
    })),
    { kind: "char", path: "dev/console", major: 5, minor: 1, mode: 0o600 },
    { kind: "char", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
    file("bin/busybox", busybox, 0o755),
    ...applets
      .filter((a) => a !== "busybox")
      .map((a): CpioEntry => ({ kind: "symlink", path: `bin/${a}`, target: "busybox" })),
    file("init", path.join(GUEST, "init"), 0o755),
    file("harness/lib.sh", path.join(GUEST, "lib.sh")),
    ...Object.entries(modules).map(([name, ko]) => file(`${GUEST_PATHS.modules}/${name}.ko`, ko)),
    file(`lib/modules/${kernel.release}/${path.relative(kernel.modulesDir, e1000)}`, e1000),
    // What the exporter reads from a Debian host's root (--path.rootfs=/).
    file(`boot/config-${kernel.release}`, kernel.config),
    file("etc/os-release", fs.existsSync("/etc/os-release") ? "/etc/os-release" : "/usr/lib/os-release"),
    { kind: "file", path: "etc/passwd", data: Buffer.from("root:x:0:0:root:/root:/bin/sh\n") },
    { kind: "file", path: "etc/group", data: Buffer.from("root:x:0:\n") },
    { kind: "file", path: "etc/hosts", data: Buffer.from("127.0.0.1 localhost\n") },
  ];
  return gzip(cpioArchive(entries));
}

function sha256(...parts: (Buffer | string)[]): string {
  const hash = crypto.createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex").slice(0, 16);
}

/** node, stripped, with the shared libraries ldd lists and the ELF interpreter; cached by their content. */
export function nodeLayer(): string {
  const node = fs.realpathSync(process.execPath);
  const libraries = execFileSync("ldd", [node], { encoding: "utf8" })
    .split("\n")
    .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1])
    .filter((p): p is string => p !== undefined);
  const key = sha256(...[node, ...libraries].map((p) => fs.readFileSync(p)));
  return cachedFile("node", key, ".cpio.zst", () => {
    progress(`packing node and ${libraries.length} libraries (once per node build)`);
    const stripped = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lp-node-")), "node");
    try {
      execFileSync("strip", ["--strip-all", "-o", stripped, node]);
      const entries: CpioEntry[] = [
        file("usr/local/bin/node", stripped, 0o755),
        ...libraries.map((lib) => file(lib, fs.realpathSync(lib), 0o755)),
      ];
      return zstd(cpioArchive(entries), 12);
    } finally {
      fs.rmSync(path.dirname(stripped), { recursive: true, force: true });
    }
  });
}

/** The production dependencies, installed by npm ci in a temporary copy; cached by the lock file. */
export function depsLayer(): string {
  const lock = fs.readFileSync(path.join(ROOT, "package-lock.json"));
  return cachedFile("deps", sha256(lock), ".cpio.zst", () => {
    progress("installing the production dependencies (npm ci --omit=dev, once per package-lock.json)");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lp-deps-"));
    try {
      fs.copyFileSync(path.join(ROOT, "package.json"), path.join(work, "package.json"));
      fs.writeFileSync(path.join(work, "package-lock.json"), lock);
      const npm = spawnSync(
        "npm",
        ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
        { cwd: work, encoding: "utf8" },
      );
      if (npm.status !== 0) throw new Error(`npm ci --omit=dev failed:\n${npm.stdout}${npm.stderr}`);
      return zstd(cpioArchive(treeEntries(path.join(work, "node_modules"), "app/node_modules")), 12);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}

/** The built exporter (dist/, which must be current: npm run test:kernel builds it first) and the guest agent. */
export function appLayer(): Buffer {
  const dist = path.join(ROOT, "dist");
  if (!fs.existsSync(path.join(dist, "main.js"))) throw new Error("dist/main.js is missing: run npm run build");
  const agent = ts.transpileModule(fs.readFileSync(path.join(GUEST, "agent.ts"), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const entries: CpioEntry[] = [
    ...treeEntries(dist, "app/dist").filter((e) => !e.path.endsWith(".map")),
    file("app/package.json", path.join(ROOT, "package.json")),
    { kind: "file", path: GUEST_PATHS.agent, data: Buffer.from(agent) },
  ];
  return gzip(cpioArchive(entries));
}

/** The per-boot settings the guest's /init and agent read. */
export function bootLayer(settings: Readonly<Record<string, string | number>>): Buffer {
  const text = Object.entries(settings)
    .map(([k, v]) => `${k}=${String(v)}\n`)
    .join("");
  return gzip(cpioArchive([{ kind: "file", path: GUEST_PATHS.bootConf, data: Buffer.from(text) }]));
}
