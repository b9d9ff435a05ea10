// npm run build:deb: a Debian package of the single binary (npm run build:binary), built with
// dpkg-deb: build/livepatch-exporter_<version>-1_<arch>.deb. It holds
//   /usr/bin/livepatch_exporter                          the binary
//   /usr/lib/systemd/system/livepatch_exporter.service   deploy/systemd's units, running /usr/bin/...
//   /usr/lib/systemd/system/livepatch_exporter-textfile.{service,timer}
//   /usr/lib/sysusers.d/livepatch_exporter.conf          the system user
//   /etc/default/livepatch_exporter                      flags as variables: the only conffile
//   /usr/share/doc/livepatch-exporter/                   copyright, changelog, licences of the bundled
//                                                        code, examples/ (web config, unit drop-ins)
//   /usr/share/livepatch-exporter/                       dashboards and Prometheus rules
// The web configuration example is documentation, not a conffile: nothing under /etc changes on
// upgrade without the admin, and no example certificate path is ever live. Maintainer scripts do
// what debhelper's would (deb-systemd-helper, deb-systemd-invoke): the server is enabled and
// started, the textfile timer is installed but left off. Depends: from dpkg-shlibdeps (dpkg-dev).
// Cached like the binary (support/build-cache.ts).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { BINARY_NAME, ensureBinary, type BuiltBinary } from "./build-binary.js";
import { cached, hashInputs } from "./build-cache.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const PACKAGE = "livepatch-exporter";
/** The Debian revision of packages built from this tree. */
const DEBIAN_REVISION = "1";
const MAINTAINER = "livepatch_exporter developers <livepatch-exporter@users.noreply.github.com>";
const HOMEPAGE = "https://github.com/livepatch-exporter/livepatch_exporter";
export const USER = "livepatch_exporter";
export const UNITS = [
  "livepatch_exporter.service",
  "livepatch_exporter-textfile.service",
  "livepatch_exporter-textfile.timer",
] as const;
/** Where the textfile unit writes (its ExecStart); removed with the package so no stale series stay served. */
export const TEXTFILE = "/var/lib/prometheus/node-exporter/livepatch_exporter.prom";
const SYSTEMD_DIR = path.join(ROOT, "deploy", "systemd");

/** What each packaged unit says in place of the source's manual installation notes. */
const UNIT_HEADERS: Record<(typeof UNITS)[number], string> = {
  "livepatch_exporter.service": `# Installed by the ${PACKAGE} package: enabled and started on installation.
# Flags: /etc/default/livepatch_exporter. Change the unit with drop-ins (systemctl edit
# livepatch_exporter.service); optional ones, each with its reason, are in
# /usr/share/doc/${PACKAGE}/examples/systemd/.
# Hosts that must not open a port use textfile mode instead:
#   systemctl disable --now livepatch_exporter.service
#   systemctl enable --now livepatch_exporter-textfile.timer
`,
  "livepatch_exporter-textfile.service": `# Installed by the ${PACKAGE} package. Started every minute by livepatch_exporter-textfile.timer,
# which is not enabled on installation: systemctl enable --now livepatch_exporter-textfile.timer
# It writes livepatch_exporter.prom into node_exporter's textfile directory. For another directory:
# systemctl edit livepatch_exporter-textfile.service, with
#   [Service]
#   ExecStart=
#   ExecStart=/usr/bin/livepatch_exporter textfile --output /var/lib/node_exporter/textfile_collector
#   ReadWritePaths=/var/lib/node_exporter/textfile_collector
`,
  "livepatch_exporter-textfile.timer": `# Installed by the ${PACKAGE} package, not enabled: systemctl enable --now livepatch_exporter-textfile.timer
`,
};

/**
 * The V8 flags a single executable takes, through NODE_OPTIONS: it has no node command line, and NODE_OPTIONS
 * refuses --optimize-for-size and --single-threaded (the binary sets the first itself; docs/performance.md,
 * "Memory"). /etc/default/livepatch_exporter may set NODE_OPTIONS instead: EnvironmentFile= comes later.
 */
export const PACKAGED_NODE_OPTIONS = "--max-semi-space-size=1 --v8-pool-size=1";

/**
 * A unit of deploy/systemd as the package installs it: its own header, the packaged binary's path, and the
 * binary's V8 flags.
 */
export function packagedUnit(name: (typeof UNITS)[number], source: string): string {
  const body = source
    .slice(source.search(/^\[/m))
    .replace(
      /^\[Service\]\n/m,
      `[Service]\n# The single binary's V8 flags (a 1 MB young generation, one platform thread): less resident memory.\nEnvironment="NODE_OPTIONS=${PACKAGED_NODE_OPTIONS}"\n`,
    );
  const text = UNIT_HEADERS[name] + body.replaceAll("/usr/local/bin/livepatch_exporter", `/usr/bin/${BINARY_NAME}`);
  if (/npm|\/usr\/local/.test(text)) throw new Error(`${name}: the packaged unit still mentions npm or /usr/local`);
  return text;
}

function sh(lines: string): string {
  return `#!/bin/sh\nset -e\n${lines.trim()}\n`;
}

const SERVICE = "livepatch_exporter.service";
const TIMER = "livepatch_exporter-textfile.timer";

/** As dh_installsystemd writes them, plus the user and the textfile's cleanup. */
const MAINTAINER_SCRIPTS: Record<string, string> = {
  postinst: sh(`
if [ "$1" = "configure" ]; then
	# The system user, from the sysusers.d entry; useradd where systemd-sysusers is missing.
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers ${USER}.conf
	elif ! getent passwd ${USER} >/dev/null; then
		useradd --system --user-group --no-create-home --home-dir / --shell /usr/sbin/nologin \\
			--comment "Prometheus livepatch exporter" ${USER}
	fi
	# For the web configuration and its keys: readable by the exporter's group only.
	if [ ! -d /etc/livepatch_exporter ]; then
		install -d -m 0750 -o root -g ${USER} /etc/livepatch_exporter
	fi
fi
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper unmask '${SERVICE}' >/dev/null || true
		# was-enabled is true on a first installation: the server is enabled then, and
		# stays as the admin left it on upgrades.
		if deb-systemd-helper --quiet was-enabled '${SERVICE}'; then
			deb-systemd-helper enable '${SERVICE}' >/dev/null || true
		else
			deb-systemd-helper update-state '${SERVICE}' >/dev/null || true
		fi
		# Textfile mode is the alternative to the server: installed, left off.
		deb-systemd-helper unmask '${TIMER}' >/dev/null || true
		deb-systemd-helper update-state '${TIMER}' >/dev/null || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then _action=restart; else _action=start; fi
		# deb-systemd-invoke starts or restarts only what is enabled.
		deb-systemd-invoke $_action '${SERVICE}' >/dev/null || true
	fi
fi
`),
  prerm: sh(`
if [ -d /run/systemd/system ] && [ "$1" = "remove" ]; then
	deb-systemd-invoke stop '${SERVICE}' '${TIMER}' 'livepatch_exporter-textfile.service' >/dev/null || true
fi
if [ "$1" = "remove" ]; then
	# Nothing will refresh the textfile any more: node_exporter would serve its series for ever.
	rm -f '${TEXTFILE}'
fi
`),
  postrm: sh(`
if [ "$1" = "remove" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = "remove" ] && command -v deb-systemd-helper >/dev/null 2>&1; then
	deb-systemd-helper mask '${SERVICE}' '${TIMER}' >/dev/null || true
fi
if [ "$1" = "purge" ]; then
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper purge '${SERVICE}' '${TIMER}' >/dev/null || true
		deb-systemd-helper unmask '${SERVICE}' '${TIMER}' >/dev/null || true
	fi
	rmdir --ignore-fail-on-non-empty /etc/livepatch_exporter 2>/dev/null || true
	# The exporter writes no file but the textfile, removed above: the user owns nothing now.
	if getent passwd ${USER} >/dev/null; then userdel ${USER} || true; fi
	if getent group ${USER} >/dev/null; then groupdel ${USER} || true; fi
fi
`),
};

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 600_000, ...options });
  if (result.error !== undefined) {
    throw new Error(`${command}: ${result.error.message} (apt-get install dpkg-dev for dpkg-shlibdeps)`);
  }
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

export function debianArchitecture(): string {
  return run("dpkg", ["--print-architecture"]).trim();
}

/** Depends: of the binary, as dpkg-shlibdeps computes it from the libraries it links. */
function sharedLibraryDepends(binary: string, scratch: string): string {
  fs.mkdirSync(path.join(scratch, "debian"), { recursive: true });
  fs.writeFileSync(
    path.join(scratch, "debian", "control"),
    `Source: ${PACKAGE}\n\nPackage: ${PACKAGE}\nArchitecture: any\n`,
  );
  const output = run("dpkg-shlibdeps", ["-O", "-e", binary], { cwd: scratch });
  const depends = /^shlibs:Depends=(.*)$/m.exec(output)?.[1];
  if (depends === undefined) throw new Error(`dpkg-shlibdeps printed no Depends:\n${output}`);
  return depends;
}

function commitTime(): number {
  const result = spawnSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT, encoding: "utf8" });
  const seconds = Number(result.stdout.trim());
  return result.status === 0 && Number.isInteger(seconds) && seconds > 0 ? seconds : Math.floor(Date.now() / 1000);
}

function place(staging: string, target: string, content: string | Buffer, mode = 0o644): void {
  const file = path.join(staging, target);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

function copyright(): string {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: livepatch_exporter
Source: ${HOMEPAGE}

Files: *
Copyright: The livepatch_exporter authors
License: Apache-2.0
Comment: usr/bin/${BINARY_NAME} is a Node.js single executable application: it also contains
 Node.js and the npm packages the exporter uses. Each is listed with its copyright and licence
 (MIT, ISC, BSD-3-Clause, Apache-2.0) in /usr/share/doc/${PACKAGE}/THIRD-PARTY-LICENSES.txt.gz.

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 except in compliance with the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
`;
}

function changelog(version: string, revision: string, epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000).toUTCString().replace("GMT", "+0000");
  return `${PACKAGE} (${version}) unstable; urgency=medium

  * Built from livepatch_exporter ${version.split("-")[0] ?? version}, git revision ${revision}.

 -- ${MAINTAINER}  ${date}
`;
}

function control(fields: { version: string; arch: string; depends: string; installedSizeKiB: number }): string {
  return `Package: ${PACKAGE}
Version: ${fields.version}
Architecture: ${fields.arch}
Maintainer: ${MAINTAINER}
Installed-Size: ${fields.installedSizeKiB}
Depends: ${fields.depends}
Suggests: prometheus-node-exporter
Section: admin
Priority: optional
Homepage: ${HOMEPAGE}
Description: Prometheus exporter for Linux kernel live patching
 Reads the kernel's own truth on every host: /sys/kernel/livepatch (every patch, object and
 function; transitions and the threads blocking them), the taint bitmask, whether modules can
 be loaded at all (modules_disabled, signature enforcement, lockdown), the kernel release and
 whether a reboot is required, and what the vendors' live-patch clients report.
 .
 Serves it on /metrics (livepatch_exporter.service, port 10027), or writes it for
 node_exporter's textfile collector from a timer (livepatch_exporter-textfile.timer).
 Grafana dashboards and Prometheus alert rules are in /usr/share/${PACKAGE}.
 .
 One self-contained executable: no Node.js installation is needed.
`;
}

/** Every file under a directory, relative, sorted. */
function filesOf(directory: string): string[] {
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

function diskUsageKiB(directory: string): number {
  let bytes = 0;
  for (const file of filesOf(directory)) bytes += Math.ceil(fs.statSync(path.join(directory, file)).size / 1024) * 1024;
  return Math.ceil(bytes / 1024);
}

function stage(staging: string, built: BuiltBinary, debVersion: string, epochSeconds: number): void {
  const doc = `usr/share/doc/${PACKAGE}`;
  place(staging, `usr/bin/${BINARY_NAME}`, fs.readFileSync(built.binary), 0o755);
  for (const unit of UNITS) {
    place(
      staging,
      `usr/lib/systemd/system/${unit}`,
      packagedUnit(unit, fs.readFileSync(path.join(SYSTEMD_DIR, unit), "utf8")),
    );
  }
  place(
    staging,
    `usr/lib/sysusers.d/${USER}.conf`,
    fs.readFileSync(path.join(SYSTEMD_DIR, "livepatch_exporter.sysusers")),
  );
  place(staging, "etc/default/livepatch_exporter", fs.readFileSync(path.join(SYSTEMD_DIR, "livepatch_exporter.env")));
  place(staging, `${doc}/copyright`, copyright());
  place(
    staging,
    `${doc}/changelog.Debian.gz`,
    gzipSync(changelog(debVersion, built.revision, epochSeconds), { level: 9 }),
  );
  place(staging, `${doc}/THIRD-PARTY-LICENSES.txt.gz`, gzipSync(fs.readFileSync(built.licenses), { level: 9 }));
  place(
    staging,
    `${doc}/examples/web-config.yml`,
    fs.readFileSync(path.join(ROOT, "deploy", "web-config.example.yml")),
  );
  for (const dropIn of fs.readdirSync(path.join(SYSTEMD_DIR, "drop-ins"))) {
    place(staging, `${doc}/examples/systemd/${dropIn}`, fs.readFileSync(path.join(SYSTEMD_DIR, "drop-ins", dropIn)));
  }
  const install = path.join(ROOT, "docs", "install.md");
  if (fs.existsSync(install)) place(staging, `${doc}/install.md.gz`, gzipSync(fs.readFileSync(install), { level: 9 }));
  for (const dashboard of fs.readdirSync(path.join(ROOT, "dashboards")).filter((f) => f.endsWith(".json"))) {
    place(
      staging,
      `usr/share/${PACKAGE}/dashboards/${dashboard}`,
      fs.readFileSync(path.join(ROOT, "dashboards", dashboard)),
    );
  }
  const rules = path.join(ROOT, "deploy", "prometheus", "rules");
  for (const rule of fs.readdirSync(rules)) {
    place(staging, `usr/share/${PACKAGE}/prometheus/rules/${rule}`, fs.readFileSync(path.join(rules, rule)));
  }
}

function writeControlArea(staging: string, fields: { version: string; arch: string; depends: string }): void {
  const files = filesOf(staging);
  const conffiles = files.filter((f) => f.startsWith("etc/")).map((f) => `/${f}`);
  const md5sums = files
    .filter((f) => !f.startsWith("etc/"))
    .map(
      (f) =>
        `${createHash("md5")
          .update(fs.readFileSync(path.join(staging, f)))
          .digest("hex")}  ${f}\n`,
    )
    .join("");
  const installedSizeKiB = diskUsageKiB(staging);
  place(staging, "DEBIAN/control", control({ ...fields, installedSizeKiB }));
  place(staging, "DEBIAN/conffiles", `${conffiles.join("\n")}\n`);
  place(staging, "DEBIAN/md5sums", md5sums);
  for (const [name, script] of Object.entries(MAINTAINER_SCRIPTS)) place(staging, `DEBIAN/${name}`, script, 0o755);
  // Directories 0755 whatever the umask of the build was.
  fs.chmodSync(staging, 0o755);
  for (const entry of fs.readdirSync(staging, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) fs.chmodSync(path.join(entry.parentPath, entry.name), 0o755);
  }
}

export interface BuiltDeb {
  readonly deb: string;
  readonly fileName: string;
  readonly version: string;
  readonly binary: BuiltBinary;
  readonly cacheHit: boolean;
  readonly seconds: number;
}

/** The .deb for the current sources, from the cache or built now (building the binary first if needed). */
export async function ensureDeb(): Promise<BuiltDeb> {
  const started = Date.now();
  const binary = await ensureBinary();
  const arch = debianArchitecture();
  const version = `${binary.version}-${DEBIAN_REVISION}`;
  const fileName = `${PACKAGE}_${version}_${arch}.deb`;
  const packaging = [
    ...fs.readdirSync(SYSTEMD_DIR, { recursive: true }).map((f) => path.join(SYSTEMD_DIR, String(f))),
    path.join(ROOT, "deploy", "web-config.example.yml"),
    path.join(ROOT, "docs", "install.md"),
    ...fs.readdirSync(path.join(ROOT, "dashboards")).map((f) => path.join(ROOT, "dashboards", f)),
    ...fs
      .readdirSync(path.join(ROOT, "deploy", "prometheus", "rules"))
      .map((f) => path.join(ROOT, "deploy", "prometheus", "rules", f)),
    fileURLToPath(import.meta.url),
  ].filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() === true);
  const epochSeconds = commitTime();
  const key = hashInputs([path.basename(path.dirname(binary.binary)), arch, version, String(epochSeconds)], packaging);
  const entry = await cached("deb", key, (directory) => {
    const staging = path.join(directory, "staging");
    stage(staging, binary, version, epochSeconds);
    const depends = sharedLibraryDepends(
      path.join(staging, "usr", "bin", BINARY_NAME),
      path.join(directory, "shlibdeps"),
    );
    writeControlArea(staging, { version, arch, depends });
    // SOURCE_DATE_EPOCH: every file's time in the archive is the commit's (reproducible).
    run("dpkg-deb", ["--root-owner-group", "-Zxz", "-z1", "--build", staging, path.join(directory, fileName)], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epochSeconds) },
    });
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(path.join(directory, "shlibdeps"), { recursive: true, force: true });
  });
  return {
    deb: path.join(entry.directory, fileName),
    fileName,
    version,
    binary,
    cacheHit: entry.hit,
    seconds: (Date.now() - started) / 1000,
  };
}

export async function main(): Promise<void> {
  const built = await ensureDeb();
  const out = path.join(ROOT, "build");
  fs.mkdirSync(out, { recursive: true });
  const target = path.join(out, built.fileName);
  fs.copyFileSync(built.deb, target);
  const size = (fs.statSync(target).size / 1024 / 1024).toFixed(1);
  process.stdout.write(
    `${path.relative(process.cwd(), target)}: ${size} MiB, ${built.cacheHit ? "from the cache" : "built"} in ${built.seconds.toFixed(1)} s\n`,
  );
}
