// One rendering per snapshot, shared by the scrapes that share the snapshot.
//
// Scrapes that arrive while a collection is running wait for the next one and
// all get it (SnapshotSource.snapshot(): every answer was read after its request
// arrived). They would then render the same samples once each, and gzip the
// same text once each: the rendering is most of a scrape's CPU after the reads
// (docs/performance.md). So the text is rendered once per snapshot, and gzipped
// at most once. A lone scraper (Prometheus, every 15 s) is unaffected; Prometheus
// pairs scraping together and floods of scrapers cost one rendering per
// collection, not one per request.
//
// Held by the snapshot object itself (a WeakMap): once the scrapes sharing it are
// answered, both go with it.
import { constants as zlibConstants, gzipSync } from "node:zlib";
import type { Snapshot } from "../snapshot/snapshot.js";

/**
 * Fastest deflate: a host's exposition shrinks to about a quarter either way,
 * and level 1 costs half the CPU of zlib's default 6 (docs/performance.md).
 */
const GZIP_LEVEL = zlibConstants.Z_BEST_SPEED;

export class Exposition {
  private compressed: Buffer | undefined;

  constructor(readonly text: string) {}

  /** Compressed on the first call. */
  gzipped(): Buffer {
    this.compressed ??= gzipSync(this.text, { level: GZIP_LEVEL });
    return this.compressed;
  }
}

export class SharedExpositions {
  private readonly bySnapshot = new WeakMap<Snapshot, Promise<Exposition>>();

  constructor(private readonly render: (snapshot: Snapshot) => Promise<string>) {}

  /** The exposition of `snapshot`, rendered on the first call for it. A failed rendering fails each caller. */
  of(snapshot: Snapshot): Promise<Exposition> {
    let exposition = this.bySnapshot.get(snapshot);
    if (exposition === undefined) {
      exposition = this.render(snapshot).then((text) => new Exposition(text));
      this.bySnapshot.set(snapshot, exposition);
    }
    return exposition;
  }
}
