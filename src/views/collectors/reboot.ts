// The reboot collector's metrics: each reason a reboot is required (derived
// with the running kernel from the kernel collector), the packages that asked
// for it, and the newest installed kernel.
import type { RebootReading } from "../../collectors/reboot.js";
import { REBOOT_REASONS } from "../../derive/reboot.js";
import { bool, defineView, listed, spec } from "../view.js";

const METRICS = {
  livepatch_reboot_required: spec(
    ["reason"],
    `Whether a reboot is required, one series per reason: ${listed(REBOOT_REASONS)}.`,
    "<rootfs>/run/reboot-required, /run/reboot-needed, /lib/modules/*, /boot/vmlinuz-*",
    "the reason could not be checked (see livepatch_fact_unavailable)",
  ),
  livepatch_reboot_required_timestamp_seconds: spec(
    ["reason"],
    "When the reboot reason appeared (modification time of the sentinel file, of the newer kernel's modules, or of /lib/modules when the running kernel's were removed), in seconds since the epoch.",
    "<rootfs>/run/reboot-required, /run/reboot-needed, /lib/modules/<newest>, /lib/modules",
    "the reason is not present or its time is unknown",
  ),
  livepatch_reboot_required_packages: spec(
    [],
    "Number of packages listed in /run/reboot-required.pkgs.",
    "<rootfs>/run/reboot-required.pkgs",
    "the file does not exist",
  ),
  livepatch_kernel_newest_installed_info: spec(
    ["release"],
    "A metric with a constant '1' value naming the newest installed kernel of the running flavour (in the distribution's version order).",
    "<rootfs>/lib/modules/*, <rootfs>/boot/vmlinuz-*",
    "no kernel list was found",
  ),
} as const;

/** Renders the derived reboot facts; the reading itself is their input. */
export const rebootView = defineView(METRICS, (sink, _reading: RebootReading, derived) => {
  const facts = derived.reboot;
  if (facts === undefined) return;
  for (const reason of REBOOT_REASONS) {
    const signal = facts.reasons[reason];
    sink.fact("livepatch_reboot_required", { reason }, signal, (s) => bool(s.required), reason);
    if (signal.state === "ok" && signal.value.required && signal.value.sinceSeconds !== undefined) {
      sink.emit("livepatch_reboot_required_timestamp_seconds", { reason }, signal.value.sinceSeconds);
    }
  }
  sink.fact(
    "livepatch_reboot_required_packages",
    {},
    facts.packages,
    (list) => list.length,
    "reboot_required_packages",
  );
  if (facts.newestKernel.state === "ok") {
    sink.emit("livepatch_kernel_newest_installed_info", { release: facts.newestKernel.value }, 1);
  } else if (facts.installedKernels.state !== "ok") {
    sink.unavailable(
      "installed_kernels",
      facts.installedKernels.state === "absent" ? "not_found" : facts.installedKernels.reason,
    );
  }
});
