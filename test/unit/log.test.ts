// Logs carry values from the host (file contents, client output, paths): no
// control character may reach the log raw, in logfmt or in JSON, and every
// value must read back as it was.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createLogger, toLogfmt, type LogFormat } from "../../src/log.js";

/** C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- control characters are what this test is about
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const HOSTILE = "a\u001b[31mred\u001b[0m\u0000nul\u0007bel\r\nsecond line\u007fdel\u009bcsi\u2028sep\u0085nel";

function logLines(format: LogFormat, value: string, message = "read failed"): string[] {
  let text = "";
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  createLogger("info", format, output).warn({ path: value, count: 2 }, message);
  return text.split("\n").filter((line) => line !== "");
}

describe("log encoding", () => {
  it("logfmt: control characters in values and messages are escaped, on one line, and read back", () => {
    const lines = logLines("logfmt", HOSTILE, `msg with ${HOSTILE}`);
    assert.equal(lines.length, 1);
    const [line = ""] = lines;
    assert.doesNotMatch(line, UNSAFE);
    assert.match(line, /\\u001b\[31mred/);
    assert.match(line, /\\u0000nul/);
    assert.match(line, /\\u009bcsi/);
    const path = / path=("(?:[^"\\]|\\.)*")/.exec(line)?.[1];
    assert.equal(JSON.parse(path ?? '""'), HOSTILE, "the quoted value is the original");
    assert.match(line, / count=2$/);
  });

  it("logfmt: plain tokens stay bare; anything with a space, quote, '=', backslash or control is quoted", () => {
    assert.match(
      toLogfmt('{"level":"info","msg":"ok","path":"/proc/sys/kernel/tainted"}'),
      / path=\/proc\/sys\/kernel\/tainted\n$/,
    );
    for (const value of ["a b", 'a"b', "a=b", "a\\b", "a\u0000b", "a\u001bb", "a\u007fb", "a\u0085b"]) {
      const line = toLogfmt(JSON.stringify({ level: "info", msg: "m", v: value }));
      assert.match(line, / v="/, JSON.stringify(value));
      assert.doesNotMatch(line.slice(0, -1), UNSAFE, JSON.stringify(value));
    }
  });

  it("JSON: pino's escaping plus DEL, C1 and the separators; every line parses back to the original", () => {
    const lines = logLines("json", HOSTILE, HOSTILE);
    assert.equal(lines.length, 1);
    const [line = ""] = lines;
    assert.doesNotMatch(line, UNSAFE);
    const record = JSON.parse(line) as { path: string; msg: string };
    assert.equal(record.path, HOSTILE);
    assert.equal(record.msg, HOSTILE);
  });

  it("any string, in either format: one line, nothing unsafe, the value intact (fast-check)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        for (const format of ["logfmt", "json"] as const) {
          const lines = logLines(format, value);
          assert.equal(lines.length, 1);
          assert.doesNotMatch(lines[0] ?? "", UNSAFE);
        }
        const [json = ""] = logLines("json", value);
        assert.equal((JSON.parse(json) as { path: string }).path, value);
      }),
      { numRuns: 300 },
    );
  });
});
