// The landing page in a real browser (Debian's headless chromium), over the
// captures whose pages matter most: a stuck transition, a locked-down kernel,
// module loading switched off, and a kernel that cannot take a patch at all. For each: screenshots at 1280
// px and at a phone's 390 px, which must be the size asked, not blank, and
// show the headline in the colour of the worst finding; and the page laid out
// in a 390 px viewport (an iframe, since headless windows are at least 500 px
// wide) must not scroll sideways. The screenshots are kept in
// $LANDING_SCREENSHOTS_DIR when set (to look at them), else in a scratch
// directory; they are not committed.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { RealCapture } from "../../support/trees.js";
import { freshDir } from "../../support/trees.js";
import { serveApp, type ServedApp } from "../helpers/app.js";
import { CHROMIUM, dumpDom, screenshot } from "../helpers/chromium.js";
import { snapshotSource } from "../helpers/collect.js";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { colourCounts, decodePng } from "../helpers/png.js";

/** The headline's background for the worst finding (src/views/landing.ts). */
const HEADLINE = { ok: "dafbe1", warn: "fff8c5", fail: "ffebe9" } as const;
const WHITE = "ffffff";

const PAGES: readonly { name: string; tree: () => string; tone: keyof typeof HEADLINE; says: RegExp }[] = [
  {
    name: "busy-stuck",
    tree: () => realKernelTree("busy-stuck" satisfies RealCapture),
    tone: "fail",
    says: /Not ready for a new live patch: a transition is in progress \(lp_busy, patching\)/,
  },
  {
    name: "lockdown-integrity",
    tree: () => realKernelTree("lockdown-integrity"),
    // Ready, but its kernel log shows the unsigned test patch refused twice: a warning.
    tone: "warn",
    says: /the kernel refused 2 module load\(s\) since boot: unsigned module under lockdown[^]*only signed modules load: lockdown=integrity rejects unsigned ones/,
  },
  {
    name: "modules-disabled",
    tree: () => realKernelTree("modules-disabled"),
    tone: "fail",
    says: /Not ready for a new live patch: module loading is switched off until reboot \(modules_disabled=1\)/,
  },
  {
    name: "no-modules",
    tree: () => handmadeTree("no-modules"),
    tone: "fail",
    says: /Not ready for a new live patch: the kernel has no module support/,
  },
];

const PHONE = { width: 390, height: 1600 };
const DESKTOP = { width: 1280, height: 1000 };

const shotsDir = process.env["LANDING_SCREENSHOTS_DIR"] ?? freshDir("landing-screenshots");
fs.mkdirSync(shotsDir, { recursive: true });

describe("landing page in headless chromium", { skip: CHROMIUM === undefined && "chromium is not installed" }, () => {
  const servers: (() => Promise<void>)[] = [];
  after(async () => {
    await Promise.all(servers.map((close) => close()));
  });

  for (const page of PAGES) {
    it(page.name, async (t) => {
      const source = snapshotSource(page.tree(), { transition: { blockingThreads: true } });
      const app: ServedApp = await serveApp(() => source.snapshot(), {
        runtimeInfo: () =>
          Promise.resolve({
            entries: [
              ["hostname", "livepatch-exporter-7d9f5c6b8-x2x9q"],
              ["virtualization", "KVM"],
            ],
          }),
      });
      servers.push(app.close);
      const html = await (await fetch(`${app.url}/`)).text();
      assert.match(html, page.says);

      // Laid out 390 px wide, nothing may stick out sideways.
      const frame = await frameServer(html, PHONE.width);
      servers.push(frame.close);
      const dom = await dumpDom(`${frame.url}/frame`);
      const measured = /data-measure="([^"]*)"/.exec(dom)?.[1];
      assert.ok(measured !== undefined, `the measuring script did not run:\n${dom.slice(0, 500)}`);
      const { inner, scroll } = JSON.parse(measured.replace(/&quot;/g, '"')) as { inner: number; scroll: number };
      assert.equal(inner, PHONE.width);
      assert.ok(scroll <= inner, `the page is ${scroll} px wide in a ${inner} px viewport`);

      for (const size of [DESKTOP, PHONE]) {
        const file = path.join(shotsDir, `${page.name}-${size.width}.png`);
        await screenshot(`${app.url}/`, file, size.width, size.height);
        t.diagnostic(`screenshot: ${file}`);
        const image = decodePng(fs.readFileSync(file));
        assert.deepEqual([image.width, image.height], [size.width, size.height]);
        const colours = colourCounts(image);
        const pixels = size.width * size.height;
        assert.ok((colours.get(WHITE) ?? 0) < pixels * 0.95, `${file} is blank`);
        assert.ok(colours.size > 20, `${file} has ${colours.size} colours: no text rendered`);
        // The headline's band, in the worst finding's colour: at least a line of it.
        assert.ok(
          (colours.get(HEADLINE[page.tone]) ?? 0) > size.width * 10,
          `${file}: the headline is not ${page.tone} (#${HEADLINE[page.tone]})`,
        );
        // Nothing on a page with no problem is painted in a problem's colour.
        if (page.tone === "ok") {
          for (const colour of [HEADLINE.warn, HEADLINE.fail]) assert.equal(colours.get(colour) ?? 0, 0, `#${colour}`);
        }
      }
    });
  }
});

/** Serves the page and a frame that shows it in a viewport `width` px wide and records how wide it lays out. */
async function frameServer(html: string, width: number): Promise<{ url: string; close: () => Promise<void> }> {
  const frame = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="/page" style="width:${width}px;height:844px;border:0"></iframe>
<script>
window.addEventListener("load", () => {
  const doc = document.getElementById("page").contentDocument;
  document.body.setAttribute("data-measure", JSON.stringify({ inner: doc.defaultView.innerWidth, scroll: doc.documentElement.scrollWidth }));
});
</script></body></html>`;
  const server = http.createServer((req, res) => {
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.end(req.url === "/page" ? html : frame);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
