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
import { parseEnabledFunctions } from "../../src/parse/enabled-functions.js";
import { parseKernelStack } from "../../src/parse/kernel-stack.js";
import { parseKprobesList } from "../../src/parse/kprobes-list.js";
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

describe("fuzz: ftrace, kprobes and kernel stacks", () => {
  const symbol = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}(\.(isra|cold|constprop)\.\d)?$/);
  const module = fc.option(fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/), { nil: undefined });
  const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  const pS = (name: string, mod?: string): string => `${name}+0x0/0x110${mod === undefined ? "" : ` [${mod}]`}`;
  /** t_show()'s flag columns, version by version: [R, I, D, O, M] as the kernel pads them. */
  const FLAG_FORMATS: readonly ((f: readonly boolean[]) => string)[] = [
    ([r, i]) => `${r === true ? " R" : "  "}${i === true ? " I" : "  "}`, // 3.19-5.4
    ([r, i, d]) => `${r === true ? " R" : "  "}${i === true ? " I" : "  "}${d === true ? " D" : "  "}`, // 5.5-6.2
    ([r, i, d, o, m]) =>
      `${r === true ? " R" : "  "}${i === true ? " I" : "  "}${d === true ? " D" : "  "}${o === true ? " O" : "  "}${m === true ? " M " : "   "}`, // 6.5+
  ];

  it("enabled_functions: records printed as each kernel version prints them parse back; junk is counted", () => {
    const record = fc.record({
      symbol,
      module,
      ops: fc.integer({ min: 1, max: 64 }),
      flags: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      format: fc.integer({ min: 0, max: FLAG_FORMATS.length - 1 }),
      callback: fc.option(symbol, { nil: undefined }),
      tramp: hex,
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.array(anyText, { maxLength: 5 }), (records, junk) => {
        const lines = records.map((r) => {
          const head = `${r.symbol}${r.module === undefined ? "" : ` [${r.module}]`} (${r.ops})`;
          const flags = (FLAG_FORMATS[r.format] ?? (() => ""))(r.flags);
          const tramp =
            r.callback === undefined ? "" : `\ttramp: 0xffffffffc0${r.tramp} (${pS(r.callback)}) ->${pS(r.callback)}`;
          return `${head}${flags}${tramp}`;
        });
        const junkLines = junk.flatMap((j) => j.split("\n")).filter((l) => l.trim() !== "" && !/\(\d+\)/.test(l));
        const parsed = parseEnabledFunctions([...lines, ...junkLines.map((l) => `#${l}`)].join("\n"));
        assert.deepEqual(
          parsed.records.map((r) => [r.symbol, r.module, r.ops, r.ipmodify, r.callbacks]),
          records.map((r) => [r.symbol, r.module, r.ops, r.flags[1], r.callback === undefined ? [] : [r.callback]]),
        );
        assert.equal(parsed.invalidLines, junkLines.length);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseEnabledFunctions(text);
        for (const r of parsed.records) assert.ok(Number.isSafeInteger(r.ops) && r.ops >= 0 && r.symbol.length > 0);
      }),
      RUNS,
    );
  });

  it("kprobes/list: report_probe()'s lines parse back; junk is counted", () => {
    const probe = fc.record({
      kind: fc.constantFrom("k", "r"),
      symbol,
      offset: fc.integer({ min: 0, max: 0xfff }),
      module,
      flags: fc.subarray(["[GONE]", "[DISABLED]", "[OPTIMIZED]", "[FTRACE]"]),
    });
    fc.assert(
      fc.property(fc.array(probe, { maxLength: 20 }), (probes) => {
        const text = probes
          .map(
            (p) =>
              `ffffffffc0000000  ${p.kind}  ${p.symbol}+0x${p.offset.toString(16)}  ${p.module ?? " "} ${p.flags.join("")}`,
          )
          .join("\n");
        const parsed = parseKprobesList(text);
        assert.equal(parsed.invalidLines, 0);
        assert.deepEqual(
          parsed.probes.map((p) => [p.kind, p.symbol, p.offset, p.module, p.gone, p.disabled, p.ftrace]),
          probes.map((p) => [
            p.kind === "r" ? "kretprobe" : "kprobe",
            p.symbol,
            p.offset,
            p.module,
            p.flags.includes("[GONE]"),
            p.flags.includes("[DISABLED]"),
            p.flags.includes("[FTRACE]"),
          ]),
        );
      }),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseKprobesList(text);
        const nonEmpty = text.split("\n").filter((l) => l.trim().length > 0).length;
        assert.equal(parsed.probes.length + parsed.invalidLines, nonEmpty);
      }),
      RUNS,
    );
  });

  it("kernel stacks: frames of every format parse back, innermost first; other lines are left out", () => {
    const frame = fc.record({ symbol, offset: fc.integer({ min: 0, max: 0xfff }), module });
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 30 }),
        fc.constantFrom("0", "ffffffffa03da018", "0000000000000000"),
        (frames, address) => {
          const text = frames
            .map(
              (f) =>
                `[<${address}>] ${f.symbol}+0x${f.offset.toString(16)}/0x2a${f.module === undefined ? "" : ` [${f.module}]`}`,
            )
            .join("\n");
          assert.deepEqual(
            parseKernelStack(`${text}\n[<0>] 0xffffffffc0000000\n`).map((f) => [f.symbol, f.offset, f.module]),
            frames.map((f) => [f.symbol, f.offset, f.module]),
          );
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(anyText, (text) => {
        for (const f of parseKernelStack(text)) assert.ok(f.symbol.length > 0 && Number.isSafeInteger(f.offset));
      }),
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
