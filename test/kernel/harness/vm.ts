// One qemu VM (TCG: these machines have no KVM) booting the Debian kernel with
// the harness initramfs, and the host's side of its control agent.
//
// Networking is qemu's user mode with restrict=on (the guest cannot open a
// connection out) and two port forwards bound to the host's 127.0.0.1, on
// ports picked free at run time: one to the agent, one to the exporter. The
// serial console goes to a log file; progress lines say how far the boot got.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../helpers/prometheus.js";
import { waitFor } from "../../helpers/wait.js";
import { bootLayer } from "./layers.js";
import type { Kernel } from "./kernel.js";
import { progress } from "./progress.js";

/** Where the exporter listens in the guest (its default) and where the agent does. */
export const GUEST_EXPORTER_PORT = 10027;
const GUEST_AGENT_PORT = 7000;

export interface BootOptions {
  /** Names the serial log and the guest's hostname. */
  readonly name: string;
  readonly kernel: Kernel;
  /** Initramfs layers in unpack order: paths of compressed cpio archives or their bytes. */
  readonly layers: readonly (string | Buffer)[];
  /** Extra kernel command line arguments (lockdown=integrity, module.sig_enforce=1). */
  readonly append?: readonly string[];
  /** Where the serial console log is written. */
  readonly outputDir: string;
  readonly bootTimeoutMs?: number;
}

export interface ExecResult {
  readonly rc: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly timedOut: boolean;
}

/** Console lines that mark the progress of a boot. */
const MILESTONES: readonly [RegExp, string][] = [
  [/^Linux version /, "kernel started"],
  [/Run \/init as init process/, "initramfs unpacked, /init running"],
  [/^HARNESS: init started/, "guest /init: mounts done"],
  [/HARNESS-AGENT-READY/, "agent listening (node started)"],
  [/Kernel panic/, "KERNEL PANIC"],
];

/** VMs still running: none outlives the test process. */
const alive = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

export class Vm {
  private constructor(
    readonly name: string,
    readonly serialLog: string,
    readonly exporterUrl: string,
    private readonly agentUrl: string,
    private readonly token: string,
    private readonly child: ChildProcess,
    private readonly workDir: string,
  ) {}

  static async boot(options: BootOptions): Promise<Vm> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await Vm.bootOnce(options);
      } catch (error) {
        // A port picked free can be taken before qemu binds it: pick again.
        if (attempt < 3 && error instanceof HostForwardError) {
          progress(`${options.name}: ${error.message}; retrying with other ports`);
          continue;
        }
        throw error;
      }
    }
  }

  private static async bootOnce(options: BootOptions): Promise<Vm> {
    const agentPort = await freePort();
    let exporterPort = await freePort();
    while (exporterPort === agentPort) exporterPort = await freePort();
    const token = crypto.randomBytes(16).toString("hex");
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `lp-vm-${options.name}-`));
    const initrd = path.join(workDir, "initrd.img");
    const boot = bootLayer({ BOOT_NAME: options.name, TOKEN: token, AGENT_PORT: GUEST_AGENT_PORT });
    fs.writeFileSync(
      initrd,
      Buffer.concat([...options.layers.map((l) => (typeof l === "string" ? fs.readFileSync(l) : l)), boot]),
    );
    fs.mkdirSync(options.outputDir, { recursive: true });
    const serialLog = path.join(options.outputDir, `${options.name}.serial.log`);
    // no_timer_check: under TCG on a busy host the IO-APIC timer check can panic the boot.
    const append = ["console=ttyS0", "panic=-1", "no_timer_check", ...(options.append ?? [])].join(" ");
    const forwards = [
      `hostfwd=tcp:127.0.0.1:${agentPort}-:${GUEST_AGENT_PORT}`,
      `hostfwd=tcp:127.0.0.1:${exporterPort}-:${GUEST_EXPORTER_PORT}`,
    ];
    const args = [
      ...["-machine", "pc,accel=tcg", "-cpu", "max", "-smp", "2", "-m", "1024"],
      ...["-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot"],
      ...["-netdev", `user,id=n0,restrict=on,${forwards.join(",")}`, "-device", "e1000,netdev=n0"],
      ...["-kernel", options.kernel.image, "-initrd", initrd, "-append", append],
    ];
    progress(
      `${options.name}: booting ${options.kernel.release} (${(fs.statSync(initrd).size / 2 ** 20).toFixed(0)} MiB initrd; ${append}); serial console: ${serialLog}`,
    );
    const log = fs.createWriteStream(serialLog);
    log.write(`# qemu-system-x86_64 ${args.join(" ")}\n`);
    const child = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    alive.add(child);
    const started = Date.now();
    let stderr = "";
    const exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        alive.delete(child);
        resolve();
      }),
    );
    // "close" comes after the last console output has been read.
    child.once("close", (code, signal) => log.end(`\n# qemu exited: ${code ?? signal ?? "?"}\n`));
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      log.write(chunk);
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        for (const [pattern, what] of MILESTONES) {
          if (pattern.test(line)) progress(`${options.name}: ${what} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      log.write(`# qemu stderr: ${chunk}`);
    });
    const vm = new Vm(
      options.name,
      serialLog,
      `http://127.0.0.1:${exporterPort}`,
      `http://127.0.0.1:${agentPort}`,
      token,
      child,
      workDir,
    );
    let gone = false;
    void exited.then(() => (gone = true));
    try {
      await waitFor(
        `${options.name}: the guest agent`,
        async () => {
          if (gone) {
            if (/host forwarding rule/i.test(stderr)) throw new HostForwardError(stderr.trim());
            throw new Error(`qemu exited during the boot: ${stderr.trim() || "see the serial console log"}`);
          }
          await vm.request("GET", "/ping", undefined, 2_000);
          return true;
        },
        options.bootTimeoutMs ?? 300_000,
        500,
      ).catch((error: unknown) => {
        // waitFor wraps the last error; a failed port forward must stay recognisable.
        if (/host forwarding rule/i.test(stderr)) throw new HostForwardError(stderr.trim());
        throw error;
      });
    } catch (error) {
      await vm.kill();
      if (error instanceof HostForwardError) throw error;
      throw new Error(`${String(error)}\nserial console log: ${serialLog}`);
    }
    progress(`${options.name}: guest ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return vm;
  }

  private async request(method: string, route: string, payload: unknown, timeoutMs: number): Promise<Response> {
    const response = await fetch(`${this.agentUrl}${route}`, {
      method,
      headers: { "x-harness-token": this.token, "content-type": "application/json" },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`agent ${route}: HTTP ${response.status}: ${await response.text()}`);
    return response;
  }

  /** Runs `sh -c script` in the guest as root. */
  async exec(script: string, timeoutMs = 60_000): Promise<ExecResult> {
    const response = await this.request("POST", "/exec", { sh: script, timeoutMs }, timeoutMs + 30_000);
    return (await response.json()) as ExecResult;
  }

  /** Runs a script that must succeed; returns its stdout. */
  async sh(script: string, timeoutMs?: number): Promise<string> {
    const result = await this.exec(script, timeoutMs);
    if (result.rc !== 0) {
      throw new Error(
        `guest command failed (rc ${result.rc ?? result.signal ?? "?"}${result.timedOut ? ", timed out" : ""}): ${script}\n${result.stdout}${result.stderr}`,
      );
    }
    return result.stdout;
  }

  /** Starts the exporter in the guest with these flags and waits until it answers on the host. */
  async startExporter(args: readonly string[], timeoutMs = 180_000): Promise<void> {
    await this.request("POST", "/exporter/start", { args }, 10_000);
    await waitFor(
      `${this.name}: the exporter in the guest`,
      async () => (await fetch(`${this.exporterUrl}/-/healthy`, { signal: AbortSignal.timeout(5_000) })).ok,
      timeoutMs,
      500,
    );
  }

  async exporterLog(): Promise<string> {
    return (await this.request("GET", "/exporter/log", undefined, 10_000)).text();
  }

  /** Powers the guest off (the agent stops the exporter first); kills qemu if it does not exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.request("POST", "/poweroff", {}, 5_000).catch(() => undefined);
    }
    await this.kill(30_000);
  }

  private async kill(graceMs = 0): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      if (graceMs === 0) child.kill("SIGKILL");
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

class HostForwardError extends Error {}
