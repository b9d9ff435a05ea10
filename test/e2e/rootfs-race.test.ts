// Nothing outside --path.rootfs is read, race or not (issue 14, failure 2),
// against the real process. A helper swaps symlinks to files outside the root
// in and out of it with renameat2(RENAME_EXCHANGE), in a loop, while the test
// scrapes /metrics and the landing page: a file component
// (run/reboot-required.pkgs, pointed at a "shadow" file, as in the attack),
// and directory components (usr/lib, which holds os-release, and lib, whose
// modules/ names the installed kernels). Before the fix, 27% of scrapes
// carried the outside file's content. Now: none does, the swaps are seen and
// refused (livepatch_scrape_collector_file_errors{reason="outside_rootfs"}),
// and the log says why.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { startExporter, type RunningExporter } from "../../support/exporter-process.js";
import { parseExposition } from "../helpers/exposition.js";
import { freshDir, pathFlags, realKernelTree } from "../helpers/fixtures.js";

/** Scrapes (each /metrics, then /) while the links swap. */
const SCRAPES = 40;
/** The swapper's own limit, should the test die before it stops it. */
const SWAP_SECONDS_MAX = 120;
const SECRET = "LEAKED";
const PACKAGES = "livepatch_reboot_required_packages{}";

/**
 * Exchanges each pair of paths atomically, again and again, until SIGTERM; then
 * restores them (an even number of exchanges) and prints how many it made.
 */
const SWAPPER_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sched.h>
static volatile sig_atomic_t stop = 0;
static void on_term(int sig) { (void)sig; stop = 1; }
static int exchange_all(int argc, char **argv) {
  for (int i = 2; i + 1 < argc; i += 2)
    if (renameat2(AT_FDCWD, argv[i], AT_FDCWD, argv[i + 1], RENAME_EXCHANGE) != 0) { perror(argv[i]); return 1; }
  return 0;
}
int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  time_t end = time(NULL) + atoi(argv[1]);
  unsigned long rounds = 0;
  while (!stop && time(NULL) < end) {
    if (exchange_all(argc, argv) != 0) return 1;
    if ((++rounds & 255) == 0) sched_yield();
  }
  if (rounds % 2 == 1 && exchange_all(argc, argv) != 0) return 1;
  printf("%lu\\n", rounds);
  return 0;
}
`;

function buildSwapper(): string {
  const dir = freshDir("swapper");
  fs.writeFileSync(path.join(dir, "swap.c"), SWAPPER_C);
  const binary = path.join(dir, "swap");
  // build-essential is installed by .ci/run; Node.js has no renameat2.
  execFileSync("cc", ["-O2", "-o", binary, path.join(dir, "swap.c")]);
  return binary;
}

/** Files outside the root, each a lure for one of the swapped links. */
function outsideFiles(): { shadow: string; lib: string; modulesRoot: string } {
  const outside = freshDir("outside-rootfs");
  const shadow = path.join(outside, "shadow");
  // 7 lines: a count of 7 packages would be this file's, the real one lists 1.
  fs.writeFileSync(
    shadow,
    Array.from({ length: 7 }, (_, i) => `${SECRET}-shadow-${i}:$6$x$y:19000:0:99999:7:::\n`).join(""),
  );
  const lib = path.join(outside, "usr-lib");
  fs.mkdirSync(lib);
  fs.writeFileSync(path.join(lib, "os-release"), `ID=${SECRET.toLowerCase()}\nPRETTY_NAME="${SECRET} os-release"\n`);
  const modulesRoot = path.join(outside, "lib");
  fs.mkdirSync(path.join(modulesRoot, "modules", `9.9.9-${SECRET}-amd64`, "kernel"), { recursive: true });
  return { shadow, lib, modulesRoot };
}

const running: RunningExporter[] = [];
after(async () => {
  await Promise.all(running.map((e) => e.stop("SIGKILL")));
});

describe("links to files outside --path.rootfs swapped in and out while scraping", () => {
  it(`in ${SCRAPES} scrapes nothing from outside is read; the swaps are refused as outside_rootfs`, async () => {
    const swapper = buildSwapper();
    const tree = realKernelTree("basic-enabled");
    fs.writeFileSync(path.join(tree, "run/reboot-required"), "*** System restart required ***\n");
    fs.writeFileSync(path.join(tree, "run/reboot-required.pkgs"), "linux-image-6.1.0-99-amd64\n");
    const lure = outsideFiles();
    const pairs: [string, string][] = [
      [path.join(tree, "run/reboot-required.pkgs"), lure.shadow],
      [path.join(tree, "usr/lib"), lure.lib],
      [path.join(tree, "lib"), lure.modulesRoot],
    ];
    const exchangeArgs: string[] = [];
    for (const [inside, target] of pairs) {
      const link = `${inside}.swap`;
      fs.symlinkSync(target, link); // absolute: the kernel's open would follow it out of the root
      exchangeArgs.push(inside, link);
    }

    const exporter = await startExporter([...pathFlags(tree), "--web.shutdown-delay=0"]);
    running.push(exporter);
    // Before the swaps: the real files are read.
    const before = parseExposition(await (await fetch(`${exporter.url}/metrics`)).text()).series;
    assert.equal(before.get(PACKAGES), 1);

    const swapping = spawn(swapper, [String(SWAP_SECONDS_MAX), ...exchangeArgs], { stdio: ["ignore", "pipe", "pipe"] });
    let swapOutput = "";
    swapping.stdout.on("data", (chunk: Buffer) => (swapOutput += chunk.toString()));
    swapping.stderr.on("data", (chunk: Buffer) => (swapOutput += chunk.toString()));
    const swapEnded = new Promise<number | null>((resolve) => swapping.once("exit", resolve));

    const leaks: string[] = [];
    let refused = 0;
    let packagesSeen = 0;
    try {
      for (let i = 0; i < SCRAPES; i++) {
        const metrics = await (await fetch(`${exporter.url}/metrics`)).text();
        const landing = await (await fetch(`${exporter.url}/`)).text();
        if (metrics.includes(SECRET) || metrics.toLowerCase().includes(`id="${SECRET.toLowerCase()}"`)) {
          leaks.push(`/metrics #${i}`);
        }
        if (landing.includes(SECRET)) leaks.push(`/ #${i}`);
        const series = parseExposition(metrics).series;
        const packages = series.get(PACKAGES);
        if (packages === 7) leaks.push(`/metrics #${i}: 7 packages (the outside file's lines)`);
        if (packages === 1) packagesSeen += 1;
        for (const [key, value] of series) {
          if (key.startsWith("livepatch_scrape_collector_file_errors{") && key.includes('reason="outside_rootfs"')) {
            refused += value;
          }
        }
      }
    } finally {
      swapping.kill("SIGTERM");
    }
    assert.equal(await swapEnded, 0, `the swapper failed: ${swapOutput}`);
    const rounds = Number(swapOutput.trim());
    assert.ok(rounds > SCRAPES, `the links were swapped ${rounds} times`);

    assert.deepEqual(leaks, [], "content from outside --path.rootfs was served");
    // The race was really run: opens that met a swapped link were refused, and said so.
    assert.ok(refused > 0, "no read was refused as outside_rootfs: the race was not exercised");
    assert.ok(
      exporter.logs.some((l) => l.includes("refused to read a file outside --path.rootfs")),
      "the refusal is logged",
    );
    // And the real file was still read whenever it was in place.
    assert.ok(packagesSeen > 0, "the real reboot-required.pkgs was never read");
    // Restored: the real files again.
    const restored = parseExposition(await (await fetch(`${exporter.url}/metrics`)).text()).series;
    assert.equal(restored.get(PACKAGES), 1);
    assert.equal(restored.get('livepatch_scrape_collector_success{collector="kernel"}'), 1);
  });
});
