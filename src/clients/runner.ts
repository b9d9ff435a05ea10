// Runs one vendor client in the background, off the scrape path: now, then
// every interval, at most one run in flight, each run bounded by a deadline
// and an output cap. A scrape only reads the last result.
//
// Timers are unref'd (a runner never keeps the process alive: `check` exits
// when its report is written) and stop() clears them and kills a run in
// flight.
import type { Logger } from "../log.js";
import { classifyOutcome, failureText, type ClientFailure } from "./classify.js";
import {
  CLIENT_ERROR_REASONS,
  type ClientDefinition,
  type ClientErrorReason,
  type InterpretContext,
} from "./definition.js";
import { runCommand, type RunCommandOptions } from "./exec.js";
import type { ClientView } from "./view.js";

export type RunResult = "success" | ClientErrorReason;
export const RUN_RESULTS: readonly RunResult[] = ["success", ...CLIENT_ERROR_REASONS];

export type RunOutcome = { readonly ok: true; readonly view: ClientView } | ({ readonly ok: false } & ClientFailure);

export interface LastRun {
  readonly finishedAtMs: number;
  readonly durationSeconds: number;
  readonly outcome: RunOutcome;
}

/** What a scrape reads: the last finished run and how every run so far went. */
export interface ClientRunnerState {
  readonly binary: string;
  readonly intervalSeconds: number;
  /** Runs since start by result, every result present (0 when none). */
  readonly runs: ReadonlyMap<RunResult, number>;
  /** undefined until the first run finishes. */
  readonly last: LastRun | undefined;
}

export interface ClientStateSource {
  state(): ClientRunnerState;
}

export interface ClientRunnerOptions {
  readonly definition: ClientDefinition;
  readonly binary: string;
  readonly intervalMs: number;
  /** Deadline of one run, all its commands together. */
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly context: InterpretContext;
  readonly log: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Observes each command's pid (tests). */
  readonly onSpawn?: (pid: number) => void;
}

export class ClientRunner implements ClientStateSource {
  private last: LastRun | undefined;
  /**
   * Runs by result: success from the start (at 0), a failure reason from the first run that failed for it.
   * Nine failure reasons at 0 on every host with a client would be 90,000 series in a fleet of 10,000;
   * livepatch_client_up and livepatch_client_error are what alerts read.
   */
  private readonly runs = new Map<RunResult, number>([["success", 0]]);
  private inFlight: Promise<LastRun | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private warnedLingering = false;
  private readonly abort = new AbortController();
  private readonly log: Logger;

  constructor(private readonly options: ClientRunnerOptions) {
    this.log = options.log.child({ client: options.definition.name });
  }

  get binary(): string {
    return this.options.binary;
  }

  state(): ClientRunnerState {
    return {
      binary: this.options.binary,
      intervalSeconds: this.options.intervalMs / 1000,
      runs: new Map(
        RUN_RESULTS.flatMap((result) => (this.runs.has(result) ? [[result, this.runs.get(result) ?? 0]] : [])),
      ),
      last: this.last,
    };
  }

  /** Runs now, then every interval after each run ends. */
  start(): void {
    if (this.stopped || this.timer !== undefined || this.inFlight !== undefined) return;
    const tick = (): void => {
      this.timer = undefined;
      void this.runOnce()
        .catch((error: unknown) => {
          this.log.error({ err: error instanceof Error ? error.message : String(error) }, "client run crashed");
        })
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, this.options.intervalMs);
          this.timer.unref();
        });
    };
    tick();
  }

  /** One run, or the one already in flight. Resolves to undefined when stopped before it finished. */
  runOnce(): Promise<LastRun | undefined> {
    if (this.stopped) return Promise.resolve(this.last);
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Clears the timer and kills the run in flight, if any. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
  }

  private async run(): Promise<LastRun | undefined> {
    const now = this.options.now ?? Date.now;
    const started = process.hrtime.bigint();
    const deadline = Date.now() + this.options.timeoutMs;
    const { definition } = this.options;
    const context: InterpretContext = { ...this.options.context, nowMs: now() };
    const outputs: string[] = [];
    let outcome: RunOutcome | undefined;
    for (const args of definition.commands) {
      const command: RunCommandOptions = {
        timeoutMs: Math.max(1, deadline - Date.now()),
        maxOutputBytes: this.options.maxOutputBytes,
        signal: this.abort.signal,
        ...(this.options.env === undefined ? {} : { env: this.options.env }),
        ...(this.options.onSpawn === undefined ? {} : { onSpawn: this.options.onSpawn }),
      };
      const result = await runCommand([this.options.binary, ...args], command);
      if (result.kind === "aborted") return undefined;
      if (result.kind === "exited" && result.lingering !== undefined) this.noteLingering(args, result.lingering);
      const answer = result.kind === "exited" ? this.answer(`${result.stdout}\n${result.stderr}`, context) : undefined;
      if (answer !== undefined) {
        outcome = { ok: true, view: answer };
        break;
      }
      const failure = classifyOutcome(definition, result);
      if (failure !== undefined) {
        outcome = { ok: false, ...failure, message: `${[definition.name, ...args].join(" ")}: ${failure.message}` };
        break;
      }
      if (result.kind === "exited") outputs.push(result.stdout);
    }
    if (outcome === undefined) {
      const view = await this.interpret(outputs, context);
      if (view !== undefined) outcome = { ok: true, view };
      else {
        // Exit status 0 with a failure text instead of a status ("Machine is not enabled").
        const text = outputs.join("\n");
        outcome = {
          ok: false,
          reason: failureText(definition, text) ?? "unparseable",
          message: `${definition.name}: output not understood: ${JSON.stringify(text.trim().slice(0, 120))}`,
        };
      }
    }
    const last: LastRun = {
      finishedAtMs: now(),
      durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      outcome,
    };
    this.record(last);
    return last;
  }

  /** Processes the command left holding its output: warned once per client, then at debug. */
  private noteLingering(args: readonly string[], count: number): void {
    const entry = { command: [this.options.definition.name, ...args].join(" "), killed: count };
    const message = "client exited but left processes holding its output; killed them and closed the pipes";
    if (this.warnedLingering) this.log.debug(entry, message);
    else this.log.warn(entry, message);
    this.warnedLingering = true;
  }

  /** A parser that throws on some odd output is a bug, but that output is still just "not understood". */
  private async interpret(outputs: readonly string[], context: InterpretContext): Promise<ClientView | undefined> {
    const { loadParser } = this.options.definition;
    try {
      await loadParser?.(outputs);
    } catch (error) {
      // A broken installation: the output may be fine, but cannot be read.
      this.log.error(
        { err: error instanceof Error ? error.message : String(error) },
        "client output parser cannot be loaded",
      );
      return undefined;
    }
    return this.guarded(() => this.options.definition.interpret(outputs, context));
  }

  /** The client's own answer for the whole run (an unsupported kernel), if this output is one. */
  private answer(text: string, context: InterpretContext): ClientView | undefined {
    const { answer } = this.options.definition;
    return answer === undefined ? undefined : this.guarded(() => answer(text, context));
  }

  private guarded(parse: () => ClientView | undefined): ClientView | undefined {
    try {
      return parse();
    } catch (error) {
      this.log.error({ err: error instanceof Error ? error.message : String(error) }, "client output parser failed");
      return undefined;
    }
  }

  /** Keeps the result and logs changes once: a failure when it starts or changes reason, a recovery. */
  private record(run: LastRun): void {
    const previous = this.last?.outcome;
    this.last = run;
    const result: RunResult = run.outcome.ok ? "success" : run.outcome.reason;
    this.runs.set(result, (this.runs.get(result) ?? 0) + 1);
    const fields = { binary: this.options.binary, durationSeconds: Number(run.durationSeconds.toFixed(3)) };
    if (!run.outcome.ok) {
      const repeated = previous !== undefined && !previous.ok && previous.reason === run.outcome.reason;
      const entry = { ...fields, reason: run.outcome.reason, err: run.outcome.message };
      if (repeated) this.log.debug(entry, "client run failed again");
      else this.log.warn(entry, "client run failed");
    } else if (previous?.ok !== true) {
      this.log.info(fields, previous === undefined ? "client run succeeded" : "client run succeeded again");
    } else {
      this.log.debug(fields, "client run succeeded");
    }
  }
}
