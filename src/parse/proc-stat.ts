// /proc/stat: "btime <seconds since the epoch>" is the boot time, the same for
// every PID namespace (unlike the start time of /proc/1).

export function parseBootTime(text: string): number | undefined {
  const match = /^btime\s+(\d{1,15})\s*$/m.exec(text);
  if (match?.[1] === undefined) return undefined;
  const seconds = Number(match[1]);
  return seconds > 0 ? seconds : undefined;
}
