// Every client definition, by name.
import { canonicalLivepatch } from "./canonical-livepatch.js";
import type { ClientDefinition } from "./definition.js";
import { kernelcare } from "./kernelcare.js";
import { kgr } from "./kgr.js";
import { klp } from "./klp.js";
import { kpatch } from "./kpatch.js";
import { ksplice } from "./ksplice.js";
import type { ClientName } from "./names.js";

export const CLIENTS: Readonly<Record<ClientName, ClientDefinition>> = {
  canonical_livepatch: canonicalLivepatch,
  kpatch,
  klp,
  kgr,
  ksplice,
  kernelcare,
};
