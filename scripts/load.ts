// npm run load [-- --connections N --duration S]: the bounded load runs of
// scripts/load-lib.ts against the built exporter on 127.0.0.1, one scenario
// after another, printed as the Markdown table the README shows.
import os from "node:os";
import { parseArgs } from "node:util";
import {
  markdownTable,
  MAX_CONNECTIONS,
  MAX_DURATION_SECONDS,
  runScenario,
  SCENARIOS,
  type LoadResult,
} from "./load-lib.js";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "200" },
    duration: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) {
  throw new Error(`--connections must be 1-${MAX_CONNECTIONS}`);
}
if (!Number.isFinite(duration) || duration < 1 || duration > MAX_DURATION_SECONDS) {
  throw new Error(`--duration must be 1-${MAX_DURATION_SECONDS} seconds`);
}

const results: LoadResult[] = [];
for (const scenario of SCENARIOS) {
  process.stderr.write(`load: ${scenario.name}: ${connections} connections for ${duration} s...\n`);
  results.push(await runScenario(scenario, { connections, durationSeconds: duration }));
}
const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node.js ${process.version}`;
if (values.json) {
  process.stdout.write(`${JSON.stringify({ machine, results }, null, 2)}\n`);
} else {
  process.stdout.write(`Machine: ${machine}\n\n${markdownTable(results)}\n`);
}
const failed = results.filter((r) => r.errors > 0 || r.timeouts > 0);
process.exitCode = failed.length > 0 ? 1 : 0;
