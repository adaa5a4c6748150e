/**
 * The in-worker runner: one program on one argument list in a fresh QuickJS context per run, with
 * memory, stack and interrupt-call limits. Synchronous; the caller picks the QuickJS build (variant)
 * and loads it once. Every handle is disposed in `finally`, because one leaked handle aborts the
 * module when its runtime is freed.
 */
import { DefaultIntrinsics, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten-core';
import { canonical, MAX_LITERAL_DEPTH, parseArgList, parseLiteral } from './literal';
import { buildHardenSource, mayReuseContext } from './harden';
import { buildTrustedSource } from './judge';
import { checkProgram } from './static';
import { fail, resolveLimits, type Executor, type ExecutorLimits, type RunRequest, type Verdict, type VerdictReason } from './types';

/** What a runner needs: anything that makes runtimes (a loaded module, or a leak-checking test wrapper). */
export type RuntimeFactory = Pick<QuickJSWASMModule, 'newRuntime'>;

export interface RunnerOptions {
  /**
   * Run programs in one reused, hardened context (see `harden.ts`) instead of a fresh context each,
   * falling back to a fresh context for any run whose result could differ. Default true; verdicts are
   * the same either way.
   */
  reuseContexts?: boolean;
}

/** Counts of where runs went; `fresh` includes the fallbacks counted by the fields after it. */
export interface RunStats {
  /** Runs answered by the reused context. */
  reused: number;
  /** Runs answered by a fresh context. */
  fresh: number;
  /** Fresh because the program has a `try`. */
  notEligible: number;
  /** Fresh because the reused run read a watched built-in. */
  tainted: number;
  /** Fresh because the reused run failed (a thrown error, a refused output, a failed load). */
  failedReused: number;
  /** Fresh because the reused run finished on the budget's last interrupt call (see runReused). */
  budgetEdge: number;
  /** Reused contexts built (each costs ≈ 5 ms). */
  hardenings: number;
}

/**
 * No Date (a clock), no Promise (work after the run), no Proxy (traps inside the trusted judge), no
 * typed arrays (never plain output; leaving them out makes a context ≈ 40% cheaper to create).
 */
export const INTRINSICS = { ...DefaultIntrinsics, Date: false, Promise: false, Proxy: false, TypedArrays: false };

/**
 * Interrupt-handler calls allowed while the trusted serialiser reads an output. Its work is bounded
 * by the output cap (a 10,000-character output costs a few calls), so this is a backstop, not a budget.
 */
const JUDGE_CALLS = 1_000;

/** Interrupt-handler calls allowed while a reused context is hardened (≈ 5 ms of work; a backstop). */
const HARDEN_CALLS = 10_000;

/** A long-lived runtime is replaced after this many runs, so nothing that accrues in it grows without bound. */
const RUNS_PER_RUNTIME = 5_000;

/** Memory the trusted context itself may use, on top of the program's limit. */
const TRUSTED_ALLOWANCE_BYTES = 1024 * 1024;

const TAGS: Record<string, VerdictReason> = {
  n: 'output-not-plain',
  l: 'output-too-large',
  s: 'stack',
  m: 'memory',
  e: 'runtime-error',
};

/**
 * Runs programs in one QuickJS runtime with a fresh context per run; the trusted serialiser is
 * compiled once per runtime (compiling it per run would cost ≈ 0.6 ms, more than the run itself).
 * Interrupt calls are counted per run and only while guest code of that run executes, from a fresh
 * context's counter, so a verdict does not depend on what ran before. Memory is the one shared
 * quantity: cyclic garbage of an earlier run may linger until QuickJS's next GC, so a program within
 * a few hundred KB of the memory limit may see it differ (then the two-run check says
 * `nondeterministic`).
 */
export class QuickJSRunner {
  readonly limits: ExecutorLimits;
  /** Where runs went: a reused hardened context, or a fresh one (and why), over this runner's life. */
  readonly stats: RunStats = { reused: 0, fresh: 0, notEligible: 0, tainted: 0, failedReused: 0, budgetEdge: 0, hardenings: 0 };
  private readonly module: RuntimeFactory;
  private readonly options: Required<RunnerOptions>;
  private state: TrustedRuntime | undefined;
  private runs = 0;

  constructor(module: RuntimeFactory, limits: Partial<ExecutorLimits> = {}, options: RunnerOptions = {}) {
    this.module = module;
    this.limits = resolveLimits(limits);
    this.options = { reuseContexts: options.reuseContexts ?? true };
  }

  /**
   * The full check of one request: static checks, the input parsed as data, two runs in fresh
   * contexts with different Math.random seeds that must agree, a plain output within the cap.
   */
  validate(request: RunRequest): Verdict {
    const limits = this.limits;
    if (typeof request?.program !== 'string' || typeof request.input !== 'string') {
      return fail('syntax', 'a request needs a program and an input, both strings');
    }
    const statics = checkProgram(request.program, limits.maxProgramChars);
    if (!statics.ok) return fail(statics.reason, statics.message);
    if (request.input.length > limits.maxInputChars) {
      return fail('forbidden', `the input is ${request.input.length} characters; the cap is ${limits.maxInputChars}`);
    }
    const args = parseArgList(request.input);
    if (!args.ok) return fail('syntax', `the input is not a list of literals: ${args.message}`);
    const argsJson = JSON.stringify(args.value);
    const first = this.run(request.program, argsJson, 1);
    if (!first.ok) return first;
    const second = this.run(request.program, argsJson, 2);
    if (!second.ok) {
      return fail('nondeterministic', `the first run gave ${clip(first.output)}, the second failed (${second.reason}: ${second.message})`);
    }
    if (second.output !== first.output) {
      return fail('nondeterministic', `two runs disagree: ${clip(first.output)} vs ${clip(second.output)}`);
    }
    return first;
  }

  /**
   * One run of `f(...args)` in a fresh context. `argsJson` is JSON of an already-parsed argument list,
   * handed to the guest's own JSON.parse: data, never spliced into code. `seed` seeds Math.random.
   */
  run(program: string, argsJson: string, seed: number): Verdict {
    if (this.state !== undefined && this.runs >= RUNS_PER_RUNTIME) this.dispose();
    this.state ??= new TrustedRuntime(this.module, this.limits, this.options.reuseContexts, this.stats);
    this.runs++;
    return this.state.run(program, argsJson, seed);
  }

  /** Frees the runtime; the next run makes a new one. */
  dispose(): void {
    const state = this.state;
    this.state = undefined;
    this.runs = 0;
    state?.dispose();
  }
}

class TrustedRuntime {
  private readonly runtime: QuickJSRuntime;
  private readonly trusted: QuickJSContext;
  private readonly serialize: QuickJSHandle;
  private readonly describe: QuickJSHandle;
  private readonly limits: ExecutorLimits;
  private readonly reuseContexts: boolean;
  private readonly stats: RunStats;
  private reused: ReusedContext | undefined;
  private hardeningFailed = false;
  private calls = 0;
  private allowed = 0;

  constructor(module: RuntimeFactory, limits: ExecutorLimits, reuseContexts: boolean, stats: RunStats) {
    this.limits = limits;
    this.reuseContexts = reuseContexts;
    this.stats = stats;
    this.runtime = module.newRuntime();
    let trusted: QuickJSContext | undefined;
    try {
      this.runtime.setMemoryLimit(limits.memoryBytes + TRUSTED_ALLOWANCE_BYTES);
      this.runtime.setMaxStackSize(limits.stackBytes);
      this.runtime.setInterruptHandler(() => ++this.calls > this.allowed);
      this.allow(JUDGE_CALLS);
      const context = this.runtime.newContext();
      trusted = context;
      const source = buildTrustedSource(limits.maxOutputChars, MAX_LITERAL_DEPTH);
      const judge = context.unwrapResult(context.evalCode(source, 'azr-trusted.js', { type: 'global', strict: true }));
      [this.serialize, this.describe] = withHandles([judge], ([j]) => [context.getProp(j, 'serialize'), context.getProp(j, 'describe')]);
      this.trusted = context;
    } catch (error) {
      trusted?.dispose();
      this.runtime.dispose();
      throw error;
    }
  }

  dispose(): void {
    this.discardReused();
    this.serialize.dispose();
    this.describe.dispose();
    this.trusted.dispose();
    this.runtime.dispose();
  }

  private discardReused(): void {
    const reused = this.reused;
    this.reused = undefined;
    reused?.dispose();
    this.runtime.setMemoryLimit(this.limits.memoryBytes + TRUSTED_ALLOWANCE_BYTES);
  }

  /** Counting starts afresh; `allowed` is the run's budget or, while judging, the backstop. */
  private allow(calls: number): void {
    this.calls = 0;
    this.allowed = calls;
  }

  private timedOut(): boolean {
    return this.calls > this.allowed;
  }

  run(program: string, argsJson: string, seed: number): Verdict {
    if (this.reuseContexts) {
      if (mayReuseContext(program)) {
        const verdict = this.runReused(program, argsJson, seed);
        if (verdict !== undefined) {
          this.stats.reused++;
          return verdict;
        }
      } else this.stats.notEligible++;
    }
    this.stats.fresh++;
    return this.runFresh(program, argsJson, seed);
  }

  private runFresh(program: string, argsJson: string, seed: number): Verdict {
    this.allow(this.limits.budget);
    const context = this.runtime.newContext({ intrinsics: INTRINSICS });
    try {
      return this.runIn(context, program, argsJson, seed);
    } finally {
      context.dispose();
    }
  }

  /**
   * One run in the reused context, or `undefined` where a fresh context must answer instead: the
   * program threw, its output was refused, it failed to load, it read a watched built-in, or it
   * finished on the budget's last interrupt call. Running out of budget is answered here. A run that read a
   * watched built-in, ran out of memory, or failed to load also retires the reused context; the next
   * run hardens a new one.
   */
  private runReused(program: string, argsJson: string, seed: number): Verdict | undefined {
    let reused = this.reused;
    if (reused === undefined) {
      if (this.hardeningFailed) return undefined;
      // Its own memory is added to the limit, so a fresh context made beside it has today's headroom.
      const before = usedBytes(this.runtime);
      this.allow(HARDEN_CALLS);
      try {
        reused = new ReusedContext(this.runtime);
      } catch {
        // Not expected; if this build cannot harden a context, every run gets a fresh one.
        this.hardeningFailed = true;
        return undefined;
      }
      this.reused = reused;
      this.stats.hardenings++;
      this.runtime.setMemoryLimit(this.limits.memoryBytes + TRUSTED_ALLOWANCE_BYTES + Math.max(0, usedBytes(this.runtime) - before));
    }
    // QuickJS calls the interrupt handler every 10,000 ticks of a per-context countdown. A fresh
    // context calls it at its first tick; this one wherever the last run left the countdown, so the
    // same work makes the same number of calls as in a fresh context, or one fewer. Running out of
    // budget here means a fresh context runs out too, and finishing with a call to spare means it
    // finishes too; finishing on the budget's last call is the one case a fresh context must decide.
    this.allow(this.limits.budget);
    const outcome = reused.run(program, argsJson, seed);
    if (reused.tainted) {
      // It may have reached the global object; everything there is frozen but `f`, whose
      // attributes it could have changed. A new reused context is cheap insurance.
      if (outcome.kind === 'value') outcome.value.dispose();
      if (outcome.kind === 'thrown') outcome.error.dispose();
      this.stats.tainted++;
      this.discardReused();
      return undefined;
    }
    if (outcome.kind === 'value') {
      if (this.calls === this.limits.budget) {
        outcome.value.dispose();
        this.stats.budgetEdge++;
        return undefined;
      }
      const verdict = withHandles([outcome.value], ([value]) => this.judge(this.serialize, value, [reused.objectProto, reused.arrayProto]));
      if (verdict.ok) return verdict;
      this.stats.failedReused++;
      return undefined;
    }
    if (outcome.kind === 'thrown') {
      if (this.timedOut()) {
        outcome.error.dispose();
        return TIMEOUT;
      }
      this.stats.failedReused++;
      // A thrown error, or a stack overflow (checked on a call's entry), leaves the frozen context as it
      // was; running out of memory may happen inside QuickJS's own work, so that context is retired.
      const verdict = withHandles([outcome.error], ([error]) => this.judge(this.describe, error, [reused.internalErrorProto]));
      if (!verdict.ok && (verdict.reason === 'runtime-error' || verdict.reason === 'stack')) return undefined;
    } else this.stats.failedReused++;
    this.discardReused();
    return undefined;
  }

  /**
   * Everything the run needs from the fresh context is taken before the program is even loaded, so it
   * is pristine: JSON.parse for the arguments, Reflect.apply to call f, the original prototypes the
   * judge compares against. Math.random becomes a seeded host function. All through the API, no
   * guest source compiled but the program's.
   */
  private runIn(context: QuickJSContext, program: string, argsJson: string, seed: number): Verdict {
    const global = context.global;
    const handles: QuickJSHandle[] = [];
    const keep = (handle: QuickJSHandle) => {
      handles.push(handle);
      return handle;
    };
    const path = (...keys: string[]) => keys.reduce((object, key) => keep(context.getProp(object, key)), global);
    try {
      const random = keep(context.newFunction('random', seededRandom(context, seed)));
      context.defineProp(path('Math'), 'random', { value: random, configurable: true, enumerable: false });
      const args = context.callFunction(path('JSON', 'parse'), context.undefined, keep(context.newString(argsJson)));
      if (args.error) return this.hostFailure(context, args.error, 'the input could not be loaded');
      keep(args.value);
      const apply = path('Reflect', 'apply');
      const objectProto = path('Object', 'prototype');
      const arrayProto = path('Array', 'prototype');
      const internalErrorProto = path('InternalError', 'prototype');

      const defined = context.evalCode(program, 'f.js', { type: 'global', strict: true });
      if (defined.error) return this.hostFailure(context, defined.error, 'the program failed to load');
      defined.value.dispose();
      const f = keep(context.getProp(global, 'f'));
      if (context.typeof(f) !== 'function') return fail('forbidden', 'the program does not define a function f');
      const result = context.callFunction(apply, context.undefined, f, context.undefined, args.value);
      if (result.error) {
        if (this.timedOut()) {
          result.error.dispose();
          return TIMEOUT;
        }
        return this.judge(this.describe, keep(result.error), [internalErrorProto]);
      }
      return this.judge(this.serialize, keep(result.value), [objectProto, arrayProto]);
    } finally {
      disposeAll(handles);
    }
  }

  /** Hands a run's value to a trusted function and decodes its tagged answer. */
  private judge(fn: QuickJSHandle, value: QuickJSHandle, context: QuickJSHandle[]): Verdict {
    this.allow(JUDGE_CALLS);
    const answer = this.trusted.callFunction(fn, this.trusted.undefined, value, ...context);
    if (answer.error) return this.hostFailure(this.trusted, answer.error, 'judging the output failed');
    return withHandles([answer.value], ([tagged]) =>
      decode(this.trusted.typeof(tagged) === 'string' ? this.trusted.getString(tagged) : '', this.limits),
    );
  }

  /**
   * An exception outside the program's own call: the interrupt, a syntax error at load, running out
   * of memory or stack while loading the input or judging. No program code has run in the context
   * that made it (or it is the trusted one), so reading its name and message calls no guest code.
   */
  private hostFailure(context: QuickJSContext, error: QuickJSHandle, what: string): Verdict {
    return withHandles([error], ([e]) => {
      if (this.timedOut()) return TIMEOUT;
      const name = readString(context, e, 'name');
      const message = readString(context, e, 'message') ?? '';
      if (message === 'out of memory') return fail('memory', `${what}: out of memory`);
      if (message === 'stack overflow') return fail('stack', `${what}: stack overflow`);
      if (name === 'SyntaxError') return fail('syntax', `${what}: SyntaxError: ${message}`);
      return fail('runtime-error', `${what}: ${name ?? 'error'}${message ? `: ${message}` : ''}`);
    });
  }
}

/** What a run in the reused context came to, before judging. */
type ReusedOutcome =
  | { kind: 'value'; value: QuickJSHandle }
  | { kind: 'thrown'; error: QuickJSHandle }
  | { kind: 'not-loaded' };

/**
 * The hardened context (`harden.ts`) and the handles a run needs from it, taken once: JSON.parse,
 * Reflect.apply and the prototypes the judge compares against, all before any program ran.
 */
class ReusedContext {
  readonly context: QuickJSContext;
  readonly objectProto: QuickJSHandle;
  readonly arrayProto: QuickJSHandle;
  readonly internalErrorProto: QuickJSHandle;
  tainted = false;
  private readonly handles: QuickJSHandle[] = [];
  private readonly parse: QuickJSHandle;
  private readonly apply: QuickJSHandle;
  private randomState = 1;

  constructor(runtime: QuickJSRuntime) {
    const context = runtime.newContext({ intrinsics: INTRINSICS });
    this.context = context;
    try {
      const keep = (handle: QuickJSHandle) => {
        this.handles.push(handle);
        return handle;
      };
      const path = (...keys: string[]) => keys.reduce((object, key) => keep(context.getProp(object, key)), context.global);
      this.parse = path('JSON', 'parse');
      this.apply = path('Reflect', 'apply');
      this.objectProto = path('Object', 'prototype');
      this.arrayProto = path('Array', 'prototype');
      this.internalErrorProto = path('InternalError', 'prototype');
      // The same generator as a fresh context's (seededRandom), its state reset by each run.
      const random = keep(context.newFunction('random', () => {
        this.randomState = xorshift32(this.randomState);
        return context.newNumber((this.randomState >>> 0) / 4294967296);
      }));
      const taint = keep(context.newFunction('taint', () => {
        this.tainted = true;
      }));
      const harden = keep(context.unwrapResult(context.evalCode(buildHardenSource(), 'azr-harden.js', { type: 'global', strict: true })));
      context.unwrapResult(context.callFunction(harden, context.undefined, random, taint)).dispose();
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Loads the program (its `function f` replaces the last one) and calls `f(...args)`. */
  run(program: string, argsJson: string, seed: number): ReusedOutcome {
    const context = this.context;
    this.tainted = false;
    this.randomState = seedState(seed);
    const argsText = context.newString(argsJson);
    const args = context.callFunction(this.parse, context.undefined, argsText);
    argsText.dispose();
    if (args.error) return { kind: 'thrown', error: args.error };
    try {
      const defined = context.evalCode(program, 'f.js', { type: 'global', strict: true });
      if (defined.error) {
        defined.error.dispose();
        return { kind: 'not-loaded' };
      }
      defined.value.dispose();
      const f = context.getProp(context.global, 'f');
      try {
        if (context.typeof(f) !== 'function') return { kind: 'not-loaded' };
        const result = context.callFunction(this.apply, context.undefined, f, context.undefined, args.value);
        return result.error ? { kind: 'thrown', error: result.error } : { kind: 'value', value: result.value };
      } finally {
        f.dispose();
      }
    } finally {
      args.value.dispose();
    }
  }

  dispose(): void {
    disposeAll(this.handles);
    if (this.context.alive) this.context.dispose();
  }
}

/** Bytes the runtime's allocator has in use (QuickJS's own count). */
function usedBytes(runtime: QuickJSRuntime): number {
  const match = /memory used\s+\d+\s+(\d+)/.exec(runtime.dumpMemoryUsage());
  return match ? Number(match[1]) : 0;
}

const TIMEOUT: Verdict = fail('timeout', 'interrupted: the run used its whole budget of interrupt-handler calls');

/** Math.random for one run: xorshift32 from a fixed seed, so each run is reproducible and two seeds differ. */
function seededRandom(context: QuickJSContext, seed: number): () => QuickJSHandle {
  let state = seedState(seed);
  return () => {
    state = xorshift32(state);
    return context.newNumber((state >>> 0) / 4294967296);
  };
}

function seedState(seed: number): number {
  return seed >>> 0 || 1;
}

function xorshift32(state: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state;
}

/** Runs `body` and disposes every handle afterwards, whatever happens. */
function withHandles<T>(handles: QuickJSHandle[], body: (handles: QuickJSHandle[]) => T): T {
  try {
    return body(handles);
  } finally {
    disposeAll(handles);
  }
}

function disposeAll(handles: QuickJSHandle[]): void {
  for (const handle of handles) if (handle.alive) handle.dispose();
}

/** The guest's tagged answer to a verdict. The output is re-read by the host's own parser. */
function decode(tagged: string, limits: ExecutorLimits): Verdict {
  const tag = tagged.charAt(0);
  const body = tagged.slice(1);
  if (tag !== 'o') {
    const reason = TAGS[tag];
    return reason ? fail(reason, body) : fail('sandbox-crash', 'the trusted judge returned no verdict');
  }
  const parsed = parseLiteral(body);
  if (!parsed.ok) return fail('output-not-plain', `the output is not a plain value: ${parsed.message}`);
  const output = canonical(parsed.value);
  if (output.length > limits.maxOutputChars) {
    return fail('output-too-large', `the output is ${output.length} characters; the cap is ${limits.maxOutputChars}`);
  }
  return { ok: true, output };
}

function readString(context: QuickJSContext, handle: QuickJSHandle, key: string): string | undefined {
  try {
    if (context.typeof(handle) !== 'object') return undefined;
    const result = context.getProp(handle, key);
    try {
      return context.typeof(result) === 'string' ? context.getString(result).slice(0, 300) : undefined;
    } finally {
      result.dispose();
    }
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * An executor that runs in the calling thread, with no wall-clock watchdog: for tests and benchmarks
 * of the runner itself. Untrusted batches go through the worker client (`node.ts`, `browser.ts`).
 */
export function createLocalExecutor(module: RuntimeFactory, limits: Partial<ExecutorLimits> = {}): Executor {
  const runner = new QuickJSRunner(module, limits);
  return {
    runBatch: (requests) => Promise.resolve(requests.map((request) => runner.validate(request))),
    dispose: () => runner.dispose(),
  };
}
