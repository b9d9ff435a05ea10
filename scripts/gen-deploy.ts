// npm run deploy:generate: rewrites the generated Kubernetes objects (see deploy-manifests.ts).
import fs from "node:fs";
import path from "node:path";
import { GENERATED, ROOT } from "./deploy-manifests.js";

for (const generated of GENERATED.map((make) => make())) {
  fs.writeFileSync(path.join(ROOT, generated.file), await generated.render());
  console.log(`${generated.file} <- ${generated.sources.join(", ") || "(no sources)"}`);
}
