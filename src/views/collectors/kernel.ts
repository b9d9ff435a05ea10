// The kernel collector's metrics: the running kernel, its build configuration
// and the host's OS.
import { KCONFIG_OPTIONS, KCONFIG_SOURCES, type KconfigOption, type KernelFacts } from "../../collectors/kernel.js";
import { defineView, listed, spec } from "../view.js";

/** CONFIG_MODULE_SIG is the label config_module_sig. */
function optionLabel(option: KconfigOption): string {
  return option.toLowerCase();
}

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
    ["source", "path", ...KCONFIG_OPTIONS.map(optionLabel)],
    `A metric with a constant '1' value naming where the kernel build configuration was read (${listed(KCONFIG_SOURCES)}) and labeled by the build options that matter for live patching, each y, m or n (not set): ${KCONFIG_OPTIONS.join(", ")}. CONFIG_HAVE_* options only say the architecture could.`,
    "/proc/config.gz, <rootfs>/boot/config-<release>, <rootfs>/lib/modules/<release>/config",
    "no configuration was found (see livepatch_fact_unavailable)",
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
    // One series for the build's options, not one per option: they change only with the kernel.
    const options = Object.fromEntries(KCONFIG_OPTIONS.map((option) => [optionLabel(option), config.options[option]]));
    sink.emit("livepatch_kernel_config_info", { source: config.source, path: config.path, ...options }, 1);
  } else {
    sink.unavailable("kernel_config", facts.config.state === "absent" ? "not_found" : facts.config.reason);
  }
});
