// Kernel: what runs (release, build, OS, boot time) and the build options
// live patching needs that no readiness check covers. CONFIG_LIVEPATCH and
// CONFIG_MODULES are said by their readiness checks, module signing by the
// signature policy (readiness.ts).
import type { KernelConfig, KernelFacts } from "../../collectors/kernel.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Finding } from "./finding.js";
import { EMPTY, type SectionResult } from "./section.js";

export function kernelSection(snapshot: Snapshot): SectionResult {
  const kernel = snapshot.facts.kernel;
  if (kernel === undefined) return EMPTY;
  const findings: Finding[] = [running(kernel), osRelease(kernel)];
  if (kernel.bootTimeSeconds.state === "ok") {
    const booted = new Date(kernel.bootTimeSeconds.value * 1000).toISOString();
    findings.push(finding("boot_time", "info", `booted ${booted}`, { facts: { booted } }));
  }
  findings.push(...configFindings(kernel));
  return { findings, fine: [] };
}

function running(kernel: KernelFacts): Finding {
  const version = kernel.version.state === "ok" ? kernel.version.value : null;
  return finding(
    "kernel_release",
    "info",
    `running ${kernel.release}${version === null ? "" : ` ${version}`} (${kernel.machine})`,
    { facts: { release: kernel.release, version, machine: kernel.machine } },
  );
}

function osRelease(kernel: KernelFacts): Finding {
  const os = kernel.osRelease;
  if (os.state !== "ok") {
    const why = os.state === "absent" ? "absent" : `unknown (${reasonText(os.reason)})`;
    return finding("os_release", "info", `OS: os-release ${why}`, { facts: { pretty_name: null } });
  }
  const name = os.value.get("PRETTY_NAME") ?? os.value.get("NAME") ?? os.value.get("ID") ?? "unnamed";
  return finding("os_release", "info", `OS: ${name}`, {
    facts: { pretty_name: name, id: os.value.get("ID") ?? null, version_id: os.value.get("VERSION_ID") ?? null },
  });
}

function configFindings(kernel: KernelFacts): Finding[] {
  if (kernel.config.state !== "ok") {
    return [
      finding(
        "kernel_config",
        "info",
        "no kernel configuration found (/proc/config.gz, /boot/config-<release>, /lib/modules/<release>/config)",
        { facts: { source: null, path: null } },
      ),
    ];
  }
  const config = kernel.config.value;
  const on = (name: keyof KernelConfig["options"]): boolean =>
    config.options[name] === "y" || config.options[name] === "m";
  const value = (name: keyof KernelConfig["options"]): string => config.options[name];
  const ftrace = on("CONFIG_DYNAMIC_FTRACE_WITH_REGS") || on("CONFIG_DYNAMIC_FTRACE_WITH_ARGS");
  return [
    finding("kernel_config", "info", `build configuration read from ${config.path}`, {
      facts: { source: config.source, path: config.path },
    }),
    finding(
      "kconfig_have_livepatch",
      on("CONFIG_HAVE_LIVEPATCH") ? "ok" : "fail",
      on("CONFIG_HAVE_LIVEPATCH")
        ? "CONFIG_HAVE_LIVEPATCH=y: the architecture supports live patching"
        : "CONFIG_HAVE_LIVEPATCH is not set: the architecture does not support live patching",
      { facts: { CONFIG_HAVE_LIVEPATCH: value("CONFIG_HAVE_LIVEPATCH") } },
    ),
    finding(
      "kconfig_dynamic_ftrace",
      ftrace ? "ok" : "fail",
      ftrace
        ? "CONFIG_DYNAMIC_FTRACE_WITH_REGS/ARGS: the ftrace flavour live patches ride on is built"
        : "neither CONFIG_DYNAMIC_FTRACE_WITH_REGS nor _WITH_ARGS is set: live patches cannot redirect functions",
      {
        facts: {
          CONFIG_DYNAMIC_FTRACE_WITH_REGS: value("CONFIG_DYNAMIC_FTRACE_WITH_REGS"),
          CONFIG_DYNAMIC_FTRACE_WITH_ARGS: value("CONFIG_DYNAMIC_FTRACE_WITH_ARGS"),
        },
      },
    ),
    finding(
      "kconfig_reliable_stacktrace",
      on("CONFIG_HAVE_RELIABLE_STACKTRACE") ? "ok" : "warn",
      on("CONFIG_HAVE_RELIABLE_STACKTRACE")
        ? "CONFIG_HAVE_RELIABLE_STACKTRACE=y: transitions can switch sleeping tasks"
        : "CONFIG_HAVE_RELIABLE_STACKTRACE is not set: transitions may never complete",
      { facts: { CONFIG_HAVE_RELIABLE_STACKTRACE: value("CONFIG_HAVE_RELIABLE_STACKTRACE") } },
    ),
  ];
}
