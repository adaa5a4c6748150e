/**
 * The executor's client: owns the sandbox worker and is its wall-clock watchdog. Some work never
 * reaches QuickJS's interrupt handler (one long native call), so past a deadline the client
 * terminates the worker, answers `timeout` for the program that was running, starts a fresh worker
 * and sends it the rest of the batch. A worker death that no deadline explains gives `sandbox-crash`
 * for the running program, then the same recovery. Generic over a tiny port, so one implementation
 * serves Node worker_threads (`node.ts`) and browser Web Workers (`browser.ts`).
 */
import type { FromSandbox, ToSandbox } from './protocol';
import { fail, resolveLimits, type Executor, type ExecutorLimits, type RunRequest, type Verdict } from './types';

/** One started worker, as the client sees it. */
export interface WorkerPort {
  post(message: ToSandbox): void;
  terminate(): void;
  /** Optional: whether the worker should keep its host alive (Node: ref/unref while a batch runs). */
  busy?(busy: boolean): void;
}

/** What a started worker reports: its messages, and its death (exit or uncaught error) with a reason. */
export interface WorkerEvents {
  message(message: FromSandbox): void;
  exit(reason: string): void;
}

export type SpawnWorker = (events: WorkerEvents) => WorkerPort;

export interface ExecutorOptions extends Partial<ExecutorLimits> {
  /** Called whenever the client replaces its worker (deadline, crash, `killWorker`), with the reason. */
  onRestart?: (message: string) => void;
  /** How long a fresh worker may take to load QuickJS before the batch is failed, ms. */
  startTimeoutMs?: number;
}

export interface SandboxExecutor extends Executor {
  /** Terminates the worker as a crash would (the running program, if any, gets `sandbox-crash`); false if none was running. */
  killWorker(): boolean;
}

export const DEFAULT_START_TIMEOUT_MS = 60_000;

interface Live {
  port: WorkerPort;
  ready: boolean;
}

interface Job {
  requests: RunRequest[];
  verdicts: Verdict[];
  /** Index of the program running now (all before it have verdicts). */
  next: number;
  batch: number;
  resolve(verdicts: Verdict[]): void;
}

export function createExecutorClient(spawn: SpawnWorker, options: ExecutorOptions = {}): SandboxExecutor {
  const { onRestart, startTimeoutMs, ...limits } = options;
  return new ExecutorClient(spawn, resolveLimits(limits), startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, onRestart);
}

class ExecutorClient implements SandboxExecutor {
  private worker: Live | undefined;
  private job: Job | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private sends = 0;
  private disposed = false;

  constructor(
    private readonly spawnPort: SpawnWorker,
    private readonly limits: ExecutorLimits,
    private readonly startTimeoutMs: number,
    private readonly onRestart: ((message: string) => void) | undefined,
  ) {}

  runBatch(requests: RunRequest[]): Promise<Verdict[]> {
    const result = this.tail.then(() => this.start(requests));
    this.tail = result.catch(() => undefined);
    return result;
  }

  killWorker(): boolean {
    const worker = this.worker;
    if (!worker) return false;
    if (worker.ready) {
      this.lose(worker, 'the sandbox worker was killed');
    } else {
      // No program was running yet: start over on a fresh worker.
      this.drop(worker);
      this.onRestart?.('the sandbox worker was killed before it started');
      this.send();
    }
    return true;
  }

  dispose(): Promise<void> {
    this.disposed = true;
    this.stopTimer();
    const worker = this.worker;
    this.worker = undefined;
    worker?.port.terminate();
    const job = this.job;
    if (job) this.failRest(job, 'sandbox-crash', 'the executor was disposed');
    return Promise.resolve();
  }

  private start(requests: RunRequest[]): Promise<Verdict[]> {
    // Only the two fields travel: a caller's extra fields never reach structured clone.
    const copy = requests.map((r) => ({ program: r?.program, input: r?.input }) as RunRequest);
    if (copy.length === 0) return Promise.resolve([]);
    if (this.disposed) return Promise.resolve(copy.map(() => fail('sandbox-crash', 'the executor was disposed')));
    return new Promise((resolve) => {
      this.job = { requests: copy, verdicts: [], next: 0, batch: 0, resolve };
      this.send();
    });
  }

  /** Sends the job's remaining programs to the worker (starting one if needed). */
  private send(): void {
    const job = this.job;
    if (!job) return;
    if (job.next >= job.requests.length) return this.finish(job);
    const worker = this.worker ?? this.spawn();
    job.batch = ++this.sends;
    worker.port.busy?.(true);
    try {
      worker.port.post({ type: 'run', batch: job.batch, first: job.next, requests: job.requests.slice(job.next), limits: this.limits });
    } catch (error) {
      this.drop(worker);
      return this.failRest(job, 'sandbox-crash', `the batch could not be sent to the sandbox: ${describe(error)}`);
    }
    this.arm();
  }

  private spawn(): Live {
    const live: Live = { port: undefined as unknown as WorkerPort, ready: false };
    this.worker = live;
    try {
      live.port = this.spawnPort({
        message: (message) => this.onMessage(live, message),
        exit: (reason) => this.onExit(live, reason),
      });
    } catch (error) {
      live.port = { post: () => { throw error; }, terminate: () => undefined };
    }
    return live;
  }

  /** The deadline for the running program, or for the worker to start. */
  private arm(): void {
    this.stopTimer();
    const worker = this.worker;
    if (!worker || !this.job) return;
    if (worker.ready) this.timer = setTimeout(() => this.onDeadline(worker), this.limits.deadlineMs);
    else this.timer = setTimeout(() => this.onStartTimeout(worker), this.startTimeoutMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onMessage(worker: Live, message: FromSandbox): void {
    if (worker !== this.worker) return;
    switch (message?.type) {
      case 'ready':
        worker.ready = true;
        this.arm();
        return;
      case 'fatal': {
        this.drop(worker);
        if (this.job) this.failRest(this.job, 'sandbox-crash', message.message);
        return;
      }
      case 'verdict': {
        const job = this.job;
        if (!job || message.batch !== job.batch || message.index !== job.next) return;
        job.verdicts[message.index] = message.verdict;
        job.next++;
        if (job.next >= job.requests.length) this.finish(job);
        else this.arm();
        return;
      }
    }
  }

  private onExit(worker: Live, reason: string): void {
    if (worker !== this.worker) return;
    this.lose(worker, `the sandbox worker died: ${reason}`);
  }

  /** The worker is gone or being killed: its running program gets `sandbox-crash`, the rest go to a fresh worker. */
  private lose(worker: Live, why: string): void {
    this.drop(worker);
    const job = this.job;
    if (!job) {
      this.onRestart?.(why);
      return;
    }
    if (!worker.ready) return this.failRest(job, 'sandbox-crash', `${why} before it started`);
    this.skip(job, fail('sandbox-crash', why), `${why}; program ${job.next} of the batch was running`);
  }

  private onDeadline(worker: Live): void {
    const job = this.job;
    if (worker !== this.worker || !job) return;
    this.drop(worker);
    const why = `program ${job.next} of the batch passed the ${this.limits.deadlineMs} ms wall-clock deadline`;
    this.skip(job, fail('timeout', `${why} (long native work the interrupt handler cannot stop)`), `${why}; the sandbox worker was replaced`);
  }

  private onStartTimeout(worker: Live): void {
    const job = this.job;
    if (worker !== this.worker || !job) return;
    this.drop(worker);
    this.failRest(job, 'sandbox-crash', `the sandbox worker did not start within ${this.startTimeoutMs} ms`);
  }

  /** Gives the running program `verdict` and sends the rest of the batch to a fresh worker. */
  private skip(job: Job, verdict: Verdict, restart: string): void {
    job.verdicts[job.next] = verdict;
    job.next++;
    this.onRestart?.(restart);
    this.send();
  }

  private drop(worker: Live): void {
    if (this.worker === worker) this.worker = undefined;
    this.stopTimer();
    try {
      worker.port.terminate();
    } catch {
      // already gone
    }
  }

  private failRest(job: Job, reason: 'sandbox-crash', message: string): void {
    for (let i = job.next; i < job.requests.length; i++) job.verdicts[i] = fail(reason, message);
    job.next = job.requests.length;
    this.finish(job);
  }

  private finish(job: Job): void {
    if (this.job !== job) return;
    this.stopTimer();
    this.job = undefined;
    this.worker?.port.busy?.(false);
    job.resolve(job.verdicts);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
