// HTTP basic authentication against bcrypt hashes (basic_auth_users).
//
// - An unknown user costs the same as a wrong password: the password is
//   compared with a configured hash of the most common cost anyway, so
//   response times do not tell which user names exist.
// - bcrypt is slow on purpose (cost 10 is ~75 ms in JavaScript), so results
//   are cached, keyed by a SHA-256 of user, hash and password (the password
//   itself is never kept), in a bounded LRU; identical checks in flight share
//   one computation; and computations run one at a time, so a flood of wrong
//   passwords costs at most one core while cached scrapes still pass.
import { compare } from "bcryptjs";
import { createHash } from "node:crypto";

/** bcrypt only looks at 72 bytes; Go's bcrypt rejects longer passwords, and so do we. */
const MAX_PASSWORD_BYTES = 72;
const DEFAULT_CACHE_SIZE = 1024;
/** Bounds the Authorization header we decode (the server caps all headers too). */
const MAX_CREDENTIALS_LENGTH = 1024;

export type Verify = (password: string, hash: string) => Promise<boolean>;

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

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
  private readonly cache = new Map<string, boolean>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly decoyHash: string;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly options: { readonly cacheSize?: number; readonly verify?: Verify } = {},
  ) {
    const decoy = mostCommonCostHash([...users.values()]);
    if (decoy === undefined) throw new Error("BasicAuth needs at least one user");
    this.decoyHash = decoy;
  }

  /** Whether the Authorization header carries a configured user and its password. */
  async check(header: string | undefined): Promise<boolean> {
    const credentials = parseBasicAuth(header);
    if (credentials === undefined) return false;
    const { user, password } = credentials;
    if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
    const userHash = this.users.get(user);
    const hash = userHash ?? this.decoyHash;
    const key = createHash("sha256").update(user).update("\0").update(hash).update("\0").update(password).digest("hex");
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached && userHash !== undefined;
    }
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.serialized(() => (this.options.verify ?? compare)(password, hash))
        .then((matches) => {
          this.remember(key, matches);
          return matches;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const matches = await pending;
    // The decoy hash belongs to a real user: a match there is still a failure.
    return matches && userHash !== undefined;
  }

  private serialized(work: () => Promise<boolean>): Promise<boolean> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run.catch(() => false);
  }

  private remember(key: string, value: boolean): void {
    if (this.cache.size >= (this.options.cacheSize ?? DEFAULT_CACHE_SIZE)) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, value);
  }
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
