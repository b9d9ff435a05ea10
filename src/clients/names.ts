// The vendor live-patch clients this exporter can run, by collector name.
export const CLIENT_NAMES = ["canonical_livepatch", "kpatch", "klp", "kgr", "ksplice", "kernelcare"] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

export function isClientName(name: string): name is ClientName {
  return (CLIENT_NAMES as readonly string[]).includes(name);
}
