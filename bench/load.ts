// Closed-loop load at a fixed number of connections: wrk when installed
// (written in C, it leaves more of a small machine to the servers), else
// autocannon in this process.
import { execFile } from "node:child_process";
import autocannon from "autocannon";

export type LoadTool = "wrk" | "autocannon";

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Seconds. */
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx responses plus socket errors and timeouts. */
  readonly errors: number;
}

export function runLoad(
  tool: LoadTool,
  url: string,
  connections: number,
  durationSeconds: number,
  headers: Readonly<Record<string, string>> = {},
  wrkPath = "wrk",
): Promise<LoadResult> {
  return tool === "wrk"
    ? runWrk(wrkPath, url, connections, durationSeconds, headers)
    : runAutocannon(url, connections, durationSeconds, headers);
}

async function runWrk(
  wrk: string,
  url: string,
  connections: number,
  durationSeconds: number,
  headers: Readonly<Record<string, string>>,
): Promise<LoadResult> {
  // One thread: the client should take as little of the machine as it can.
  const args = ["-t1", `-c${connections}`, `-d${durationSeconds}s`, "--latency", "--timeout", "10s"];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  args.push(url);
  const output = await new Promise<string>((resolve, reject) => {
    execFile(wrk, args, { timeout: (durationSeconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
  return parseWrk(output);
}

/** Parses wrk's --latency report. */
export function parseWrk(output: string): LoadResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output)?.[1];
  const requests = /(\d+) requests in /.exec(output)?.[1];
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  if (rps === undefined || requests === undefined || p50 === null || p99 === null) {
    throw new Error(`cannot parse wrk output:\n${output}`);
  }
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socket = socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return {
    requests: Number(requests),
    requestsPerSecond: Number(rps),
    p50: seconds(p50[1], p50[2]),
    p99: seconds(p99[1], p99[2]),
    errors: non2xx + socket,
  };
}

function seconds(value: string | undefined, unit: string | undefined): number {
  const n = Number(value);
  return unit === "us" ? n / 1e6 : unit === "ms" ? n / 1e3 : n;
}

async function runAutocannon(
  url: string,
  connections: number,
  durationSeconds: number,
  headers: Readonly<Record<string, string>>,
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections,
    duration: durationSeconds,
    timeout: 10,
    headers: { ...headers },
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result["2xx"] / result.duration,
    p50: result.latency.p50 / 1e3,
    p99: result.latency.p99 / 1e3,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}
