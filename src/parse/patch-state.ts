// /proc/<pid>/task/<tid>/patch_state: "-1\n" idle (no transition), "0\n" the
// task still runs unpatched code, "1\n" it runs patched code.

export type PatchState = -1 | 0 | 1;

export function parsePatchState(text: string): PatchState | undefined {
  switch (text.trim()) {
    case "-1":
      return -1;
    case "0":
      return 0;
    case "1":
      return 1;
    default:
      return undefined;
  }
}
