// Everything a boot needs, built (or taken from the cache) once per test file:
// the packages, the kernel, the test modules and the initramfs layers.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildModules, selectKernel, type Kernel } from "./kernel.js";
import { appLayer, baseLayer, depsLayer, nodeLayer } from "./layers.js";
import { ensurePackages } from "./packages.js";
import { step } from "./progress.js";

/** Serial console logs and other run output (kept after the run; .test-output/ is ignored by git). */
export const OUTPUT_DIR =
  process.env["LIVEPATCH_TEST_OUTPUT"] ?? fileURLToPath(new URL("../../../.test-output/kernel/", import.meta.url));

export interface Prepared {
  readonly kernel: Kernel;
  readonly layers: readonly (string | Buffer)[];
  readonly outputDir: string;
}

let prepared: Promise<Prepared> | undefined;

/** Once per test process: every scenario of a file boots from the same layers. */
export function prepare(): Promise<Prepared> {
  prepared ??= build();
  return prepared;
}

async function build(): Promise<Prepared> {
  await step("checking packages", () => ensurePackages());
  const kernel = selectKernel();
  const modules = await step(`test modules for ${kernel.release}`, () => buildModules(kernel));
  const layers = await step("initramfs layers", () => [
    baseLayer(kernel, modules),
    nodeLayer(),
    depsLayer(),
    appLayer(),
  ]);
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  return { kernel, layers, outputDir: path.resolve(OUTPUT_DIR) };
}
