// Every process the simulator starts (Prometheus, promtool) is killed when the
// simulator exits, however it exits: an error, a signal, or the time limit.
import type { ChildProcess } from "node:child_process";

const alive = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of alive) child.kill("SIGKILL");
});

/** Kills `child` when this process exits before it. */
export function killOnExit(child: ChildProcess): void {
  alive.add(child);
  child.once("exit", () => alive.delete(child));
}
