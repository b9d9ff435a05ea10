// npm run docs:flags [-- --check]: docs/flags.md, the exporter's --help and
// each subcommand's --help as the command prints them (at a fixed width).
import { helpTexts } from "../src/cli.js";
import { writeOrCheck } from "./generated.js";

const { serve, check, textfile } = helpTexts(110);
const content = `# Flags

Generated from \`livepatch_exporter --help\` by \`npm run docs:flags\`; a test fails when it is stale.

Every flag has an environment variable, named after the flag: \`LIVEPATCH_EXPORTER_\` and the flag name
without its dashes, in upper case, \`.\` and \`-\` as \`_\` (\`--path.sysfs\` → \`LIVEPATCH_EXPORTER_PATH_SYSFS\`;
\`--collector.<name>\` and \`--no-collector.<name>\` share \`LIVEPATCH_EXPORTER_COLLECTOR_<NAME>\`). Boolean
variables take \`true\`/\`false\`/\`1\`/\`0\`/\`yes\`/\`no\`. A flag on the command line wins over its variable.

## \`livepatch_exporter\`

\`\`\`text
${serve.trimEnd()}
\`\`\`

## \`livepatch_exporter check\`

\`\`\`text
${check.trimEnd()}
\`\`\`

## \`livepatch_exporter textfile\`

\`\`\`text
${textfile.trimEnd()}
\`\`\`
`;
writeOrCheck([{ file: "docs/flags.md", content }], "npm run docs:flags");
