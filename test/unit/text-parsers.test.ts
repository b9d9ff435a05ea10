import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parseProcModules } from "../../src/parse/proc-modules.js";
import { kconfigEnabled, parseKconfig } from "../../src/parse/kconfig.js";
import { parseOsRelease } from "../../src/parse/os-release.js";
import { decodeTaint, MODULE_TAINT_LETTERS, TAINT_FLAGS } from "../../src/parse/taint.js";
import { realKernelTree } from "../helpers/fixtures.js";

describe("/proc/modules", () => {
  it("parses the real capture", () => {
    const root = realKernelTree("busy-stuck", { rootfs: false });
    const parsed = parseProcModules(fs.readFileSync(path.join(root, "proc/modules"), "utf8"));
    assert.deepEqual(parsed, {
      modules: [
        { name: "lp_busy", state: "live", taint: "OEK" },
        { name: "lp_busy_target", state: "live", taint: "OE" },
      ],
      invalidLines: 0,
    });
  });

  it("untainted modules, loading/unloading markers, '-' refcounts, hidden addresses", () => {
    const text = [
      "xfs 1208320 1 - Live 0x0000000000000000",
      "kpatch_x 16384 0 - Loading 0x0000000000000000 (OEK+)",
      "old 16384 - - Unloading 0x0000000000000000 (O-)",
      "nf_nat 49152 2 nft_chain_nat,xt_MASQUERADE, Live 0xffffffffc0a1c000",
    ].join("\n");
    assert.deepEqual(parseProcModules(text).modules, [
      { name: "xfs", state: "live", taint: "" },
      { name: "kpatch_x", state: "loading", taint: "OEK" },
      { name: "old", state: "unloading", taint: "O" },
      { name: "nf_nat", state: "live", taint: "" },
    ]);
  });

  it("counts garbage lines instead of guessing", () => {
    assert.deepEqual(parseProcModules("garbage\n\nx 1 2\n"), { modules: [], invalidLines: 2 });
    assert.deepEqual(parseProcModules(""), { modules: [], invalidLines: 0 });
  });
});

describe("kernel config", () => {
  it("y, m, not set, omitted, strings, numbers", () => {
    const config = parseKconfig(
      'CONFIG_LIVEPATCH=y\nCONFIG_X=m\n# CONFIG_MODULES is not set\nCONFIG_LOCALVERSION="-fc \\"v\\""\nCONFIG_HZ=250\n# comment\n',
    );
    assert.equal(config.get("CONFIG_LIVEPATCH"), "y");
    assert.equal(config.get("CONFIG_MODULES"), "n");
    assert.equal(config.get("CONFIG_LOCALVERSION"), '-fc "v"');
    assert.equal(config.get("CONFIG_HZ"), "250");
    assert.equal(kconfigEnabled(config, "CONFIG_X"), true);
    assert.equal(kconfigEnabled(config, "CONFIG_MODULES"), false);
    assert.equal(kconfigEnabled(config, "CONFIG_ABSENT"), false);
  });

  it("reads the real Debian 6.1 config", () => {
    const root = realKernelTree("clean");
    const config = parseKconfig(fs.readFileSync(path.join(root, "boot/config-6.1.0-56-amd64"), "utf8"));
    assert.equal(config.get("CONFIG_LIVEPATCH"), "y");
    assert.equal(config.get("CONFIG_HAVE_LIVEPATCH"), "y");
    assert.equal(config.get("CONFIG_MODULE_SIG_FORCE"), "n");
  });
});

describe("os-release", () => {
  it("quotes, escapes, comments", () => {
    const os = parseOsRelease(
      '# comment\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\'single quoted\'\nX="a \\"b\\" \\$c"\nBROKEN="unterminated\n',
    );
    assert.equal(os.get("NAME"), "Debian GNU/Linux");
    assert.equal(os.get("ID"), "debian");
    assert.equal(os.get("PRETTY_NAME"), "single quoted");
    assert.equal(os.get("X"), 'a "b" $c');
    assert.equal(os.has("BROKEN"), false);
  });
});

describe("taint table", () => {
  it("bits 0-19 in order, letters unique, per-module letters as the kernel documents", () => {
    assert.deepEqual(
      TAINT_FLAGS.map((f) => f.bit),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(TAINT_FLAGS.map((f) => f.letter).join(""), "PFSRMBUDAWCIOELKXTNJ");
    assert.deepEqual(MODULE_TAINT_LETTERS, ["P", "F", "C", "O", "E", "K", "X", "T", "N", "J"]);
  });

  it("decodes 45056 as O, E, K and keeps bits past the table", () => {
    const decoded = decodeTaint(45056n | (1n << 27n) | (1n << 31n) | (1n << 63n));
    assert.deepEqual(
      decoded.flags.filter((f) => f.set).map((f) => f.flag.letter),
      ["O", "E", "K"],
    );
    assert.deepEqual(decoded.unknownBits, [27, 31, 63]);
  });
});
