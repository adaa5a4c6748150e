/**
 * The sandbox worker's protocol: one typed message each way. The client sends the rest of a batch;
 * the worker answers one verdict per program as soon as it has it, so the client always knows which
 * program is running (the one after the last verdict) and whose fault a hang is.
 */
import type { ExecutorLimits, RunRequest, Verdict } from './types';

export type ToSandbox = {
  type: 'run';
  /** Client's sequence number for this send; verdicts carry it back so late ones from a replaced send are ignored. */
  batch: number;
  /** Index, within the client's batch, of `requests[0]`. */
  first: number;
  requests: RunRequest[];
  limits: ExecutorLimits;
};

export type FromSandbox =
  /** QuickJS is loaded; from now on the client's per-program deadline runs. */
  | { type: 'ready' }
  /** QuickJS could not be loaded at all; nothing will run in this worker. */
  | { type: 'fatal'; message: string }
  | { type: 'verdict'; batch: number; index: number; verdict: Verdict };
