// Sequential scrapes over one keep-alive connection, timed one by one on the
// client: what one Prometheus server sees.
import http from "node:http";

export interface ScrapeTimes {
  /** Seconds per scrape, in order. */
  readonly seconds: number[];
  readonly bytes: number;
}

export async function scrapeSequentially(url: string, count: number): Promise<ScrapeTimes> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seconds: number[] = [];
  let bytes = 0;
  try {
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      bytes = await get(url, agent);
      seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  } finally {
    agent.destroy();
  }
  return { seconds, bytes };
}

function get(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () => {
        if (response.statusCode === 200) resolve(bytes);
        else reject(new Error(`${url}: HTTP ${response.statusCode ?? "?"}`));
      });
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}
