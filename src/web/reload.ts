// The web configuration in force, and its reloads.
//
// The file (and every certificate, key and CA file it names) is re-read when
// it changes: fs.watch on their directories reacts at once, a poll every few
// seconds catches what watching misses (symlink swaps of Kubernetes secrets,
// network filesystems), and SIGHUP asks for a check. A new version is used
// only when it is valid as a whole; otherwise the last good one stays in force,
// the error is logged once, and livepatch_exporter_web_config_reload_success
// turns 0.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readText } from "../fs/read.js";
import type { Logger } from "../log.js";
import { BasicAuth } from "./auth.js";
import { parseWebConfig, type WebConfig } from "./config.js";
import { WebConfigError } from "./config-error.js";
import { TokenBucket } from "./limits.js";
import { loadTlsMaterial, type TlsMaterial } from "./tls.js";

/** A web config file is a few hundred bytes; this is generous. */
const CONFIG_CAP_BYTES = 1024 * 1024;
const DEFAULT_POLL_INTERVAL_MS = 5000;
/** Editors write in several steps; wait for the burst of events to settle. */
const WATCH_DEBOUNCE_MS = 200;

export interface ActiveWebConfig {
  readonly config: WebConfig;
  readonly tls: TlsMaterial | undefined;
  readonly auth: BasicAuth | undefined;
  readonly rateLimiter: TokenBucket | undefined;
}

export interface WebConfigStatus {
  /** Whether the last reading of the file (at start or after a change) was valid and is in force. */
  readonly lastReloadSuccess: boolean;
  /** When the configuration in force was read, in milliseconds since the epoch. */
  readonly lastSuccessAtMs: number;
}

interface Reading {
  readonly fingerprint: string;
  readonly result: { ok: true; active: ActiveWebConfig } | { ok: false; error: WebConfigError };
}

/**
 * Reads and validates the file and everything it names. Never throws.
 * `previous`, the configuration in force, hands over what stays valid (the
 * remembered credentials of unchanged users).
 */
export function readWebConfig(configPath: string, previous?: ActiveWebConfig): Reading {
  const text = readText(configPath, CONFIG_CAP_BYTES);
  if (!text.ok) {
    return {
      fingerprint: `unreadable:${text.code}`,
      result: { ok: false, error: new WebConfigError("--web.config.file", `cannot read ${configPath} (${text.code})`) },
    };
  }
  const hash = createHash("sha256").update(text.text);
  try {
    const config = parseWebConfig(text.text, configPath);
    const tls = config.tls === undefined ? undefined : loadTlsMaterial(config.tls);
    for (const pem of tls?.pemTexts ?? []) hash.update("\0").update(pem);
    const active: ActiveWebConfig = {
      config,
      tls,
      auth:
        config.users.size === 0
          ? undefined
          : new BasicAuth(config.users, previous?.auth === undefined ? {} : { previous: previous.auth }),
      rateLimiter:
        config.rateLimit === undefined
          ? undefined
          : new TokenBucket(config.rateLimit.intervalMs, config.rateLimit.burst),
    };
    return { fingerprint: hash.digest("hex"), result: { ok: true, active } };
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error;
    // A file named by the config may be what changed: fold the error in, so a different failure is logged anew.
    return { fingerprint: hash.update(error.message).digest("hex"), result: { ok: false, error } };
  }
}

export interface WebConfigSourceOptions {
  readonly log: Logger;
  /** Why `next` cannot replace `current` without a restart, or undefined. */
  readonly compatible?: (current: ActiveWebConfig, next: ActiveWebConfig) => string | undefined;
  /** Called after a new configuration took effect. */
  readonly onReload?: (next: ActiveWebConfig) => void;
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
}

export class WebConfigSource {
  private active: ActiveWebConfig;
  private fingerprint: string;
  private lastSuccess = true;
  private lastSuccessAtMs: number;
  private failedFingerprint: string | undefined;
  private watchers: fs.FSWatcher[] = [];
  private watchedDirs = "";
  private started = false;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;

  /** Reads the file once; throws WebConfigError when it is invalid (start-up must stop). */
  constructor(
    readonly configPath: string,
    private readonly options: WebConfigSourceOptions,
  ) {
    const reading = readWebConfig(configPath);
    if (!reading.result.ok) throw reading.result.error;
    this.active = reading.result.active;
    this.fingerprint = reading.fingerprint;
    this.lastSuccessAtMs = (options.now ?? Date.now)();
  }

  get current(): ActiveWebConfig {
    return this.active;
  }

  status(): WebConfigStatus {
    return { lastReloadSuccess: this.lastSuccess, lastSuccessAtMs: this.lastSuccessAtMs };
  }

  /** Re-reads the files; switches to the new configuration when it changed and is valid. */
  reload(): "unchanged" | "reloaded" | "failed" {
    const reading = readWebConfig(this.configPath, this.active);
    if (reading.fingerprint === this.fingerprint) {
      // Back to the configuration in force (a bad edit was reverted).
      if (!this.lastSuccess) this.options.log.info({ file: this.configPath }, "web config is valid again");
      this.lastSuccess = true;
      this.failedFingerprint = undefined;
      return "unchanged";
    }
    const error = reading.result.ok
      ? this.options.compatible?.(this.active, reading.result.active)
      : reading.result.error.message;
    if (!reading.result.ok || error !== undefined) {
      this.lastSuccess = false;
      if (this.failedFingerprint !== reading.fingerprint) {
        this.failedFingerprint = reading.fingerprint;
        this.options.log.error(
          { file: this.configPath, err: error },
          "web config is invalid; keeping the last good configuration",
        );
      }
      return "failed";
    }
    this.active = reading.result.active;
    this.fingerprint = reading.fingerprint;
    this.lastSuccess = true;
    this.failedFingerprint = undefined;
    this.lastSuccessAtMs = (this.options.now ?? Date.now)();
    this.options.log.info({ file: this.configPath }, "web config reloaded");
    this.options.onReload?.(this.active);
    this.watchDirectories();
    return "reloaded";
  }

  /** Starts watching and polling; the timers do not keep the process alive. */
  start(): void {
    this.started = true;
    this.watchDirectories();
    this.poller = setInterval(() => this.reload(), this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.poller.unref();
  }

  close(): void {
    this.started = false;
    this.watchedDirs = "";
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  private watchDirectories(): void {
    if (!this.started) return;
    const files = [this.configPath];
    for (const source of [
      this.active.tls?.settings.cert,
      this.active.tls?.settings.key,
      this.active.tls?.settings.clientCa,
    ]) {
      if (source?.kind === "file") files.push(source.path);
    }
    const dirs = [...new Set(files.map((file) => path.dirname(path.resolve(file))))].sort();
    if (dirs.join("\0") === this.watchedDirs) return;
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    this.watchedDirs = dirs.join("\0");
    for (const dir of dirs) {
      try {
        const watcher = fs.watch(dir, { persistent: false }, () => this.scheduleReload());
        watcher.on("error", () => watcher.close()); // the poll still covers this directory
        this.watchers.push(watcher);
      } catch (error) {
        this.options.log.debug({ dir, err: String(error) }, "cannot watch directory; relying on polling");
      }
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), WATCH_DEBOUNCE_MS);
    this.debounce.unref();
  }
}
