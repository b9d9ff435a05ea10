// Builds deploy/kubernetes the way `kubectl apply -k` would. With kubectl (or kustomize) on PATH,
// by running it; without, by assembling kustomization.yaml's resources and namespace here, which
// is all that kustomization uses (the test fails if it starts using more).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface Kustomization {
  namespace: string;
  resources: string[];
  [key: string]: unknown;
}

export function readKustomization(dir: string): Kustomization {
  return parseAllDocuments(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8"))[0]?.toJS() as Kustomization;
}

function documents(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The kustomization assembled without kustomize: its resources, in its namespace. */
export function assemble(dir: string): K8sObject[] {
  const kustomization = readKustomization(dir);
  const supported = new Set(["apiVersion", "kind", "namespace", "resources"]);
  const unsupported = Object.keys(kustomization).filter((key) => !supported.has(key));
  if (unsupported.length > 0) throw new Error(`assemble() does not implement kustomization ${unsupported.join(", ")}`);
  return kustomization.resources.flatMap((resource) =>
    documents(fs.readFileSync(path.join(dir, resource), "utf8")).map((object) => ({
      ...object,
      metadata: { ...object.metadata, namespace: kustomization.namespace },
    })),
  );
}

/** `kubectl kustomize` or `kustomize build`, whichever exists; undefined when neither does. */
export function kustomizeBuild(dir: string): { tool: string; objects: K8sObject[] } | undefined {
  for (const [tool, args] of [
    ["kubectl", ["kustomize", dir]],
    ["kustomize", ["build", dir]],
  ] as const) {
    const result = spawnSync(tool, args, { encoding: "utf8", timeout: 60_000 });
    if (result.error) continue;
    if (result.status !== 0) throw new Error(`${tool} ${args.join(" ")}: ${result.stderr}`);
    return { tool, objects: documents(result.stdout) };
  }
  return undefined;
}

export const objectKey = (o: K8sObject): string => `${o.apiVersion}/${o.kind}/${o.metadata.name}`;
