// The published contract of `check --json` (docs/check-json.schema.json),
// compiled once with Ajv in strict mode, for every test that holds a report
// to it. The two formats the schema uses are checked for real: an ISO 8601
// UTC timestamp as Date#toISOString writes it, and a calendar date.
import fs from "node:fs";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";

export const CHECK_SCHEMA_FILE = new URL("../../docs/check-json.schema.json", import.meta.url);

export const CHECK_SCHEMA = JSON.parse(fs.readFileSync(CHECK_SCHEMA_FILE, "utf8")) as CheckSchema;

/** The parts of the schema the tests read. */
export interface CheckSchema {
  readonly $defs: {
    readonly section: { readonly enum: readonly string[] };
    readonly finding: {
      readonly properties: {
        readonly id: { readonly enum: readonly string[] };
        readonly runbook: { readonly oneOf: readonly { readonly pattern?: string }[] };
      };
    };
    readonly kinds: Readonly<Record<string, KindSchema>>;
  };
}

export interface KindSchema {
  readonly properties: {
    readonly section: { readonly const: string };
    readonly level: { readonly enum: readonly string[] };
    readonly subject: { readonly type: string | readonly string[] };
    readonly facts: { readonly required: readonly string[]; readonly properties: Readonly<Record<string, object>> };
  };
}

function isIsoTimestamp(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && new Date(value).toISOString() === value;
}

function isDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && isIsoTimestamp(`${value}T00:00:00.000Z`);
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat("date-time", isIsoTimestamp);
ajv.addFormat("date", isDate);
const validate = ajv.compile(CHECK_SCHEMA);

/** The schema's complaints about a report, one line each; empty when it conforms. */
export function schemaErrors(report: unknown): string[] {
  if (validate(report)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || "/"} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
}
