// Kernel .config text: "CONFIG_X=y|m|<number>|"<string>"" or "# CONFIG_X is not set".
// Options whose dependencies are unmet are omitted entirely, so "absent" means "not set".

/** "y", "m", "n" (not set or omitted), a number or a string. */
export type KconfigValue = string;

export function parseKconfig(text: string): ReadonlyMap<string, KconfigValue> {
  const options = new Map<string, KconfigValue>();
  for (const line of text.split("\n")) {
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set?.[1] !== undefined && set[2] !== undefined) {
      options.set(set[1], unquote(set[2]));
      continue;
    }
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset?.[1] !== undefined) options.set(unset[1], "n");
  }
  return options;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(["\\])/g, "$1");
  }
  return value;
}

/** y and m both mean "built"; anything else (n, absent) means not. */
export function kconfigEnabled(options: ReadonlyMap<string, KconfigValue>, name: string): boolean {
  const value = options.get(name);
  return value === "y" || value === "m";
}
