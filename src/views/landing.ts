// The landing page at "/": the host's live-patching state for a human, from
// the same report as `check`, with links to the metrics and health endpoints.
import type { Level, Report } from "./report.js";

export interface LandingContext {
  readonly report: Report;
  readonly telemetryPath: string;
  readonly version: string;
  /** Facts about the machine the exporter runs on (systeminformation), if loaded. */
  readonly runtime: readonly [label: string, value: string][];
}

const COLOUR: Readonly<Record<Level, string>> = { ok: "#1a7f37", info: "#57606a", warn: "#9a6700", fail: "#cf222e" };

export function landingPage(ctx: LandingContext): string {
  const { report } = ctx;
  const verdictColour =
    report.verdict === "healthy" ? COLOUR.ok : report.verdict === "problems" ? COLOUR.warn : COLOUR.fail;
  const sections = report.sections
    .filter((s) => s.findings.length > 0)
    .map(
      (s) =>
        `<h2>${escapeHtml(s.title)}</h2>\n<ul>\n${s.findings
          .map(
            (f) =>
              `<li><span class="lvl" style="color:${COLOUR[f.level]}">${f.level}</span> ${escapeHtml(f.text)}</li>`,
          )
          .join("\n")}\n</ul>`,
    )
    .join("\n");
  const runtime =
    ctx.runtime.length === 0
      ? ""
      : `<h2>Exporter runtime</h2>\n<ul>\n${ctx.runtime.map(([k, v]) => `<li>${escapeHtml(k)}: ${escapeHtml(v)}</li>`).join("\n")}\n</ul>`;
  const ready = report.ready === true ? "ready" : report.ready === false ? "not ready" : "readiness unknown";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>livepatch_exporter</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h1 { margin-bottom: 0.25rem; } h2 { margin-top: 1.5rem; font-size: 1.1rem; }
ul { list-style: none; padding-left: 0; } li { margin: 0.2rem 0; }
.lvl { display: inline-block; min-width: 3rem; font-weight: 600; text-transform: uppercase; font-size: 0.8rem; }
.verdict { font-size: 1.1rem; font-weight: 600; color: ${verdictColour}; }
</style>
</head>
<body>
<h1>livepatch_exporter</h1>
<p>Version ${escapeHtml(ctx.version)} &middot; <a href="${escapeHtml(ctx.telemetryPath)}">Metrics</a> &middot; <a href="/-/healthy">Health</a> &middot; <a href="/-/ready">Ready</a></p>
<p class="verdict">Live patching: ${escapeHtml(ready)} &mdash; ${escapeHtml(report.summary)}</p>
${sections}
${runtime}
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
