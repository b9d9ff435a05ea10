// Distribution version ordering for kernel release strings. Semver and plain
// string order both get kernels wrong ("6.1.0-9" < "6.1.0-10" numerically,
// "~rc" before the release); these are the algorithms the package managers use.

export type VersionScheme = "dpkg" | "rpm";

/** Returns <0, 0 or >0 as a sorts before, equal to or after b. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  return scheme === "rpm" ? rpmVerCmp(a, b) : dpkgVerRevCmp(a, b);
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));

/** dpkg's verrevcmp() (lib/dpkg/version.c): "~" sorts before everything, even the end. */
export function dpkgVerRevCmp(a: string, b: string): number {
  const order = (c: string | undefined): number => {
    if (c === undefined || isDigit(c)) return 0;
    if (isAlpha(c)) return c.charCodeAt(0);
    if (c === "~") return -1;
    return c.charCodeAt(0) + 256;
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i += 1;
      j += 1;
    }
    while (a[i] === "0") i += 1;
    while (b[j] === "0") j += 1;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i += 1;
      j += 1;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** rpm's rpmvercmp() (rpmio/rpmvercmp.c), with "~" (pre-release) and "^" (post-release). */
export function rpmVerCmp(a: string, b: string): number {
  if (a === b) return 0;
  const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== "~" && a[i] !== "^") i += 1;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== "~" && b[j] !== "^") j += 1;
    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i += 1;
      j += 1;
      continue;
    }
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i += 1;
      j += 1;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const inSegment = numeric ? isDigit : isAlpha;
    const startA = i;
    const startB = j;
    while (inSegment(a[i])) i += 1;
    while (inSegment(b[j])) j += 1;
    // A numeric segment is newer than an alphabetic one.
    if (j === startB) return numeric ? 1 : -1;
    let segA = a.slice(startA, i);
    let segB = b.slice(startB, j);
    if (numeric) {
      segA = segA.replace(/^0+/, "");
      segB = segB.replace(/^0+/, "");
      if (segA.length !== segB.length) return segA.length > segB.length ? 1 : -1;
    }
    if (segA !== segB) return segA < segB ? -1 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** Picks the ordering of the host's package manager from os-release ID and ID_LIKE. */
export function versionSchemeFor(osId: string | undefined, osIdLike: string | undefined): VersionScheme {
  const ids = `${osId ?? ""} ${osIdLike ?? ""}`.toLowerCase().split(/\s+/);
  const rpmFamilies = ["rhel", "fedora", "centos", "suse", "opensuse", "sles", "amzn", "mariner", "azurelinux", "ol"];
  return ids.some((id) => rpmFamilies.includes(id)) ? "rpm" : "dpkg";
}
