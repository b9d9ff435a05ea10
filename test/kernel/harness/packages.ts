// The Debian packages the live-kernel tests need, installed when missing (CI
// starts from a clean machine). apt-get waits for a lock another apt holds.
import { spawnSync } from "node:child_process";
import { progress } from "./progress.js";

export const KERNEL_TEST_PACKAGES = [
  "qemu-system-x86",
  "linux-image-amd64",
  "linux-headers-amd64",
  "build-essential",
  "busybox-static",
  "kmod",
  "cpio",
  "zstd",
  // The end-to-end chain on the host.
  "prometheus",
  "prometheus-alertmanager",
] as const;

function installed(name: string): boolean {
  const result = spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" });
  return result.status === 0 && result.stdout.trim() === "install ok installed";
}

export function ensurePackages(packages: readonly string[] = KERNEL_TEST_PACKAGES): void {
  const missing = packages.filter((name) => !installed(name));
  if (missing.length === 0) return;
  progress(`installing missing packages: ${missing.join(" ")}`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const apt = (args: readonly string[]): void => {
    const [command, ...rest] = [...sudo, "apt-get", "-o", "DPkg::Lock::Timeout=900", ...args];
    const result = spawnSync(command ?? "apt-get", rest, {
      stdio: ["ignore", 2, 2], // stdout carries the test protocol
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (status ${result.status})`);
  };
  apt(["update", "-qq"]);
  apt(["install", "-y", "-qq", "--no-install-recommends", ...missing]);
}
