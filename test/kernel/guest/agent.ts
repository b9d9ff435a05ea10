// The control agent of the live-kernel test VM. /init runs it as root; the
// host reaches it only through qemu's port forward on its own 127.0.0.1, and
// every request must carry the boot's token. It runs what the host-side test
// asks for (the state changes: insmod, writes to sysfs, rmmod, sysctl; the
// exporter's `check`), returns status and output, and keeps one exporter
// process running. It uses node's standard library only: the harness
// transpiles it into the initramfs (npm run typecheck checks it with the
// tests), where it runs without node_modules.
//
// API (JSON bodies):
//   GET  /ping                   -> { uptime }
//   POST /exec { sh, timeoutMs } -> { rc, signal, stdout, stderr, ms, timedOut }   (sh -c, process group)
//   POST /exporter/start { args } -> { pid }   POST /exporter/stop -> { code }   GET /exporter/log -> text
//   POST /poweroff               -> {}   (the agent exits; /init powers the VM off)
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";

const conf = Object.fromEntries(
  fs
    .readFileSync("/harness/boot.conf", "utf8")
    .split("\n")
    .filter((line) => line.includes("="))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
);
const TOKEN = conf["TOKEN"] ?? "";
const PORT = Number(conf["AGENT_PORT"]);
const MAIN = conf["EXPORTER_MAIN"] ?? "/app/dist/main.js";
/** With no request for this long the host is gone: power off rather than run forever. */
const IDLE_LIMIT_MS = Number(conf["IDLE_LIMIT_SECONDS"] ?? "600") * 1000;
const MAX_OUTPUT = 4 << 20;

function say(message: string): void {
  process.stdout.write(`[agent ${process.uptime().toFixed(1)}s] ${message}\n`);
}

interface ExecResult {
  rc: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

function exec(sh: string, timeoutMs: number): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", sh], { stdio: ["ignore", "pipe", "pipe"], detached: true, cwd: "/" });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout = (stdout + c).slice(-MAX_OUTPUT)));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-MAX_OUTPUT)));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    const finish = (rc: number | null, signal: string | null): void => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      say(`$ ${sh.length > 200 ? `${sh.slice(0, 200)}...` : sh} -> rc=${rc ?? signal ?? "?"} (${ms} ms)`);
      resolve({ rc, signal, stdout, stderr, ms, timedOut });
    };
    child.once("error", (error) => {
      stderr += String(error);
      finish(null, null);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
}

let exporter: ChildProcess | undefined;
let exporterLog = "";

function startExporter(args: readonly string[]): number {
  if (exporter?.exitCode === null) throw new Error("the exporter is already running");
  exporterLog = "";
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: "/app" });
  const keep = (chunk: string): void => {
    exporterLog = (exporterLog + chunk).slice(-MAX_OUTPUT);
    for (const line of chunk.split("\n")) if (line !== "") process.stdout.write(`[exporter] ${line}\n`);
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  child.once("exit", (code, signal) => say(`exporter exited: ${code ?? signal ?? "?"}`));
  exporter = child;
  say(`exporter started: pid ${child.pid ?? "?"}: ${[MAIN, ...args].join(" ")}`);
  return child.pid ?? -1;
}

async function stopExporter(): Promise<number | null> {
  const child = exporter;
  if (child === undefined) return null;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const code = await exited;
  clearTimeout(killer);
  return code;
}

async function body(request: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

let lastRequest = Date.now();
const server = http.createServer((request, response) => {
  lastRequest = Date.now();
  const reply = (status: number, payload: unknown): void => {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    response.writeHead(status, { "content-type": typeof payload === "string" ? "text/plain" : "application/json" });
    response.end(text);
  };
  if (request.headers["x-harness-token"] !== TOKEN) {
    reply(403, { error: "bad token" });
    return;
  }
  const route = `${request.method ?? ""} ${request.url ?? ""}`;
  void (async () => {
    try {
      const input = await body(request);
      if (route === "GET /ping") reply(200, { uptime: Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]) });
      else if (route === "POST /exec") {
        if (typeof input["sh"] !== "string") throw new Error("sh must be a string");
        reply(200, await exec(input["sh"], typeof input["timeoutMs"] === "number" ? input["timeoutMs"] : 60_000));
      } else if (route === "POST /exporter/start") {
        const args = Array.isArray(input["args"]) ? input["args"].map(String) : [];
        reply(200, { pid: startExporter(args) });
      } else if (route === "POST /exporter/stop") reply(200, { code: await stopExporter() });
      else if (route === "GET /exporter/log") reply(200, exporterLog);
      else if (route === "POST /poweroff") {
        reply(200, {});
        await stopExporter();
        say("power off requested");
        server.close();
        setTimeout(() => process.exit(0), 100);
      } else reply(404, { error: `no route ${route}` });
    } catch (error) {
      reply(500, { error: String(error) });
    }
  })();
});

setInterval(() => {
  if (Date.now() - lastRequest > IDLE_LIMIT_MS) {
    say(`no request for ${IDLE_LIMIT_MS / 1000}s: the host is gone, powering off`);
    process.exit(3);
  }
}, 5_000).unref();

server.listen(PORT, "0.0.0.0", () => say(`HARNESS-AGENT-READY listening on ${PORT}`));
