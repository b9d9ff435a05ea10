// Health probes timed while something else runs, each on a new connection as
// a kubelet's or a load balancer's would be.
import http from "node:http";

export interface ProbeTimes {
  /** Probes answered while the work ran. */
  readonly count: number;
  /** The slowest one, in milliseconds, and which it was. */
  readonly maxMs: number;
  readonly slowest: string;
}

/** GETs /-/healthy and /-/ready in turn, every `intervalMs`, until `work` settles; any answer but 200 fails. */
export async function probeDuring<T>(
  baseUrl: string,
  work: Promise<T>,
  intervalMs = 20,
): Promise<{ result: T; probes: ProbeTimes }> {
  let settled = false;
  const done = work.finally(() => (settled = true));
  /** A function, not the variable: the work settles while the probes are awaited. */
  const isSettled = (): boolean => settled;
  let count = 0;
  let maxMs = 0;
  let slowest = "";
  for (let i = 0; !isSettled(); i++) {
    const path = i % 2 === 0 ? "/-/healthy" : "/-/ready";
    const started = performance.now();
    const status = await get(`${baseUrl}${path}`);
    const ms = performance.now() - started;
    if (status !== 200) throw new Error(`${path} answered ${status}`);
    if (isSettled()) break; // answered after the work ended: it says nothing about the work
    count += 1;
    if (ms > maxMs) {
      maxMs = ms;
      slowest = `${path} #${i}`;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return { result: await done, probes: { count, maxMs, slowest } };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 10_000 }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.on("timeout", () => request.destroy(new Error(`${url}: no answer in 10 s`)));
    request.on("error", reject);
  });
}
