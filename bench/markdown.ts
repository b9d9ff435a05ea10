// Markdown tables for the benchmark report.

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function verdict(met: boolean | undefined): string {
  if (met === undefined) return "not measured";
  return met ? "met" : "**missed**";
}
