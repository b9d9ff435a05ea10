// Properties of the kernel log parsers (src/parse/kmsg.ts, kmsg-messages.ts)
// and of the history built from their records, over generated input
// (fast-check): nothing throws on any text, every record the kernel could
// write is read back exactly, and however records arrive (replayed,
// duplicated, with gaps) each counts once and every sequence number is either
// read or counted as lost.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { KmsgHistory } from "../../src/collectors/kmsg-history.js";
import { classifyMessage, LIVEPATCH_EVENTS, MODULE_EVENTS, REFUSAL_REASONS } from "../../src/parse/kmsg-messages.js";
import { parseRecord, splitRecords } from "../../src/parse/kmsg.js";

const RUNS = { numRuns: 300, includeErrorInReport: true };
/** Any text, including control characters, lone surrogates and long lines. */
const anyText = fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 3000 }));
/** A message as the kernel writes it: printable, non-printables escaped \xNN, no newline. */
const message = fc
  .array(fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom("\\x0a", "\\x5c", "; ", "'")), {
    maxLength: 12,
  })
  .map((parts) => parts.join("").replace(/[\n\r]/g, " "));
const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);

interface Generated {
  prio: number;
  seq: number;
  usec: number;
  flags: string;
  extra: string;
  message: string;
  dictionary: string[];
}

const record = fc.record({
  prio: fc.integer({ min: 0, max: 1023 }),
  seq: fc.maxSafeNat(),
  usec: fc.maxSafeNat(),
  flags: fc.constantFrom("-", "c", "+"),
  extra: fc.constantFrom("", ",caller=T1", ",caller=C3", ",x=1,y=2"),
  message,
  dictionary: fc.array(fc.stringMatching(/^[A-Z]{1,10}=[!-~]{0,20}$/), { maxLength: 3 }),
});

const format = (r: Generated): string =>
  [`${r.prio},${r.seq},${r.usec},${r.flags}${r.extra};${r.message}`, ...r.dictionary.map((d) => ` ${d}`)].join("\n");

describe("fuzz: kernel log records (kmsg.ts)", () => {
  it("never throw on any text, and what they accept is a well-formed record", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseRecord(text);
        if (parsed !== undefined) {
          assert.ok(Number.isSafeInteger(parsed.seq) && parsed.seq >= 0);
          assert.ok(Number.isSafeInteger(parsed.usec) && parsed.usec >= 0);
          assert.ok(parsed.facility >= 0 && parsed.facility <= 127 && parsed.level >= 0 && parsed.level <= 7);
          assert.ok(!parsed.message.includes("\n"));
        }
        for (const piece of splitRecords(text)) assert.ok(piece !== "" && !piece.startsWith("\n"));
      }),
      RUNS,
    );
  });

  it("read back every record the kernel can write, whatever the fields and continuation lines", () => {
    fc.assert(
      fc.property(record, (r) => {
        assert.deepEqual(parseRecord(format(r)), {
          facility: r.prio >> 3,
          level: r.prio & 7,
          seq: r.seq,
          usec: r.usec,
          flags: r.flags,
          message: r.message,
          dictionary: r.dictionary,
        });
      }),
      RUNS,
    );
  });

  it("a saved copy splits back into its records", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (records) => {
        const text = records.map(format).join("\n");
        assert.deepEqual(splitRecords(text), records.map(format));
        assert.deepEqual(splitRecords(`${text}\n`), records.map(format));
      }),
      RUNS,
    );
  });
});

describe("fuzz: kernel messages (kmsg-messages.ts)", () => {
  it("never throw; every classification is one the metrics declare", () => {
    const templates = fc.oneof(
      anyText,
      fc.tuple(fc.constantFrom("livepatch: ", "livepatch: '", "Lockdown: ", "", "x: "), anyText).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(templates, (text) => {
        const m = classifyMessage(text);
        if (m === undefined) return;
        if (m.source === "module") {
          assert.ok(MODULE_EVENTS.includes(m.event));
          if (m.refusal !== undefined) assert.ok(REFUSAL_REASONS.includes(m.refusal));
          assert.ok(m.module === "" || /^[A-Za-z0-9_-]{1,64}$/.test(m.module));
        } else {
          assert.ok(text.startsWith("livepatch: "));
          const patch = "patch" in m.message ? m.message.patch : undefined;
          assert.ok(patch === undefined || /^[A-Za-z0-9_-]{1,64}$/.test(patch));
        }
      }),
      RUNS,
    );
  });

  it("name the patch of every transition line, whatever its name", () => {
    fc.assert(
      fc.property(name, fc.constantFrom("patching", "unpatching"), (patch, direction) => {
        assert.deepEqual(classifyMessage(`livepatch: '${patch}': starting ${direction} transition`), {
          source: "livepatch",
          message: { kind: "start", patch, direction },
        });
        assert.deepEqual(classifyMessage(`livepatch: '${patch}': ${direction} complete`), {
          source: "livepatch",
          message: { kind: "complete", patch, direction },
        });
      }),
      RUNS,
    );
  });
});

describe("fuzz: the history of the log (kmsg-history.ts)", () => {
  const lines = fc.constantFrom(
    "livepatch: enabling patch 'a'",
    "livepatch: enabling patch 'b'",
    "livepatch: 'a': starting patching transition",
    "livepatch: 'a': starting unpatching transition",
    "livepatch: 'b': starting patching transition",
    "livepatch: 'a': patching complete",
    "livepatch: 'b': unpatching complete",
    "livepatch: signaling remaining tasks",
    "livepatch: forcing remaining tasks to the patched state",
    "livepatch: failed to enable patch 'b'",
    "Loading of unsigned module is rejected",
    "a: loading out-of-tree module taints kernel.",
    "livepatch: something else",
    "not ours",
  );
  const arrivals = fc.array(
    fc.record({
      seq: fc.nat({ max: 200 }),
      usec: fc.nat({ max: 1e9 }),
      facility: fc.constantFrom(0, 0, 0, 1),
      line: lines,
    }),
    { maxLength: 80 },
  );

  it("counts each sequence number once, and every one up to the last is read or lost", () => {
    fc.assert(
      fc.property(arrivals, (records) => {
        const history = new KmsgHistory();
        let added = 0;
        for (const r of records) {
          if (history.add({ ...r, level: 5, flags: "-", message: r.line, dictionary: [] })) added += 1;
        }
        const log = history.snapshot();
        assert.equal(log.records, added);
        assert.equal(log.records + log.lost, log.lastSeq === undefined ? 0 : log.lastSeq + 1);
        for (const e of log.events) {
          assert.ok(LIVEPATCH_EVENTS.includes(e.event));
          assert.ok(e.count > 0);
        }
        const reasons = [...log.refusals.keys()];
        assert.deepEqual(
          reasons,
          [...REFUSAL_REASONS].filter((r) => reasons.includes(r)),
          "seen reasons, in order",
        );
        for (const { count } of log.refusals.values()) assert.ok(count > 0);
        for (const p of log.patches) {
          if (p.lastCompleted !== undefined) assert.ok(p.lastCompleted.seconds >= 0);
          if (p.forced.state === "ok" && p.forced.value) assert.notEqual(p.forcedAtUsec, undefined);
        }
      }),
      RUNS,
    );
  });
});
