// Progress lines on stderr (node:test streams them as they come), so a slow or
// stuck run shows where it is: the packages, the build, each boot and each state.
const started = Date.now();

export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[kernel ${seconds}s] ${message}\n`);
}

/** Runs `work`, reporting its start and how long it took. */
export async function step<T>(what: string, work: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now();
  progress(`${what}...`);
  const result = await work();
  progress(`${what}: done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return result;
}
