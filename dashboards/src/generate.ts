// npm run dashboards: writes dashboards/*.json from the TypeScript definitions.
// The JSON is committed so users can import it without building; a test fails
// when it is stale.
import fs from "node:fs";
import { DASHBOARDS, dashboardText } from "./index.js";

for (const [file, build] of Object.entries(DASHBOARDS)) {
  const target = new URL(`../${file}`, import.meta.url);
  fs.writeFileSync(target, dashboardText(build()));
  console.log(`wrote dashboards/${file}`);
}
