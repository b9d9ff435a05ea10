// Livepatch-aware reboot: can a required reboot wait because a vendor client
// says the running kernel is covered and patched? Only when every reason for
// the reboot is the kernel's — a pending libc6 is not made safe by a kernel
// live patch. The package test follows Ubuntu Pro's reboot_required API:
// /run/reboot-required.pkgs must list only linux-image* and linux-base*
// packages.
import { ABSENT, known, type Fact, unknown } from "../fact.js";
import type { ClientView } from "../clients/view.js";
import type { RebootFacts, RebootReason } from "./reboot.js";

const KERNEL_PACKAGE = /^(linux-image|linux-base)/;

/** Reasons that only ever stand for a kernel change. */
const KERNEL_REASONS: ReadonlySet<RebootReason> = new Set(["newer_kernel_installed", "running_kernel_modules_missing"]);

/**
 * absent: the client has no current view, or no reboot is required;
 * unknown: the reboot facts could not be read;
 * true: a reboot is required only for the kernel and the client vouches for it (coverage not yet ended);
 * false: a reboot is required and that cannot be shown.
 */
export function rebootCanWait(
  reboot: RebootFacts | undefined,
  view: ClientView | undefined,
  nowMs: number,
): Fact<boolean> {
  if (view === undefined) return ABSENT;
  if (reboot === undefined) return unknown("dependency_failed");
  const reasons = Object.entries(reboot.reasons) as [RebootReason, RebootFacts["reasons"][RebootReason]][];
  const required = reasons.filter(([, fact]) => fact.state === "ok" && fact.value.required).map(([reason]) => reason);
  if (required.length === 0) return ABSENT;
  const kernelOnly = reasons.every(([reason, fact]) => {
    if (KERNEL_REASONS.has(reason)) return true;
    if (fact.state !== "ok") return false; // a sentinel we could not check may be a non-kernel reboot
    if (!fact.value.required) return true;
    return reason === "reboot_required_file" && onlyKernelPackages(reboot.packages);
  });
  const covered = view.coverageEndSeconds === undefined || view.coverageEndSeconds * 1000 > nowMs;
  return known(kernelOnly && view.coveredAndPatched && covered);
}

function onlyKernelPackages(packages: RebootFacts["packages"]): boolean {
  return packages.state === "ok" && packages.value.length > 0 && packages.value.every((p) => KERNEL_PACKAGE.test(p));
}
