// Debian's chromium, headless: screenshots and the DOM after scripts ran.
// Each run gets a fresh, empty profile, and nothing reaches the network but
// the loopback URL it is given. It runs asynchronously: the pages it loads are
// usually served by the test's own process.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { freshDir } from "../../support/trees.js";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** The browser's path, or undefined when it is not installed (CI installs it: .ci/run). */
export const CHROMIUM: string | undefined = CANDIDATES.find((file) => fs.existsSync(file));

function run(args: readonly string[]): Promise<string> {
  const binary = CHROMIUM;
  if (binary === undefined) return Promise.reject(new Error("chromium is not installed"));
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    `--user-data-dir=${freshDir("chromium-profile")}`,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      flags,
      { encoding: "utf8", timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
      },
    );
  });
}

export async function screenshot(url: string, file: string, width: number, height: number): Promise<void> {
  await run([`--screenshot=${file}`, `--window-size=${width},${height}`, url]);
}

/** The document once loaded and its scripts (and timers, in virtual time) have run. */
export function dumpDom(url: string): Promise<string> {
  return run(["--window-size=1280,1000", "--virtual-time-budget=5000", "--dump-dom", url]);
}
