// HTTP basic authentication against bcrypt hashes (basic_auth_users), built
// so that it cannot be used to deny service.
//
// - bcrypt is slow on purpose (cost 10 is ~75 ms in JavaScript). Valid
//   credentials are remembered: a scrape with them costs one HMAC, no bcrypt.
//   The cache is keyed by an HMAC (with a key drawn at start) of user, hash and
//   password, so neither passwords nor anything that could be attacked faster
//   than bcrypt is kept; it holds only credentials that matched, so a flood of
//   wrong passwords cannot evict them; and it is bounded.
// - A reload of the web configuration keeps the remembered credentials of
//   users whose hash is unchanged and drops every other: a changed password or
//   a removed user is refused at once.
// - Recent failures are remembered too (a separate bounded cache): a client
//   retrying the same wrong password costs nothing.
// - Everything else needs a bcrypt comparison, on the process's bcrypt budget
//   (src/web/bcrypt.ts: a worker thread, one at a time, a short queue); when
//   it is spent the answer is "busy" (429) at once. Identical checks in flight
//   share one comparison.
// - An unknown user costs the same as a wrong password: the password is
//   compared with a configured hash of the most common cost anyway, so
//   response times do not tell which user names exist.
import { createHmac, randomBytes } from "node:crypto";
import { sharedBcryptQueue, type BcryptQueue } from "./bcrypt.js";

/** bcrypt only looks at 72 bytes; Go's bcrypt rejects longer passwords, and so do we. */
const MAX_PASSWORD_BYTES = 72;
/** Valid credentials: one per user and password in use; generous for any scrape setup. */
const DEFAULT_VALID_CACHE_SIZE = 256;
const DEFAULT_INVALID_CACHE_SIZE = 1024;
/** Bounds the Authorization header we decode (the server caps all headers too). */
const MAX_CREDENTIALS_LENGTH = 1024;

/** allowed: pass; denied: 401; busy: the bcrypt budget is spent, 429. */
export type AuthVerdict = "allowed" | "denied" | "busy";

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface BasicAuthOptions {
  /** Where comparisons run; the process's shared budget by default. */
  readonly bcrypt?: Pick<BcryptQueue, "tryCompare">;
  /** The configuration this one replaces: its remembered credentials of unchanged users carry over. */
  readonly previous?: BasicAuth;
  readonly validCacheSize?: number;
  readonly invalidCacheSize?: number;
}

/** Drawn once per process: cache keys mean nothing outside it. */
let cacheKeySecret: Buffer | undefined;

/** "Basic <base64 user:password>" -> credentials; undefined when malformed or absent. */
export function parseBasicAuth(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  const encoded = match?.[1];
  if (encoded === undefined || encoded.length > MAX_CREDENTIALS_LENGTH) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class BasicAuth {
  /** Cache key -> the user and hash it matched; insertion order is least recently used first. */
  private readonly valid = new Map<string, { readonly user: string; readonly hash: string }>();
  private readonly invalid = new Set<string>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly decoyHash: string;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly options: BasicAuthOptions = {},
  ) {
    const decoy = mostCommonCostHash([...users.values()]);
    if (decoy === undefined) throw new Error("BasicAuth needs at least one user");
    this.decoyHash = decoy;
    for (const [key, entry] of options.previous?.valid ?? []) {
      if (users.get(entry.user) === entry.hash) this.valid.set(key, entry);
    }
  }

  /** Whether the Authorization header carries a configured user and its password; synchronous when cached. */
  check(header: string | undefined): AuthVerdict | Promise<AuthVerdict> {
    const credentials = parseBasicAuth(header);
    if (credentials === undefined) return "denied";
    const { user, password } = credentials;
    if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return "denied";
    const userHash = this.users.get(user);
    const hash = userHash ?? this.decoyHash;
    const key = cacheKey(user, hash, password);
    const valid = this.valid.get(key);
    if (valid !== undefined) {
      // Refresh its place in the LRU order.
      this.valid.delete(key);
      this.valid.set(key, valid);
      return "allowed";
    }
    if (this.invalid.has(key)) return "denied";
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      const comparison = (this.options.bcrypt ?? sharedBcryptQueue()).tryCompare(password, hash);
      if (comparison === undefined) return "busy";
      pending = comparison
        .then((matches) => {
          // The decoy hash belongs to a real user: a match there is still a failure.
          const ok = matches && userHash !== undefined;
          if (ok) remember(this.valid, key, { user, hash }, this.options.validCacheSize ?? DEFAULT_VALID_CACHE_SIZE);
          else remember(this.invalid, key, undefined, this.options.invalidCacheSize ?? DEFAULT_INVALID_CACHE_SIZE);
          return ok;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending.then((ok) => (ok ? "allowed" : "denied"));
  }
}

function cacheKey(user: string, hash: string, password: string): string {
  cacheKeySecret ??= randomBytes(32);
  return createHmac("sha256", cacheKeySecret)
    .update(user)
    .update("\0")
    .update(hash)
    .update("\0")
    .update(password)
    .digest("base64");
}

/** Adds to a bounded cache in LRU order (a Map or a Set), evicting the least recently used. */
function remember<V>(cache: Map<string, V> | Set<string>, key: string, value: V, size: number): void {
  if (cache.size >= size) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  if (cache instanceof Map) cache.set(key, value);
  else cache.add(key);
}

/** A hash whose cost most users have: the decoy for unknown users then takes the usual time. */
function mostCommonCostHash(hashes: readonly string[]): string | undefined {
  const byCost = new Map<string, string[]>();
  for (const hash of hashes) {
    const cost = hash.split("$")[2] ?? "";
    byCost.set(cost, [...(byCost.get(cost) ?? []), hash]);
  }
  let best: string[] = [];
  for (const group of byCost.values()) if (group.length > best.length) best = group;
  return best[0];
}
