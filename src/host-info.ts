// Facts about the machine the exporter process runs on, shown on the landing
// page only: hostname, virtualization and hardware. They describe where the
// process runs (in a container, the container), not the host read through
// --path.*, so they come from the process's own view of /proc, /sys and its
// root, and are never used for a metric. Read once, lazily, with a time limit,
// and asynchronously: the page must not hold the event loop, and with it the
// scrapes in flight. (A library used before ran `hostname -f`, dmidecode and
// `ls /dev/disk/by-id` synchronously, ~0.5 s on the first page view.)
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface RuntimeInfo {
  readonly entries: readonly [label: string, value: string][];
}

export interface RuntimeInfoSources {
  /** The root the process sees ("/"); tests point it at a tree. */
  readonly root: string;
  readonly hostname: () => string;
  readonly env: NodeJS.ProcessEnv;
}

const EMPTY: RuntimeInfo = { entries: [] };

const PROCESS_VIEW: RuntimeInfoSources = { root: "/", hostname: os.hostname, env: process.env };

export function loadRuntimeInfo(timeoutMs: number, sources: RuntimeInfoSources = PROCESS_VIEW): Promise<RuntimeInfo> {
  const work = readRuntimeInfo(sources).catch(() => EMPTY);
  const timeout = new Promise<RuntimeInfo>((resolve) => setTimeout(() => resolve(EMPTY), timeoutMs).unref());
  return Promise.race([work, timeout]);
}

async function readRuntimeInfo(sources: RuntimeInfoSources): Promise<RuntimeInfo> {
  const at = (file: string): string => path.join(sources.root, file);
  const dmi = (field: string): Promise<string> => readTrimmed(at(`sys/class/dmi/id/${field}`));
  const [vendor, product, boardVendor, containerenv, dockerenv, xen, cpuinfo] = await Promise.all([
    dmi("sys_vendor"),
    dmi("product_name"),
    dmi("board_vendor"),
    exists(at("run/.containerenv")),
    exists(at(".dockerenv")),
    readTrimmed(at("sys/hypervisor/type")),
    readTrimmed(at("proc/cpuinfo")),
  ]);
  const entries: [string, string][] = [["hostname", sources.hostname()]];
  const container = containerEngine(sources.env, containerenv, dockerenv);
  if (container !== undefined) entries.push(["container", container]);
  entries.push(["virtualization", virtualization([vendor, product, boardVendor], xen, cpuinfo)]);
  const hardware = `${vendor} ${product}`.trim();
  if (hardware.length > 0) entries.push(["hardware", hardware]);
  return { entries };
}

function containerEngine(env: NodeJS.ProcessEnv, containerenv: boolean, dockerenv: boolean): string | undefined {
  if (env["KUBERNETES_SERVICE_HOST"] !== undefined) return "Kubernetes pod";
  if (containerenv) return "Podman";
  if (dockerenv) return "Docker";
  const declared = env["container"]; // set by systemd-nspawn, LXC and others
  return declared !== undefined && declared.length > 0 ? declared : undefined;
}

/** Hypervisors by the firmware's vendor and product names, as systemd-detect-virt knows them. */
const DMI_HYPERVISORS: readonly (readonly [RegExp, string])[] = [
  [/^KVM|^OpenStack|^KubeVirt/i, "KVM"],
  [/^Amazon EC2/i, "Amazon EC2"],
  [/^QEMU/i, "QEMU"],
  [/^VMware/i, "VMware"],
  [/^VirtualBox|^innotek GmbH/i, "VirtualBox"],
  [/^Xen/i, "Xen"],
  [/^Bochs/i, "Bochs"],
  [/^Parallels/i, "Parallels"],
  [/^BHYVE/i, "bhyve"],
  [/^Google/i, "Google Compute Engine"],
  [/^Virtual Machine$/i, "Microsoft Hyper-V"],
];

function virtualization(dmiNames: readonly string[], xenType: string, cpuinfo: string): string {
  for (const name of dmiNames) {
    const known = DMI_HYPERVISORS.find(([pattern]) => pattern.test(name));
    if (known !== undefined) return known[1];
  }
  if (xenType === "xen") return "Xen";
  // The CPU says it runs under a hypervisor, and the firmware does not say which (Firecracker, for one).
  if (/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo)) return "virtual machine";
  return "none detected";
}

/** The file's text, trimmed; "" when it cannot be read (absent, no permission, not a file). */
async function readTrimmed(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, "utf8")).trim();
  } catch {
    return "";
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
