// The error every problem with --web.config.file is reported as, naming the
// key it is about. A module of its own: the process recognises it (exit code
// 2) without loading the parser and the YAML library, which only a process
// given --web.config.file loads (src/web/front.ts).
export class WebConfigError extends Error {
  override readonly name = "WebConfigError";
  constructor(
    /** The key the error is about, dotted ("tls_server_config.min_version"), or "yaml" for syntax. */
    readonly key: string,
    detail: string,
  ) {
    super(`${key}: ${detail}`);
  }
}
