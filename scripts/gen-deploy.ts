// npm run deploy:generate [-- --check]: the generated Kubernetes objects (see deploy-manifests.ts).
import { GENERATED } from "./deploy-manifests.js";
import { writeOrCheck } from "./generated.js";

const files = await Promise.all(
  GENERATED.map((make) => make()).map(async (generated) => ({
    file: generated.file,
    content: await generated.render(),
  })),
);
writeOrCheck(files, "npm run deploy:generate");
