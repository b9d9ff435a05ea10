// The running kernel (release, build string, machine, boot time, build
// configuration) and the host's OS (os-release under --path.rootfs).
//
// The kernel facts cannot change without a reboot, and a reboot ends this
// process, so once they have all been read they are kept; until then (a
// kernel configuration not found, a file unreadable) they are read again on
// every scrape. os-release is read on every scrape because a distribution
// upgrade changes it without a reboot. Files under --path.rootfs are read
// through the thread pool (src/fs/root-files.ts): this collector is
// asynchronous, and bounded by --collector.timeout.
import os from "node:os";
import { gunzipSync } from "node:zlib";
import { known, type Fact, unknown } from "../fact.js";
import type { FileAccess } from "../fs/file-access.js";
import { procPath, type HostPaths } from "../fs/host-paths.js";
import { parseKconfig, type KconfigValue } from "../parse/kconfig.js";
import { parseOsRelease, type OsRelease } from "../parse/os-release.js";
import { parseBootTime } from "../parse/proc-stat.js";
import { trimValue } from "../parse/values.js";
import { readFact } from "./read-fact.js";
import { readRootText } from "./rootfs.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

/** The options that decide whether live patching can work. */
export const KCONFIG_OPTIONS = [
  "CONFIG_LIVEPATCH",
  "CONFIG_HAVE_LIVEPATCH",
  "CONFIG_MODULES",
  "CONFIG_MODULE_SIG",
  "CONFIG_MODULE_SIG_FORCE",
  "CONFIG_DYNAMIC_FTRACE_WITH_REGS",
  "CONFIG_DYNAMIC_FTRACE_WITH_ARGS",
  "CONFIG_HAVE_RELIABLE_STACKTRACE",
  "CONFIG_SECURITY_LOCKDOWN_LSM",
] as const;
export type KconfigOption = (typeof KCONFIG_OPTIONS)[number];

/** Where the configuration was found, in the order they are tried. */
export const KCONFIG_SOURCES = ["proc_config_gz", "boot", "lib_modules"] as const;
export type KconfigSource = (typeof KCONFIG_SOURCES)[number];

export interface KernelConfig {
  readonly source: KconfigSource;
  /** The file as the host names it (/proc/config.gz, /boot/config-<release>, ...). */
  readonly path: string;
  /** Value of each option that matters; "n" when not set or omitted. */
  readonly options: Readonly<Record<KconfigOption, KconfigValue>>;
}

export interface KernelFacts {
  readonly release: string;
  readonly version: Fact<string>;
  readonly machine: string;
  readonly bootTimeSeconds: Fact<number>;
  readonly config: Fact<KernelConfig>;
  readonly osRelease: Fact<OsRelease>;
}

/** Uncompressed kernel configs are ~250 KiB; anything over this is not a config. */
const CONFIG_CAP_BYTES = 8 * 1024 * 1024;

interface BootFacts {
  readonly release: string;
  readonly version: Fact<string>;
  readonly machine: string;
  readonly bootTimeSeconds: Fact<number>;
  readonly config: Fact<KernelConfig>;
}

export const kernel: Collector<KernelFacts> = {
  help: "kernel release, build, boot time, config; the host's os-release",
  create: () => {
    let boot: BootFacts | undefined;
    return async (ctx) => {
      const facts = boot ?? (await readBootFacts(ctx));
      // Keep only a complete reading: a transient failure is retried next scrape.
      if (
        boot === undefined &&
        facts.version.state === "ok" &&
        facts.bootTimeSeconds.state === "ok" &&
        facts.config.state === "ok"
      ) {
        boot = facts;
      }
      return { ...facts, osRelease: await readOsRelease(ctx) };
    };
  },
};

async function readBootFacts(ctx: CollectorContext): Promise<BootFacts> {
  const releasePath = procPath(ctx.paths, "sys", "kernel", "osrelease");
  const release = readFact(ctx.files, releasePath, nonEmpty);
  if (release.state !== "ok") {
    throw new CollectorError(`cannot read ${releasePath}: ${release.state === "absent" ? "absent" : release.reason}`);
  }
  return {
    release: release.value,
    version: readFact(ctx.files, procPath(ctx.paths, "sys", "kernel", "version"), nonEmpty),
    machine: readMachine(ctx),
    bootTimeSeconds: readFact(ctx.files, procPath(ctx.paths, "stat"), parseBootTime),
    config: await readKernelConfig(ctx.files, ctx.paths, release.value),
  };
}

/**
 * /proc/sys/kernel/arch (6.1+) is the kernel's own answer. Otherwise uname(2):
 * the kernel is shared by every container, so it describes the host as well.
 */
function readMachine(ctx: CollectorContext): string {
  const arch = readFact(ctx.files, procPath(ctx.paths, "sys", "kernel", "arch"), nonEmpty);
  return arch.state === "ok" ? arch.value : os.machine();
}

/** /proc/config.gz, else /boot/config-<release>, else /lib/modules/<release>/config (under rootfs). */
async function readKernelConfig(files: FileAccess, paths: HostPaths, release: string): Promise<Fact<KernelConfig>> {
  const procConfig = procPath(paths, "config.gz");
  const compressed = files.readBytes(procConfig, CONFIG_CAP_BYTES);
  if (compressed.ok) {
    try {
      const text = gunzipSync(compressed.bytes, { maxOutputLength: CONFIG_CAP_BYTES }).toString("utf8");
      // Named as on the host: the local mount point of procfs is a deployment detail.
      return known(configFrom("proc_config_gz", "/proc/config.gz", text));
    } catch (error) {
      files.invalid(procConfig, `not gzip: ${String(error)}`);
    }
  }
  const candidates: readonly [KconfigSource, string][] = [
    ["boot", `/boot/config-${release}`],
    ["lib_modules", `/lib/modules/${release}/config`],
  ];
  for (const [source, hostPath] of candidates) {
    const text = await readRootText(files, hostPath, CONFIG_CAP_BYTES);
    if (text.state === "ok") return known(configFrom(source, hostPath, text.value));
  }
  return unknown("not_found");
}

function configFrom(source: KconfigSource, path: string, text: string): KernelConfig {
  const all = parseKconfig(text);
  const options = Object.fromEntries(KCONFIG_OPTIONS.map((name) => [name, all.get(name) ?? "n"])) as Record<
    KconfigOption,
    KconfigValue
  >;
  return { source, path, options };
}

async function readOsRelease(ctx: CollectorContext): Promise<Fact<OsRelease>> {
  // os-release(5): /etc/os-release takes precedence over /usr/lib/os-release.
  const etc = await readRootText(ctx.files, "/etc/os-release");
  const text = etc.state === "absent" ? await readRootText(ctx.files, "/usr/lib/os-release") : etc;
  if (text.state !== "ok") return text;
  return known(parseOsRelease(text.value));
}

function nonEmpty(text: string): string | undefined {
  const value = trimValue(text);
  return value.length > 0 && value.length <= 512 ? value : undefined;
}
