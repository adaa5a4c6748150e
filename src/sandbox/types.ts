/** Why a program (or a run of it) was refused. A closed set: the self-play core counts by it. */
export type VerdictReason =
  | 'syntax'
  | 'forbidden'
  | 'timeout'
  | 'memory'
  | 'stack'
  | 'runtime-error'
  | 'nondeterministic'
  | 'output-not-plain'
  | 'output-too-large'
  | 'sandbox-crash';

export const VERDICT_REASONS: readonly VerdictReason[] = [
  'syntax',
  'forbidden',
  'timeout',
  'memory',
  'stack',
  'runtime-error',
  'nondeterministic',
  'output-not-plain',
  'output-too-large',
  'sandbox-crash',
];

/** One program on one argument list. `input` is literal text, as written between a call's parentheses. */
export interface RunRequest {
  program: string;
  input: string;
}

/** `output` is the canonical serialisation of `f(...input)`: valid literal syntax itself. */
export type Verdict =
  | { ok: true; output: string }
  | { ok: false; reason: VerdictReason; message: string };

/**
 * Validates programs in batches: static checks, the input parsed as data, two runs in fresh QuickJS
 * runtimes that must agree, a plain output. Never rejects for a bad program; one verdict per request.
 */
export interface Executor {
  runBatch(requests: RunRequest[]): Promise<Verdict[]>;
  dispose(): Promise<void> | void;
}

export interface ExecutorLimits {
  /** Interrupt-handler calls allowed per run. Counted, not timed, so a verdict never depends on load. */
  budget: number;
  /** QuickJS heap limit per run, bytes. */
  memoryBytes: number;
  /** QuickJS stack limit per run, bytes. Above ≈ 384 KB a guest recursion overflows the host's stack. */
  stackBytes: number;
  /** Cap on the canonical output, characters. */
  maxOutputChars: number;
  /** Cap on the program text, characters. */
  maxProgramChars: number;
  /** Cap on the input (argument list) text, characters. */
  maxInputChars: number;
  /**
   * Wall-clock backstop per program (both runs together), ms. Only work that never reaches the
   * interrupt handler (a long native call such as `indexOf` on a 2^32-long sparse array) gets here;
   * the client then kills the sandbox worker and answers `timeout`.
   */
  deadlineMs: number;
}

/**
 * Defaults, part of the executor's contract (printed by the CLIs' `--help`).
 * budget: QuickJS calls the handler once per ≈ 10^4 loop iterations or calls; measured here (2 shared
 * cores, load ≈ 3.7) one call costs 0.18–2.2 ms depending on the loop body, median ≈ 0.55 ms, so 100
 * calls ≈ 55 ms of typical work (`while(true){}` stops after ≈ 18 ms, a property-write loop after ≈ 210 ms).
 */
export const DEFAULT_LIMITS: Readonly<ExecutorLimits> = Object.freeze({
  budget: 100,
  memoryBytes: 16 * 1024 * 1024,
  stackBytes: 256 * 1024,
  maxOutputChars: 10_000,
  maxProgramChars: 2_000,
  maxInputChars: 10_000,
  deadlineMs: 3_000,
});

export function resolveLimits(overrides: Partial<ExecutorLimits> = {}): ExecutorLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ExecutorLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`executor limit ${key} must be a positive integer, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

export function fail(reason: VerdictReason, message: string): Verdict {
  return { ok: false, reason, message };
}
