// The systemd unit, its environment file, sysusers entry and drop-ins, checked by systemd's own
// tools: systemd-analyze verify (syntax, dependencies, the ExecStart binary), systemd-analyze
// security (exposure of the default unit, and exactly what each drop-in gives up) and
// systemd-sysusers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MAIN } from "../../support/exporter-process.js";
import { securityReport, systemdTool, unitRoot, type SecurityReport, type UnitRoot } from "../helpers/systemd.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIR = path.join(ROOT, "deploy/systemd");
const UNIT = path.join(DIR, "livepatch_exporter.service");
const DROP_INS = path.join(DIR, "drop-ins");

/** Every value of a key in a unit file, in order (unit files may repeat keys). */
function unitValues(text: string, key: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

const unitText = fs.readFileSync(UNIT, "utf8");
const execStart = unitValues(unitText, "ExecStart")[0] ?? "";

function verify(root: UnitRoot): { status: number | null; output: string } {
  const result = systemdTool("systemd-analyze", ["verify", `--root=${root.root}`, "--man=no", root.unitName]);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("systemd unit", () => {
  it("ExecStart runs the command that npm install -g puts in /usr/local/bin", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    const [command] = Object.keys(pkg.bin);
    assert.equal(execStart, `/usr/local/bin/${command}`);
  });

  it("systemd-analyze verify accepts the unit without a single warning", () => {
    const root = unitRoot(UNIT, { execStart });
    try {
      const result = verify(root);
      assert.equal(result.status, 0, result.output);
      assert.equal(result.output, "", "warnings (unknown keys, bad values) count as failures");
    } finally {
      root.remove();
    }
  });

  it("systemd-analyze verify fails when the installed command is missing (the check is real)", () => {
    const root = unitRoot(UNIT);
    try {
      const result = verify(root);
      assert.notEqual(result.status, 0);
      assert.match(result.output, /livepatch_exporter is not executable: No such file or directory/);
    } finally {
      root.remove();
    }
  });

  it("systemd-analyze verify accepts the unit with each drop-in", () => {
    for (const dropIn of fs.readdirSync(DROP_INS)) {
      const root = unitRoot(UNIT, { execStart, dropIns: [path.join(DROP_INS, dropIn)] });
      try {
        const result = verify(root);
        assert.equal(result.status, 0, `${dropIn}: ${result.output}`);
        assert.equal(result.output, "", `${dropIn}: ${result.output}`);
      } finally {
        root.remove();
      }
    }
  });

  it("systemd-analyze --threshold fails a unit above the limit (the check is real)", () => {
    const root = unitRoot(UNIT, { execStart });
    try {
      const args = ["security", "--offline=true", `--root=${root.root}`, root.unitName];
      assert.equal(systemdTool("systemd-analyze", [...args, "--threshold=20"]).status, 0);
      assert.notEqual(systemdTool("systemd-analyze", [...args, "--threshold=5"]).status, 0);
    } finally {
      root.remove();
    }
  });
});

describe("systemd-analyze security", () => {
  let base: SecurityReport;
  const reports = new Map<string, SecurityReport>();

  before(() => {
    const root = unitRoot(UNIT, { execStart });
    try {
      base = securityReport(root);
    } finally {
      root.remove();
    }
    for (const dropIn of fs.readdirSync(DROP_INS)) {
      const withDropIn = unitRoot(UNIT, { execStart, dropIns: [path.join(DROP_INS, dropIn)] });
      try {
        reports.set(dropIn, securityReport(withDropIn));
      } finally {
        withDropIn.remove();
      }
    }
  });

  it('rates the default unit "OK" or better, exposure at most 2.0', () => {
    assert.ok(base.exposure <= 2.0, base.text);
    assert.ok(["PERFECT", "SAFE", "OK"].includes(base.rating), base.text);
  });

  it("the default unit keeps every privilege and sandbox check except the documented ones", () => {
    // Each of these is explained in the unit: the exporter serves HTTP, runs on V8, and must see
    // /usr/lib/modules, all processes and /proc/sys to tell the truth.
    const failing = [...base.checks].filter(([, exposure]) => exposure > 0).map(([name]) => name);
    assert.deepEqual(
      failing.sort(),
      [
        "DeviceAllow=",
        "IPAddressDeny=",
        "MemoryDenyWriteExecute=",
        "PrivateNetwork=",
        "ProcSubset=",
        "ProtectKernelModules=",
        "ProtectProc=",
        "RestrictAddressFamilies=~AF_(INET|INET6)",
        "RestrictAddressFamilies=~AF_UNIX",
        "RootDirectory=/RootImage=",
      ],
      base.text,
    );
  });

  // What each drop-in gives up, and nothing more: the checks whose exposure rises (loses) or
  // falls (gains) against the default unit.
  const expected: Record<string, { loses: string[]; gains: string[] }> = {
    "transition-threads.conf": {
      loses: ["AmbientCapabilities=", "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "PrivateUsers="],
      gains: [],
    },
    "kernel-log.conf": {
      loses: [
        "AmbientCapabilities=",
        "CapabilityBoundingSet=~CAP_SYSLOG",
        "PrivateDevices=",
        "PrivateUsers=",
        "ProtectKernelLogs=",
      ],
      gains: [],
    },
    "scrapers-only.conf": { loses: [], gains: ["IPAddressDeny="] },
    "ftrace.conf": {
      loses: ["AmbientCapabilities=", "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "PrivateUsers="],
      gains: [],
    },
    "blocking-stacks.conf": {
      loses: [
        "AmbientCapabilities=",
        "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)",
        "CapabilityBoundingSet=~CAP_SYS_ADMIN",
        "CapabilityBoundingSet=~CAP_SYS_PTRACE",
        "PrivateUsers=",
      ],
      gains: [],
    },
  };

  it("every drop-in is described here", () => {
    assert.deepEqual([...reports.keys()].sort(), Object.keys(expected).sort());
  });

  for (const [dropIn, { loses, gains }] of Object.entries(expected)) {
    it(`${dropIn} gives up exactly ${loses.length > 0 ? loses.join(", ") : "nothing"}`, () => {
      const report = reports.get(dropIn);
      assert.ok(report, `${dropIn} is missing`);
      const delta = [...report.checks].map(
        ([name, exposure]) => [name, exposure - (base.checks.get(name) ?? 0)] as const,
      );
      const lost = delta
        .filter(([, d]) => d > 0)
        .map(([name]) => name)
        .sort();
      const gained = delta
        .filter(([, d]) => d < 0)
        .map(([name]) => name)
        .sort();
      assert.deepEqual(lost, [...loses].sort(), report.text);
      assert.deepEqual(gained, [...gains].sort(), report.text);
    });
  }

  it("every drop-in says why, and grants a capability only together with its reason", () => {
    for (const dropIn of fs.readdirSync(DROP_INS)) {
      const text = fs.readFileSync(path.join(DROP_INS, dropIn), "utf8");
      assert.match(text, /^# Drop-in for livepatch_exporter\.service: /, dropIn);
      assert.match(text, /^# Install: \/etc\/systemd\/system\/livepatch_exporter\.service\.d\//m, dropIn);
      for (const cap of unitValues(text, "AmbientCapabilities")) {
        assert.deepEqual(unitValues(text, "CapabilityBoundingSet"), [cap], `${dropIn}: bounding set = ambient set`);
        assert.match(text, new RegExp(`^# Why: .*\\n(#.*\\n)*?#.*${cap}`, "m"), `${dropIn}: reason for ${cap}`);
      }
    }
  });
});

describe("systemd environment file and user", () => {
  it("every variable in the environment file is a flag of the exporter", () => {
    const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" }).stdout;
    const known = new Set([...help.matchAll(/\(env: (LIVEPATCH_EXPORTER_\w+)\)/g)].map((m) => m[1]));
    assert.ok(known.size > 10, help);
    const text = fs.readFileSync(path.join(DIR, "livepatch_exporter.env"), "utf8");
    const variables = [...text.matchAll(/^#?(LIVEPATCH_EXPORTER_\w+)=/gm)].map((m) => m[1] ?? "");
    assert.ok(variables.length >= 8, "the file documents the common flags");
    for (const variable of variables) {
      assert.ok(known.has(variable), `${variable} is not a flag's variable`);
    }
  });

  it("systemd-sysusers creates the unit's user: a system user without a login shell", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-sysusers-"));
    try {
      fs.mkdirSync(path.join(root, "etc"));
      const result = systemdTool("systemd-sysusers", [`--root=${root}`, path.join(DIR, "livepatch_exporter.sysusers")]);
      assert.equal(result.status, 0, result.stderr);
      const passwd = fs.readFileSync(path.join(root, "etc/passwd"), "utf8").trim().split(":");
      const [name, , uid, gid, , home, shell] = passwd;
      assert.equal(name, unitValues(unitText, "User")[0]);
      assert.equal(unitValues(unitText, "Group")[0], name);
      assert.ok(Number(uid) > 0 && Number(uid) < 1000, `system uid, got ${uid}`);
      assert.equal(gid, uid);
      assert.equal(home, "/");
      assert.equal(shell, "/usr/sbin/nologin");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("systemd textfile service and timer", () => {
  const SERVICE = path.join(DIR, "livepatch_exporter-textfile.service");
  const TIMER = path.join(DIR, "livepatch_exporter-textfile.timer");
  const serviceText = fs.readFileSync(SERVICE, "utf8");
  const timerText = fs.readFileSync(TIMER, "utf8");
  const [command = "", subcommand, ...args] = (unitValues(serviceText, "ExecStart")[0] ?? "").split(/\s+/);
  const root = (): UnitRoot => unitRoot(SERVICE, { execStart: command, companions: [TIMER] });

  it("runs the same installed command in textfile mode, into a directory it may write", () => {
    assert.equal(command, execStart, "the command the server unit runs");
    assert.equal(subcommand, "textfile");
    assert.equal(args[0], "--output");
    const output = args[1] ?? "";
    assert.equal(output, "/var/lib/prometheus/node-exporter", "Debian's node_exporter textfile directory");
    assert.deepEqual(unitValues(serviceText, "ReadWritePaths"), [`-${output}`]);
    assert.equal(unitValues(serviceText, "Type")[0], "oneshot");
    assert.deepEqual(unitValues(serviceText, "User"), unitValues(unitText, "User"));
    assert.deepEqual(unitValues(serviceText, "EnvironmentFile"), unitValues(unitText, "EnvironmentFile"));
  });

  it("the timer starts the service (same name, no Unit=) every minute, and is what gets enabled", () => {
    assert.equal(path.basename(TIMER, ".timer"), path.basename(SERVICE, ".service"));
    assert.deepEqual(unitValues(timerText, "Unit"), []);
    assert.deepEqual(unitValues(timerText, "OnUnitActiveSec"), ["1min"]);
    assert.deepEqual(unitValues(timerText, "WantedBy"), ["timers.target"]);
    assert.deepEqual(unitValues(serviceText, "WantedBy"), [], "the service is started by its timer only");
  });

  it("systemd-analyze verify accepts both without a single warning", () => {
    const unit = root();
    try {
      const result = systemdTool("systemd-analyze", [
        "verify",
        `--root=${unit.root}`,
        "--man=no",
        unit.unitName,
        path.basename(TIMER),
      ]);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.equal(result.stdout + result.stderr, "");
    } finally {
      unit.remove();
    }
  });

  it('is rated "OK" (at most 2.0) and gives up exactly the documented checks', () => {
    const unit = root();
    let report: SecurityReport;
    try {
      report = securityReport(unit);
    } finally {
      unit.remove();
    }
    assert.ok(report.exposure <= 2.0 && ["PERFECT", "SAFE", "OK"].includes(report.rating), report.text);
    const failing = [...report.checks].filter(([, exposure]) => exposure > 0).map(([name]) => name);
    // Against the server unit: no network at all (PrivateNetwork=, IPAddressDeny=, no AF_INET), and
    // CAP_DAC_OVERRIDE to write into a directory it does not own (with PrivateUsers= off for it).
    assert.deepEqual(
      failing.sort(),
      [
        "AmbientCapabilities=",
        "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)",
        "DeviceAllow=",
        "MemoryDenyWriteExecute=",
        "PrivateUsers=",
        "ProcSubset=",
        "ProtectKernelModules=",
        "ProtectProc=",
        "RestrictAddressFamilies=~AF_UNIX",
        "RootDirectory=/RootImage=",
      ],
      report.text,
    );
    assert.deepEqual(unitValues(serviceText, "CapabilityBoundingSet"), ["CAP_DAC_OVERRIDE"]);
    assert.deepEqual(unitValues(serviceText, "AmbientCapabilities"), ["CAP_DAC_OVERRIDE"]);
    assert.deepEqual(unitValues(serviceText, "SystemCallFilter"), unitValues(unitText, "SystemCallFilter"));
  });
});
