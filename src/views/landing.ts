// The landing page at "/": the same report as `check`, for a person. What
// needs attention comes first, most severe first, each problem with what
// follows from it and its runbook; then what is fine and the live patches;
// every other finding is folded below, one <details> per section. The
// headline's colour is the worst finding's. No script, no external resource:
// it renders from a locked-down browser and reads on a phone.
import { DEFAULT_HOST_PATHS, type HostPaths } from "../fs/host-paths.js";
import { isNotable } from "./report/finding.js";
import type { Finding, Level, Report, Section } from "./report.js";

export interface LandingContext {
  readonly report: Report;
  /** Where the host was read (--path.*). */
  readonly paths: HostPaths;
  readonly telemetryPath: string;
  readonly version: string;
  /** Facts about the machine the exporter process runs on (src/host-info.ts), if read. */
  readonly runtime: readonly [label: string, value: string][];
}

const LABEL: Readonly<Record<Level, string>> = { ok: "ok", info: "info", warn: "warn", fail: "fail" };

export function landingPage(ctx: LandingContext): string {
  const { report } = ctx;
  const patches = report.sections.find((s) => s.id === "patches");
  const folded = report.sections.filter((s) => s.id !== "patches");
  const tone = report.worst === "info" ? "ok" : report.worst;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(titleOf(report))} &middot; livepatch_exporter</title>
<style>
${STYLE}
</style>
</head>
<body>
<header>
<p class="top"><strong>livepatch_exporter</strong> <span class="muted">${escapeHtml(ctx.version)}</span>
<a href="${escapeHtml(ctx.telemetryPath)}">Metrics</a> <a href="/-/healthy">Health</a> <a href="/-/ready">Ready</a></p>
<h1 class="headline ${tone}">${escapeHtml(report.headline)}</h1>
${hostLine(report, ctx.paths)}
</header>
<main>
${problemsBlock(report)}
${fineBlock(report)}
${notableBlock(report)}
${patchesBlock(patches)}
<h2>Details</h2>
${folded.map(sectionBlock).join("\n")}
${runtimeBlock(ctx)}
</main>
</body>
</html>
`;
}

/** The page title and headline pill: ready or not, else the verdict. */
function titleOf(report: Report): string {
  if (report.verdict === "unreadable") return "Unreadable";
  if (report.ready === false) return "Not ready";
  if (report.ready === true) return report.verdict === "healthy" ? "Ready" : "Ready, with problems";
  return report.verdict === "healthy" ? "Healthy" : "Problems";
}

function hostLine(report: Report, paths: HostPaths): string {
  const facts = (id: string): Finding["facts"] | undefined =>
    report.sections.flatMap((s) => s.findings).find((f) => f.id === id)?.facts;
  const kernel = facts("kernel_release");
  const os = facts("os_release");
  const parts = [
    typeof kernel?.["release"] === "string" && typeof kernel["machine"] === "string"
      ? `Kernel ${kernel["release"]} (${kernel["machine"]})`
      : undefined,
    typeof os?.["pretty_name"] === "string" ? os["pretty_name"] : undefined,
    isDefault(paths) ? undefined : `read from ${paths.procfs}, ${paths.sysfs}, ${paths.rootfs}`,
  ].filter((p) => p !== undefined);
  return parts.length === 0 ? "" : `<p class="host">${parts.map(escapeHtml).join(" &middot; ")}</p>`;
}

function problemsBlock(report: Report): string {
  if (report.problems.length === 0) return "";
  return `<section class="problems" aria-labelledby="problems">
<h2 id="problems">Needs attention</h2>
<ol class="cards">
${report.problems.map(problemCard).join("\n")}
</ol>
</section>`;
}

function problemCard(f: Finding): string {
  const details = detailsList(f);
  const runbook =
    f.runbook === undefined
      ? ""
      : `\n<p class="runbook"><a href="${escapeHtml(f.runbook)}">Runbook: what to do</a></p>`;
  return `<li class="card ${f.level}" id="${escapeHtml(anchorOf(f))}"><p>${pill(f.level)} ${escapeHtml(f.text)}</p>${details}${runbook}</li>`;
}

function fineBlock(report: Report): string {
  if (report.fine.length === 0) return "";
  return `<p class="fine"><strong>Fine:</strong> ${report.fine.map(escapeHtml).join("; ")}.</p>`;
}

/** Facts that are no problem but change what one can do (only signed patches load, a reboot can wait). */
function notableBlock(report: Report): string {
  const notable = report.sections.flatMap((s) => s.findings).filter(isNotable);
  if (notable.length === 0) return "";
  return `<ul class="findings notable">\n${notable.map(findingItem).join("\n")}\n</ul>`;
}

/** Patches stay in view; problems among them are already listed above, the rest of their section is too. */
function patchesBlock(section: Section | undefined): string {
  if (section === undefined) return "";
  const shown = section.findings.filter((f) => f.id === "patch" || (f.level !== "warn" && f.level !== "fail"));
  if (shown.length === 0) return "";
  return `<section aria-labelledby="patches">
<h2 id="patches">${escapeHtml(section.title)}</h2>
<ul class="findings">
${shown.map(findingItem).join("\n")}
</ul>
</section>`;
}

function sectionBlock(section: Section): string {
  const counts = (["fail", "warn"] as const)
    .map((level) => [level, section.findings.filter((f) => f.level === level).length] as const)
    .filter(([, n]) => n > 0)
    .map(([level, n]) => `<span class="count ${level}">${n} ${level}</span>`)
    .join(" ");
  return `<details${section.id === "exporter" && counts !== "" ? " open" : ""}>
<summary>${escapeHtml(section.title)} ${counts}</summary>
<ul class="findings">
${section.findings.map(findingItem).join("\n")}
</ul>
</details>`;
}

function findingItem(f: Finding): string {
  return `<li>${pill(f.level)} <span>${escapeHtml(f.text)}</span>${detailsList(f)}</li>`;
}

function detailsList(f: Finding): string {
  if (f.details.length === 0) return "";
  return `<ul class="details">${f.details.map((d) => `<li>${escapeHtml(d)}</li>`).join("")}</ul>`;
}

function runtimeBlock(ctx: LandingContext): string {
  if (ctx.runtime.length === 0) return "";
  const note = isDefault(ctx.paths)
    ? "The machine the exporter process runs on. With the default paths this is the host above, unless the exporter runs in a container."
    : `The machine or container the exporter process runs on, not the host above: that one is read through --path.procfs=${ctx.paths.procfs}, --path.sysfs=${ctx.paths.sysfs} and --path.rootfs=${ctx.paths.rootfs}.`;
  return `<details>
<summary>Where the exporter runs</summary>
<p class="muted">${escapeHtml(note)}</p>
<ul class="findings">
${ctx.runtime.map(([k, v]) => `<li><span class="key">${escapeHtml(k)}</span> ${escapeHtml(v)}</li>`).join("\n")}
</ul>
</details>`;
}

function pill(level: Level): string {
  return `<span class="pill ${level}">${LABEL[level]}</span>`;
}

/** An id a link can point at: the finding's id and subject, in characters any URL keeps. */
function anchorOf(f: Finding): string {
  return (f.subject === undefined ? f.id : `${f.id}-${f.subject}`).replace(/[^A-Za-z0-9_-]/g, "-");
}

function isDefault(paths: HostPaths): boolean {
  return (
    paths.procfs === DEFAULT_HOST_PATHS.procfs &&
    paths.sysfs === DEFAULT_HOST_PATHS.sysfs &&
    paths.rootfs === DEFAULT_HOST_PATHS.rootfs
  );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { --ok: #1a7f37; --info: #57606a; --warn: #9a6700; --fail: #cf222e;
  --ok-bg: #dafbe1; --info-bg: #f6f8fa; --warn-bg: #fff8c5; --fail-bg: #ffebe9; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.45; color: #1f2328;
  max-width: 60rem; margin: 0 auto; padding: 1rem; overflow-wrap: anywhere; }
a { color: #0969da; }
.top { margin: 0 0 1rem; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: baseline; }
.muted { color: var(--info); }
h1.headline { font-size: 1.3rem; margin: 0 0 0.5rem; padding: 0.75rem 1rem; border-left: 0.4rem solid var(--info);
  background: var(--info-bg); border-radius: 0.3rem; }
h1.ok { border-color: var(--ok); background: var(--ok-bg); }
h1.warn { border-color: var(--warn); background: var(--warn-bg); }
h1.fail { border-color: var(--fail); background: var(--fail-bg); }
.host { margin: 0 0 1rem; color: var(--info); }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.pill { display: inline-block; font-size: 0.75rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em;
  padding: 0.05rem 0.45rem; border-radius: 1rem; color: #fff; background: var(--info); vertical-align: 0.1em;
  white-space: nowrap; }
.pill.ok { background: var(--ok); } .pill.warn { background: var(--warn); } .pill.fail { background: var(--fail); }
h1 .pill { font-size: 0.8rem; }
ol.cards { list-style: none; padding: 0; margin: 0; }
.card { border: 1px solid var(--line); border-left: 0.3rem solid var(--warn); border-radius: 0.3rem;
  padding: 0.5rem 0.75rem; margin: 0 0 0.6rem; background: #fff; }
.card.fail { border-left-color: var(--fail); }
.card p { margin: 0.2rem 0; }
.details { margin: 0.25rem 0 0; padding-left: 1.2rem; color: #424a53; }
.runbook { font-weight: 600; }
.fine { margin: 1rem 0; padding: 0.5rem 0.75rem; border-radius: 0.3rem; background: var(--ok-bg); }
ul.findings { list-style: none; padding: 0; margin: 0.25rem 0; }
ul.findings > li { padding: 0.3rem 0; border-bottom: 1px solid #eaeef2; }
ul.findings > li:last-child { border-bottom: none; }
details { border: 1px solid var(--line); border-radius: 0.3rem; padding: 0.4rem 0.75rem; margin: 0 0 0.5rem; }
summary { cursor: pointer; font-weight: 600; }
.count { font-size: 0.8rem; font-weight: 600; margin-left: 0.3rem; }
.count.fail { color: var(--fail); } .count.warn { color: var(--warn); }
.key { display: inline-block; min-width: 7rem; color: var(--info); }
@media (max-width: 30rem) { h1.headline { font-size: 1.1rem; padding: 0.6rem 0.75rem; } }
`;
