// The kernel the tests boot (Debian's own, with CONFIG_LIVEPATCH=y) and the
// project's live-patch test modules, built out of tree against its headers.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "./cache.js";
import { progress } from "./progress.js";

export const MODULES_SOURCE = fileURLToPath(new URL("../modules/", import.meta.url));
export const TEST_MODULES = ["lp_basic", "lp_second", "lp_cumulative", "lp_busy_target", "lp_busy"] as const;
export type TestModule = (typeof TEST_MODULES)[number];

export interface Kernel {
  readonly release: string;
  /** /boot/vmlinuz-<release>. */
  readonly image: string;
  /** /boot/config-<release>. */
  readonly config: string;
  /** /lib/modules/<release>. */
  readonly modulesDir: string;
}

/**
 * The newest installed kernel that has headers and live patching, or the one
 * named by LIVEPATCH_TEST_KERNEL (a release such as 6.1.0-57-amd64).
 */
export function selectKernel(): Kernel {
  const wanted = process.env["LIVEPATCH_TEST_KERNEL"];
  const releases = fs
    .readdirSync("/boot")
    .filter((name) => name.startsWith("vmlinuz-"))
    .map((name) => name.slice("vmlinuz-".length))
    .filter((release) => wanted === undefined || wanted === "" || release === wanted)
    .sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
  const problems: string[] = [];
  for (const release of releases) {
    const kernel: Kernel = {
      release,
      image: `/boot/vmlinuz-${release}`,
      config: `/boot/config-${release}`,
      modulesDir: `/lib/modules/${release}`,
    };
    if (!fs.existsSync(`${kernel.modulesDir}/build/Makefile`)) problems.push(`${release}: no headers`);
    else if (!fs.existsSync(kernel.config)) problems.push(`${release}: no ${kernel.config}`);
    else if (!/^CONFIG_LIVEPATCH=y$/m.test(fs.readFileSync(kernel.config, "utf8")))
      problems.push(`${release}: CONFIG_LIVEPATCH is not set`);
    else {
      try {
        fs.accessSync(kernel.image, fs.constants.R_OK);
      } catch {
        throw new Error(`${kernel.image} is not readable: Debian installs it mode 0600, run the tests as root`);
      }
      return kernel;
    }
  }
  throw new Error(`no usable kernel in /boot (${problems.join("; ") || "none installed"})`);
}

/** Builds the test modules (cached by sources and kernel); returns module name -> .ko path. */
export function buildModules(kernel: Kernel): Record<TestModule, string> {
  const sources = fs
    .readdirSync(MODULES_SOURCE)
    .filter((f) => f === "Kbuild" || f.endsWith(".c"))
    .sort();
  const hash = crypto.createHash("sha256").update(kernel.release);
  // The headers' symbol versions change with the kernel build, even under the same release name.
  hash.update(fs.readFileSync(`${kernel.modulesDir}/build/Module.symvers`));
  for (const file of sources) hash.update(file).update(fs.readFileSync(path.join(MODULES_SOURCE, file)));
  const key = hash.digest("hex").slice(0, 16);
  const dir = path.join(cacheDir(), `modules-${kernel.release}-${key}`);
  const built = (): Record<TestModule, string> =>
    Object.fromEntries(TEST_MODULES.map((m) => [m, path.join(dir, `${m}.ko`)])) as Record<TestModule, string>;
  if (TEST_MODULES.every((m) => fs.existsSync(path.join(dir, `${m}.ko`)))) return built();

  progress(`building the test modules against ${kernel.release}`);
  const work = fs.mkdtempSync(path.join(cacheDir(), "modules-build-"));
  try {
    for (const file of sources) fs.copyFileSync(path.join(MODULES_SOURCE, file), path.join(work, file));
    const make = spawnSync("make", ["-s", "-C", `${kernel.modulesDir}/build`, `M=${work}`, "modules"], {
      encoding: "utf8",
    });
    if (make.status !== 0) throw new Error(`building the test modules failed:\n${make.stdout}${make.stderr}`);
    for (const m of TEST_MODULES) {
      if (!fs.existsSync(path.join(work, `${m}.ko`))) throw new Error(`make did not produce ${m}.ko`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    for (const m of TEST_MODULES) fs.copyFileSync(path.join(work, `${m}.ko`), path.join(dir, `${m}.ko`));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return built();
}
