// Where the CPU of one scrape goes, by part of the code: a V8 CPU profile
// (node:inspector, in this process) of scrapes through the exporter's whole
// path — collection, derivation, samples, prom-client's rendering, gzip —
// without the HTTP server, whose share the load section gives (its CPU per
// request minus this). Self time is charged to the first frame of our code or
// of a package above it, so a system call counts for whoever made it: the read
// path (src/fs, node:fs), prom-client (its process metrics read /proc/self
// too), gzip, collectors and views, garbage collection, or other.
import inspector from "node:inspector";
import { parseInvocation } from "../src/cli.js";
import { createExporter } from "../src/exporter.js";
import { silentLogger } from "../src/log.js";
import { Exposition } from "../src/views/expositions.js";
import { MetricsRenderer } from "../src/views/metrics.js";
import { snapshotSamples } from "../src/views/samples.js";

export const PARTS = ["read path", "collectors, views", "prom-client", "gzip", "garbage collection", "other"] as const;
export type Part = (typeof PARTS)[number];

export interface ScrapeProfile {
  readonly scrapes: number;
  /** Sampled time per scrape, seconds, by part. */
  readonly perScrape: ReadonlyMap<Part, number>;
  /** Sum of the parts, seconds. */
  readonly total: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Profiles `scrapes` scrapes (after a warm-up) of the exporter run with these flags, gzip included. */
export async function profileScrapes(flags: readonly string[], scrapes: number): Promise<ScrapeProfile> {
  const { options } = parseInvocation(flags, {});
  const { source } = createExporter(options, silentLogger);
  const renderer = new MetricsRenderer(options);
  const build = { version: "bench", revision: "bench" };
  const scrape = async (): Promise<void> => {
    // As /metrics answers Prometheus: rendered, then gzipped.
    new Exposition(await renderer.render(snapshotSamples(await source.snapshot(), build))).gzipped();
  };
  for (let i = 0; i < Math.max(3, Math.ceil(scrapes / 5)); i++) await scrape();
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error === null ? resolve(result) : reject(error))),
    );
  try {
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: 200 });
    await post("Profiler.start");
    for (let i = 0; i < scrapes; i++) await scrape();
    const { profile } = (await post("Profiler.stop")) as { profile: CpuProfile };
    const byPart = charge(profile);
    const perScrape = new Map(PARTS.map((part) => [part, (byPart.get(part) ?? 0) / 1e6 / scrapes] as const));
    return { scrapes, perScrape, total: [...perScrape.values()].reduce((a, b) => a + b, 0) };
  } finally {
    session.disconnect();
  }
}

/** Microseconds of self time by part. Idle time and the profiler's own are left out. */
function charge(profile: CpuProfile): Map<Part, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const partOf = new Map<number, Part | undefined>();
  const classify = (id: number): Part | undefined => {
    if (partOf.has(id)) return partOf.get(id);
    const own = byId.get(id)?.callFrame;
    let part: Part | undefined;
    if (own === undefined || own.functionName === "(idle)" || own.functionName === "(program)") part = undefined;
    else if (own.functionName === "(garbage collector)") part = "garbage collection";
    else {
      let sawZlib = false;
      let sawFs = false;
      part = "other";
      for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
        const { url } = byId.get(current)?.callFrame ?? { url: "" };
        if (url === "node:zlib") sawZlib = true;
        if (url === "node:fs" || url.startsWith("node:internal/fs")) sawFs = true;
        if (url === "" || url.startsWith("node:")) continue;
        if (sawZlib) part = "gzip";
        else if (url.includes("/src/fs/")) part = "read path";
        else if (url.includes("/prom-client/")) part = "prom-client";
        else if (/\/src\/(collectors|parse|derive|snapshot|views|registry|clients)\b/.test(url)) {
          part = sawFs ? "read path" : "collectors, views";
        }
        break;
      }
    }
    partOf.set(id, part);
    return part;
  };
  const totals = new Map<Part, number>();
  profile.samples.forEach((id, index) => {
    const part = classify(id);
    if (part !== undefined) totals.set(part, (totals.get(part) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return totals;
}
