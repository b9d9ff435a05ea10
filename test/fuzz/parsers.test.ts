// Properties of every parser in src/parse/ over generated input (fast-check):
// none throws on any text, each accepts exactly what the kernel (or the file's
// format) writes and gives the value back, and version order agrees with dpkg
// itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import fc from "fast-check";
import { kconfigEnabled, parseKconfig } from "../../src/parse/kconfig.js";
import { kernelFlavour, newestOfFlavour, releaseFromKernelImage } from "../../src/parse/kernel-release.js";
import { parseFunctionDir } from "../../src/parse/livepatch-names.js";
import { parseLockdown } from "../../src/parse/lockdown.js";
import { parseOsRelease } from "../../src/parse/os-release.js";
import { parsePatchState } from "../../src/parse/patch-state.js";
import { parseProcModules } from "../../src/parse/proc-modules.js";
import { parseBootTime } from "../../src/parse/proc-stat.js";
import { decodeTaint, TAINT_FLAGS, taintFlagByLetter } from "../../src/parse/taint.js";
import {
  parseBool01,
  parseBoolYN,
  parseDecimal,
  parsePositive,
  parseUnsignedBig,
  trimValue,
} from "../../src/parse/values.js";
import { compareVersions, dpkgVerRevCmp, rpmVerCmp, versionSchemeFor } from "../../src/parse/version-compare.js";

const RUNS = { numRuns: 300, includeErrorInReport: true };
/** Any text, including control characters, lone surrogates and long lines. */
const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 3000 }));
const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

describe("fuzz: single-value parsers (values.ts, patch-state.ts, proc-stat.ts)", () => {
  it("never throw, and accept only what they document", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const decimal = parseDecimal(text);
        if (decimal !== undefined) assert.ok(Number.isSafeInteger(decimal) && /^-?\d+$/.test(trimValue(text)));
        const big = parseUnsignedBig(text);
        if (big !== undefined) assert.ok(big >= 0n && big <= 0xffff_ffff_ffff_ffffn);
        assert.ok([undefined, true, false].includes(parseBool01(text)));
        if (parseBool01(text) !== undefined) assert.match(trimValue(text), /^[01]$/);
        if (parseBoolYN(text) !== undefined) assert.match(trimValue(text), /^[YN]$/);
        const positive = parsePositive(text);
        if (positive !== undefined) assert.ok(positive >= 1);
        assert.ok([undefined, -1, 0, 1].includes(parsePatchState(text)));
        const boot = parseBootTime(text);
        if (boot !== undefined) assert.ok(Number.isSafeInteger(boot) && boot > 0);
      }),
      RUNS,
    );
  });

  it("give back what the kernel writes (value + newline)", () => {
    fc.assert(
      fc.property(
        fc.maxSafeInteger().filter((n) => Math.abs(n) < 1e20),
        (n) => {
          assert.equal(parseDecimal(`${n}\n`), n);
          if (n >= 1) assert.equal(parsePositive(`${n}\n`), n);
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (n) => {
        assert.equal(parseUnsignedBig(`${n}\n`), n);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0x1_0000_0000_0000_0000n, max: 10n ** 20n - 1n }), (n) => {
        assert.equal(parseUnsignedBig(`${n}\n`), undefined, "beyond unsigned long");
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), anyText, (seconds, noise) => {
        const clean = noise.replace(/^btime.*$/gm, "");
        assert.equal(parseBootTime(`cpu 1 2 3\n${clean}\nbtime ${seconds}\nprocesses 4\n`), seconds);
      }),
      RUNS,
    );
  });
});

describe("fuzz: lockdown, function directories, taint", () => {
  it("lockdown: any arrangement with one bracketed level gives it back; garbage gives nothing", () => {
    const levels = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,12}$/), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(levels, fc.nat(), (names, pick) => {
        const active = names[pick % names.length] ?? "";
        const text = `${names.map((n) => (n === active ? `[${n}]` : n)).join(" ")}\n`;
        assert.deepEqual(parseLockdown(text), { active, available: names });
      }),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseLockdown(text);
        if (parsed !== undefined) assert.ok(parsed.available.includes(parsed.active));
      }),
      RUNS,
    );
  });

  it("function directories: name,sympos splits on the last comma", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes(",")),
        fc.nat(),
        (name, sympos) => {
          assert.deepEqual(parseFunctionDir(`${name},${sympos}`), { name, sympos });
          assert.deepEqual(parseFunctionDir(name), { name, sympos: undefined });
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseFunctionDir(text);
        if (parsed !== undefined) assert.ok(parsed.name.length > 0);
      }),
      RUNS,
    );
  });

  it("taint: every bit of any unsigned long is either a named flag or an unknown bit", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (value) => {
        const decoded = decodeTaint(value);
        let rebuilt = 0n;
        for (const { flag, set } of decoded.flags) if (set) rebuilt |= 1n << BigInt(flag.bit);
        for (const bit of decoded.unknownBits) rebuilt |= 1n << BigInt(bit);
        assert.equal(rebuilt, value);
        assert.equal(decoded.flags.length, TAINT_FLAGS.length);
      }),
      RUNS,
    );
    for (const flag of TAINT_FLAGS) assert.equal(taintFlagByLetter(flag.letter), flag);
    fc.assert(
      fc.property(fc.string({ maxLength: 2 }), (letter) => {
        const flag = taintFlagByLetter(letter);
        if (flag !== undefined) assert.equal(flag.letter, letter);
      }),
    );
  });
});

describe("fuzz: multi-line files", () => {
  it("/proc/modules: generated lines parse back; every other line is counted, never guessed", () => {
    const module = fc.record({
      name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/),
      size: fc.nat(),
      refcnt: fc.oneof(fc.constant("-"), fc.nat().map(String)),
      deps: fc.oneof(fc.constant("-"), fc.stringMatching(/^([a-z_]{1,8},){1,3}$/)),
      state: fc.constantFrom("Live", "Loading", "Unloading"),
      taint: fc.oneof(fc.constant(""), fc.stringMatching(/^[POFCEKTNXJ]{1,4}[+-]?$/)),
    });
    fc.assert(
      fc.property(fc.array(module, { maxLength: 20 }), fc.array(anyText, { maxLength: 3 }), (modules, junk) => {
        const lines = modules.map(
          (m) =>
            `${m.name} ${m.size} ${m.refcnt} ${m.deps} ${m.state} 0xffffffffc0000000${m.taint === "" ? "" : ` (${m.taint})`}`,
        );
        const junkLines = junk.flatMap((j) => j.split("\n")).filter((l) => l.length > 0 && !/^\S+ \d+ /.test(l));
        const parsed = parseProcModules([...lines, ...junkLines].join("\n") + "\n");
        assert.deepEqual(
          parsed.modules.map((m) => [m.name, m.state, m.taint]),
          modules.map((m) => [m.name, m.state.toLowerCase(), m.taint.replace(/[+-]$/, "")]),
        );
        assert.equal(parsed.invalidLines, junkLines.length);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseProcModules(text);
        const nonEmpty = text.split("\n").filter((l) => l.length > 0).length;
        assert.equal(parsed.modules.length + parsed.invalidLines, nonEmpty);
      }),
      RUNS,
    );
  });

  it("kernel config: y, m, n, numbers and strings parse back among comments and garbage", () => {
    const value = fc.oneof(
      fc.constantFrom("y", "m", "n"),
      fc.integer().map(String),
      fc.string({ maxLength: 30 }).filter((s) => !s.includes("\n")),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^CONFIG_[A-Z0-9_]{1,30}$/), value, { maxKeys: 30 }),
        fc.array(
          fc.string({ maxLength: 40 }).filter((s) => !s.includes("CONFIG_")),
          { maxLength: 5 },
        ),
        (options, junk) => {
          const lines = Object.entries(options).map(([name, v]) => {
            if (v === "n") return `# ${name} is not set`;
            if (v === "y" || v === "m" || /^-?\d+$/.test(v)) return `${name}=${v}`;
            return `${name}="${v.replace(/["\\]/g, "\\$&")}"`;
          });
          const parsed = parseKconfig([...junk.flatMap((j) => j.split("\n")), ...lines].join("\n"));
          for (const [name, v] of Object.entries(options)) {
            assert.equal(parsed.get(name), v, name);
            assert.equal(kconfigEnabled(parsed, name), v === "y" || v === "m");
          }
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => void parseKconfig(text)),
      RUNS,
    );
  });

  it("os-release: double-quoted, single-quoted and bare values parse back", () => {
    const field = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/);
    const text = fc.string({ maxLength: 40 }).filter((s) => !/[\n\r]/.test(s));
    fc.assert(
      fc.property(fc.dictionary(field, text, { maxKeys: 10 }), fc.nat(2), (fields, style) => {
        const lines = Object.entries(fields).map(([k, v]) => {
          if (style === 0 || v.includes("'")) return `${k}="${v.replace(/[$"`\\]/g, "\\$&")}"`;
          if (style === 1) return `${k}='${v}'`;
          return `${k}=${v.replace(/[^A-Za-z0-9]/g, "\\$&")}`;
        });
        const parsed = parseOsRelease(["# comment", ...lines, ""].join("\n"));
        for (const [k, v] of Object.entries(fields)) assert.equal(parsed.get(k), v, `${k} (style ${style})`);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (t) => void parseOsRelease(t)),
      RUNS,
    );
  });
});

describe("fuzz: version order and kernel releases", () => {
  const version = fc.stringMatching(/^[0-9][0-9a-z.+~]{0,10}$/);

  it("dpkg and rpm orders are total preorders: reflexive, antisymmetric, transitive", () => {
    for (const compare of [dpkgVerRevCmp, rpmVerCmp]) {
      fc.assert(
        fc.property(version, version, version, (a, b, c) => {
          assert.equal(compare(a, a), 0);
          assert.equal(sign(compare(a, b)) + sign(compare(b, a)), 0, "antisymmetric");
          if (compare(a, b) <= 0 && compare(b, c) <= 0) assert.ok(compare(a, c) <= 0, `${a} <= ${b} <= ${c}`);
        }),
        RUNS,
      );
      fc.assert(
        fc.property(fc.nat(), fc.nat(), (x, y) => {
          assert.equal(sign(compare(`6.1.0-${x}`, `6.1.0-${y}`)), sign(x - y));
        }),
        RUNS,
      );
    }
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        assert.ok(Number.isFinite(dpkgVerRevCmp(a, b)) && Number.isFinite(rpmVerCmp(a, b)));
      }),
      RUNS,
    );
  });

  it("dpkg order agrees with dpkg --compare-versions itself", () => {
    const pairs = fc.sample(fc.tuple(version, version), { numRuns: 80 });
    const disagreements: string[] = [];
    for (const [a, b] of pairs) {
      const lt = spawnSync("dpkg", ["--compare-versions", a, "lt", b]).status === 0;
      const gt = spawnSync("dpkg", ["--compare-versions", a, "gt", b]).status === 0;
      const theirs = lt ? -1 : gt ? 1 : 0;
      if (theirs !== sign(dpkgVerRevCmp(a, b))) disagreements.push(`${a} vs ${b}: dpkg ${theirs}`);
    }
    assert.deepEqual(disagreements, []);
  });

  it("kernel releases: images, flavours, the newest of a flavour", () => {
    const release = fc
      .tuple(fc.nat(9), fc.nat(20), fc.nat(40), fc.constantFrom("-amd64", "-cloud-amd64", "-generic", ".el9_4.x86_64"))
      .map(([major, minor, abi, flavour]) => `${major}.${minor}.0-${abi}${flavour}`);
    fc.assert(
      fc.property(
        release,
        fc.array(release, { maxLength: 8 }),
        fc.constantFrom("dpkg", "rpm"),
        (running, installed, scheme) => {
          assert.equal(releaseFromKernelImage(`vmlinuz-${running}`), running);
          const newest = newestOfFlavour(scheme, running, [...installed, running]);
          assert.ok(newest !== undefined);
          assert.equal(kernelFlavour(newest), kernelFlavour(running));
          for (const other of installed.filter((r) => kernelFlavour(r) === kernelFlavour(running))) {
            assert.ok(compareVersions(scheme, newest, other) >= 0, `${newest} >= ${other}`);
          }
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        void kernelFlavour(a);
        const r = releaseFromKernelImage(a);
        if (r !== undefined) assert.match(r, /^\d/);
        assert.ok(["dpkg", "rpm"].includes(versionSchemeFor(a, b)));
      }),
      RUNS,
    );
  });
});
