// The .deb (npm run build:deb) installed on this machine with dpkg -i, as an admin would: its files
// land with the right owners and modes, systemd-analyze verify accepts the installed units, the
// system user exists, the binary runs, the server and the textfile service run exactly as their
// units say (started by hand with the unit's user, environment file, command and capabilities:
// PID 1 here is not systemd), and dpkg -r leaves only the conffile and systemd's enablement state,
// which dpkg --purge removes too. Needs root; skipped, saying why, where it cannot run or where
// the package is already installed for real.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { BINARY_NAME } from "../../support/build-binary.js";
import { ensureDeb, PACKAGE, TEXTFILE, UNITS, USER, type BuiltDeb } from "../../support/build-deb.js";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { promtool } from "../helpers/promtool.js";
import { startExporter } from "../../support/exporter-process.js";
import { systemdTool } from "../helpers/systemd.js";

interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function sh(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Result {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 300_000, env: env ?? process.env });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function packageStatus(): string {
  const result = spawnSync("dpkg-query", ["-W", "-f=${db:Status-Abbrev}", PACKAGE], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : "";
}

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return "dpkg -i needs root";
  if (spawnSync("dpkg", ["--version"]).error !== undefined) return "dpkg is not installed";
  if (packageStatus() !== "" && packageStatus() !== "un") {
    return `${PACKAGE} is already installed here (${packageStatus()}); not touching a real installation`;
  }
  return undefined;
}

const skip = whyNot();
if (skip !== undefined) process.stderr.write(`deb.test.ts: skipped: ${skip}\n`);

/** Every value of a key in a unit file, in order. */
function unitValues(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => (m[1] ?? "").trim());
}

/** The variables of a unit's Environment= lines ("KEY=value with spaces" quoted as systemd reads them). */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of unitValues(unit, "Environment")) {
    const match = /^"?([A-Za-z_][A-Za-z0-9_]*)=(.*?)"?$/.exec(value);
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? "";
  }
  return env;
}

/** KEY=value lines of an EnvironmentFile (comments and blank lines skipped). */
function environmentFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? "";
  }
  return env;
}

/** Paths of the package's systemd enablement and mask state, wherever deb-systemd-helper keeps them. */
function systemdState(): string[] {
  const found: string[] = [];
  for (const dir of [
    "/etc/systemd/system",
    "/var/lib/systemd/deb-systemd-helper-enabled",
    "/var/lib/systemd/deb-systemd-helper-masked",
  ]) {
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.name.includes("livepatch_exporter")) found.push(path.join(entry.parentPath, entry.name));
    }
  }
  return found.sort();
}

const getent = (database: string, key: string): boolean => spawnSync("getent", [database, key]).status === 0;

describe("the .deb on this machine", { skip }, () => {
  let built: BuiltDeb;
  let contents: string[];
  /** Debian's textfile directory, when this test had to make it (no prometheus-node-exporter). */
  let madeTextfileDirectory = false;

  before(async () => {
    built = await ensureDeb();
    contents = listContents(built.deb);
    if (!fs.existsSync(path.dirname(TEXTFILE))) {
      fs.mkdirSync(path.dirname(TEXTFILE), { recursive: true });
      madeTextfileDirectory = true;
    }
  });
  after(() => {
    // Whatever happened, nothing of the package stays on the machine.
    if (packageStatus() !== "" && packageStatus() !== "un") sh("dpkg", ["--purge", PACKAGE]);
    if (madeTextfileDirectory) fs.rmSync(path.dirname(TEXTFILE), { recursive: true, force: true });
  });

  function listContents(deb: string): string[] {
    return sh("dpkg-deb", ["-c", deb])
      .stdout.trim()
      .split("\n")
      .map((line) => line.split(/\s+/))
      .map(([mode = "", owner = "", , , , ...name]) => `${mode} ${owner} ${name.join(" ").replace(/^\./, "")}`);
  }

  it("is well formed: control fields, one conffile, root-owned files, the example outside /etc", () => {
    const info = sh("dpkg-deb", ["-f", built.deb]).stdout;
    assert.match(info, new RegExp(`^Package: ${PACKAGE}$`, "m"));
    assert.match(info, new RegExp(`^Version: ${built.version.replaceAll(".", "\\.")}$`, "m"));
    assert.match(info, /^Depends: .*libc6 \(>= [\d.]+\)/m);
    assert.match(info, /^Installed-Size: \d+$/m);
    const conffiles = sh("sh", ["-c", `dpkg-deb --ctrl-tarfile '${built.deb}' | tar -xOf - ./conffiles`]).stdout;
    assert.equal(conffiles, "/etc/default/livepatch_exporter\n");
    for (const line of contents) assert.match(line, / root\/root /, line);
    assert.ok(contents.includes(`-rwxr-xr-x root/root /usr/bin/${BINARY_NAME}`), contents.join("\n"));
    const etc = contents.filter((line) => / \/etc\/.+[^/]$/.test(line));
    assert.deepEqual(etc, ["-rw-r--r-- root/root /etc/default/livepatch_exporter"]);
    assert.ok(contents.some((line) => line.endsWith(`/usr/share/doc/${PACKAGE}/examples/web-config.yml`)));
    assert.ok(contents.some((line) => line.endsWith(`/usr/share/doc/${PACKAGE}/copyright`)));
  });

  it("dpkg -i installs it: files, user, units that systemd-analyze verify accepts", () => {
    const install = sh("dpkg", ["-i", built.deb]);
    assert.equal(install.status, 0, install.stdout + install.stderr);
    assert.equal(packageStatus(), "ii");
    for (const line of contents.filter((l) => l.startsWith("-"))) {
      const file = line.split(" ").slice(2).join(" ");
      assert.ok(fs.existsSync(file), file);
    }
    const verify = sh("dpkg", ["--verify", PACKAGE]);
    assert.equal(verify.stdout + verify.stderr, "", "dpkg --verify: every file as packaged");
    assert.ok(getent("passwd", USER), "the system user");
    const [, , uid, , , home, shell] = sh("getent", ["passwd", USER]).stdout.trim().split(":");
    assert.ok(Number(uid) > 0 && Number(uid) < 1000, `system uid ${uid}`);
    assert.equal(home, "/");
    assert.equal(shell, "/usr/sbin/nologin");
    const config = fs.statSync("/etc/livepatch_exporter");
    assert.equal(config.mode & 0o777, 0o750);
    assert.equal(config.uid, 0);
    const result = systemdTool("systemd-analyze", [
      "verify",
      "--man=no",
      ...UNITS.map((u) => `/usr/lib/systemd/system/${u}`),
    ]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.equal(result.stdout + result.stderr, "", "no warning at all");
  });

  it("enables the server and leaves the textfile timer off, as deb-systemd-helper records it", () => {
    const state = systemdState();
    assert.ok(
      state.includes("/etc/systemd/system/multi-user.target.wants/livepatch_exporter.service"),
      state.join("\n"),
    );
    assert.ok(!state.some((p) => p.includes("timers.target.wants")), state.join("\n"));
  });

  it("the binary runs from /usr/bin: --version and check", () => {
    assert.equal(sh(`/usr/bin/${BINARY_NAME}`, ["--version"]).stdout.trim(), built.binary.version);
    const check = sh(`/usr/bin/${BINARY_NAME}`, ["check", ...pathFlags(realKernelTree("clean"))]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it("the server, started as its unit says (user, environment file, command), serves this host", async () => {
    const unit = fs.readFileSync("/usr/lib/systemd/system/livepatch_exporter.service", "utf8");
    const [user] = unitValues(unit, "User");
    const [group] = unitValues(unit, "Group");
    const [environment] = unitValues(unit, "EnvironmentFile");
    const command = (unitValues(unit, "ExecStart")[0] ?? "").split(/\s+/);
    assert.equal(command[0], `/usr/bin/${BINARY_NAME}`);
    assert.deepEqual(unitValues(unit, "CapabilityBoundingSet"), [""]);
    const env = {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      ...unitEnvironment(unit),
      ...environmentFile((environment ?? "").replace(/^-/, "")),
    };
    // The extended runtime metrics show the heap's spaces: the unit's V8 flags must reach the binary.
    const exporter = await startExporter(["--web.exporter-metrics.extended"], {
      command: [
        "setpriv",
        `--reuid=${user}`,
        `--regid=${group}`,
        "--init-groups",
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        ...command,
      ],
      env,
      timeoutMs: 30_000,
    });
    try {
      const status = fs.readFileSync(`/proc/${exporter.process.pid}/status`, "utf8");
      const uid = sh("id", ["-u", USER]).stdout.trim();
      assert.match(
        status,
        new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, "m"),
        "runs as the unit's user",
      );
      const body = await (await fetch(`${exporter.url}/metrics`)).text();
      assert.match(body, new RegExp(`^livepatch_exporter_build_info\\{version="${built.binary.version}",`, "m"));
      assert.match(body, /^livepatch_scrape_collector_success\{collector="taint"\} 1$/m, "read this host's /proc");
      assert.match(body, /^livepatch_kernel_info\{/m);
      const newSpace = Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(body)?.[1]);
      assert.ok(newSpace <= 2 * 1024 * 1024, `the unit's --max-semi-space-size=1: new space ${newSpace} bytes`);
    } finally {
      assert.equal(await exporter.stop(), 0);
    }
  });

  it("the textfile service, started as its unit says (with its one capability), writes for node_exporter", () => {
    const unit = fs.readFileSync("/usr/lib/systemd/system/livepatch_exporter-textfile.service", "utf8");
    const command = (unitValues(unit, "ExecStart")[0] ?? "").split(/\s+/);
    assert.deepEqual(command.slice(1), ["textfile", "--output", path.dirname(TEXTFILE)]);
    const [capability = ""] = unitValues(unit, "AmbientCapabilities");
    const cap = capability.replace(/^CAP_/, "").toLowerCase();
    const asUser = (caps: readonly string[]): Result =>
      sh("setpriv", [`--reuid=${USER}`, `--regid=${USER}`, "--init-groups", "--no-new-privs", ...caps, ...command], {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      });
    const directory = fs.statSync(path.dirname(TEXTFILE));
    if (directory.uid === 0 && (directory.mode & 0o002) === 0) {
      // Debian's directory is root's: without the capability the user cannot write (the check is real).
      const refused = asUser(["--inh-caps=-all", "--bounding-set=-all"]);
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, /cannot write the textfile/);
    }
    const result = asUser([`--inh-caps=-all,+${cap}`, `--ambient-caps=+${cap}`, `--bounding-set=-all,+${cap}`]);
    assert.equal(result.status, 0, result.stderr);
    const stat = fs.statSync(TEXTFILE);
    assert.equal(stat.mode & 0o777, 0o644);
    assert.equal(stat.uid, Number(sh("id", ["-u", USER]).stdout.trim()));
    const lint = promtool(["check", "metrics"], fs.readFileSync(TEXTFILE, "utf8"));
    assert.equal(lint.status, 0, lint.output);
  });

  it("dpkg -r removes everything but the conffile and systemd's state, and the textfile with it", () => {
    const remove = sh("dpkg", ["-r", PACKAGE]);
    assert.equal(remove.status, 0, remove.stdout + remove.stderr);
    assert.equal(packageStatus(), "rc");
    const left = contents
      .filter((l) => l.startsWith("-"))
      .map((l) => l.split(" ").slice(2).join(" "))
      .filter((file) => fs.existsSync(file));
    assert.deepEqual(left, ["/etc/default/livepatch_exporter"]);
    assert.ok(!fs.existsSync(TEXTFILE), "no stale textfile left for node_exporter to serve");
  });

  it("dpkg --purge leaves nothing behind: no file, user, group, directory or systemd state", () => {
    const purge = sh("dpkg", ["--purge", PACKAGE]);
    assert.equal(purge.status, 0, purge.stdout + purge.stderr);
    assert.ok(["", "un"].includes(packageStatus()), packageStatus());
    for (const line of contents) {
      const file = line.split(" ").slice(2).join(" ").replace(/\/$/, "");
      const shared = line.startsWith("d") && !file.includes("livepatch");
      if (!shared) assert.ok(!fs.existsSync(file), file);
    }
    assert.ok(!fs.existsSync("/etc/livepatch_exporter"));
    assert.ok(!getent("passwd", USER) && !getent("group", USER), "user and group removed");
    assert.deepEqual(systemdState(), []);
  });
});
