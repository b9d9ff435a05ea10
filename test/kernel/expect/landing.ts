// Landing page expectations: key text a person reads on "/".
import assert from "node:assert/strict";

/** The page's text without markup, entities decoded. */
export function pageText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, "")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&mdash;/g, "\u2014")
    .replace(/&middot;/g, "\u00b7")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ");
}

export function assertLanding(html: string, expected: readonly string[]): void {
  const text = pageText(html);
  for (const wanted of expected) assert.ok(text.includes(wanted), `landing page lacks "${wanted}":\n${text}`);
}
