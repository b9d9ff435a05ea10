// Facts about the machine the exporter process runs on, from
// systeminformation: hostname, virtualization and hardware, shown on the landing page
// only. systeminformation reads /etc and /sys directly and runs
// commands, so it never honours --path.*: nothing it returns is used for a
// metric. It is loaded lazily, once, off the scrape path, with a time limit.

export interface RuntimeInfo {
  readonly entries: readonly [label: string, value: string][];
}

const EMPTY: RuntimeInfo = { entries: [] };

export function loadRuntimeInfo(timeoutMs: number): Promise<RuntimeInfo> {
  const work = (async (): Promise<RuntimeInfo> => {
    const si = await import("systeminformation");
    const [osInfo, system] = await Promise.all([si.osInfo(), si.system()]);
    const entries: [string, string][] = [["hostname", osInfo.fqdn.length > 0 ? osInfo.fqdn : osInfo.hostname]];
    const virtualization = system.virtual ? (system.virtualHost ?? "virtual machine") : "none detected";
    entries.push(["virtualization", virtualization]);
    if (system.manufacturer) entries.push(["hardware", `${system.manufacturer} ${system.model}`.trim()]);
    return { entries };
  })().catch(() => EMPTY);
  const timeout = new Promise<RuntimeInfo>((resolve) => setTimeout(() => resolve(EMPTY), timeoutMs).unref());
  return Promise.race([work, timeout]);
}
