// The exporter's version (package.json) and git revision (written next to the
// compiled code by `npm run build`; "unknown" when running from source).
import fs from "node:fs";

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

function readRevision(): string {
  try {
    const text = fs.readFileSync(new URL("./revision.txt", import.meta.url), "utf8").trim();
    return /^[0-9a-f]{7,40}$/.test(text) ? text : "unknown";
  } catch {
    return "unknown";
  }
}

export const VERSION = readPackageVersion();
export const REVISION = readRevision();
