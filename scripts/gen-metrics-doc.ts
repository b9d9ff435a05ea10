// npm run docs:metrics: regenerates the tables of docs/metrics.md from src/views/catalog.ts.
import fs from "node:fs";
import { withTables } from "./metrics-doc.js";

const file = new URL("../docs/metrics.md", import.meta.url);
fs.writeFileSync(file, withTables(fs.readFileSync(file, "utf8")));
