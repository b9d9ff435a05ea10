// The kernel collector's metrics: the running kernel, its build configuration
// and the host's OS.
import { KCONFIG_SOURCES, type KernelFacts } from "../../collectors/kernel.js";
import { bool, defineView, listed, spec } from "../view.js";

const METRICS = {
  livepatch_kernel_info: spec(
    ["release", "version", "machine"],
    "A metric with a constant '1' value labeled by the running kernel's release, build version string and machine.",
    "/proc/sys/kernel/{osrelease,version,arch}",
    "osrelease is unreadable",
  ),
  livepatch_os_info: spec(
    ["id", "id_like", "name", "pretty_name", "version", "version_id", "version_codename"],
    "A metric with a constant '1' value labeled by the host's os-release fields.",
    "<rootfs>/etc/os-release, <rootfs>/usr/lib/os-release",
    "neither file is readable",
  ),
  livepatch_boot_time_seconds: spec(
    [],
    "Boot time of the host, in seconds since the epoch.",
    "/proc/stat (btime)",
    "/proc/stat is unreadable",
  ),
  livepatch_kernel_config_info: spec(
    ["source", "path"],
    `A metric with a constant '1' value naming where the kernel build configuration was read (${listed(KCONFIG_SOURCES)}).`,
    "/proc/config.gz, <rootfs>/boot/config-<release>, <rootfs>/lib/modules/<release>/config",
    "no configuration was found (see livepatch_fact_unavailable)",
  ),
  livepatch_kernel_config_option: spec(
    ["option"],
    "Whether a kernel build option that matters for live patching is set (y or m: 1; not set: 0). CONFIG_HAVE_* options only say the architecture could.",
    "the kernel configuration",
    "no configuration was found",
  ),
} as const;

export const kernelView = defineView(METRICS, (sink, facts: KernelFacts) => {
  const version = facts.version.state === "ok" ? facts.version.value : "";
  if (facts.version.state === "unknown") sink.unavailable("kernel_version", facts.version.reason);
  sink.emit("livepatch_kernel_info", { release: facts.release, version, machine: facts.machine }, 1);
  sink.fact("livepatch_boot_time_seconds", {}, facts.bootTimeSeconds, (n) => n, "boot_time");
  if (facts.osRelease.state === "ok") {
    const os = facts.osRelease.value;
    const field = (key: string): string => os.get(key) ?? "";
    sink.emit(
      "livepatch_os_info",
      {
        id: field("ID"),
        id_like: field("ID_LIKE"),
        name: field("NAME"),
        pretty_name: field("PRETTY_NAME"),
        version: field("VERSION"),
        version_id: field("VERSION_ID"),
        version_codename: field("VERSION_CODENAME"),
      },
      1,
    );
  } else {
    sink.unavailable("os_release", facts.osRelease.state === "absent" ? "not_found" : facts.osRelease.reason);
  }
  if (facts.config.state === "ok") {
    const config = facts.config.value;
    sink.emit("livepatch_kernel_config_info", { source: config.source, path: config.path }, 1);
    for (const [option, value] of Object.entries(config.options)) {
      sink.emit("livepatch_kernel_config_option", { option }, bool(value === "y" || value === "m"));
    }
  } else {
    sink.unavailable("kernel_config", facts.config.state === "absent" ? "not_found" : facts.config.reason);
  }
});
