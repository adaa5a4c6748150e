/**
 * The executor for Node (CLI, tests, benchmarks): the client of `client.ts` over a worker_threads
 * worker. The worker's entry is a plain .mjs that registers tsx in its own thread (loader hooks of
 * the parent do not reach a worker), so it runs the same under tsx, Vitest and plain node.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createExecutorClient, type ExecutorOptions, type SandboxExecutor, type SpawnWorker } from './client';
import { createExecutorPool, poolSizeFor } from './pool';
import type { FromSandbox } from './protocol';

const WORKER_ENTRY = new URL('./node-worker.mjs', import.meta.url);

export interface NodeExecutorOptions extends ExecutorOptions {
  /** Sandbox worker threads answering batches together (`pool.ts`); default 1. */
  workers?: number;
}

export function createNodeExecutor(options: NodeExecutorOptions = {}): SandboxExecutor {
  const { workers = 1, ...client } = options;
  return createExecutorPool(() => createExecutorClient(spawnNodeWorker, client), workers);
}

/** Sandbox workers for this machine: one per core beyond the one that trains, at most 4. */
export function nodePoolSize(): number {
  return poolSizeFor(availableParallelism());
}

/** Starts one sandbox worker thread; it does not keep the process alive while idle. */
export const spawnNodeWorker: SpawnWorker = (events) => {
  const worker = new Worker(WORKER_ENTRY);
  let error: string | undefined;
  worker.on('message', (message: FromSandbox) => events.message(message));
  worker.on('error', (e: Error) => {
    error = e.message;
  });
  worker.on('exit', (code) => events.exit(error ?? `the worker exited with code ${code}`));
  worker.unref();
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => void worker.terminate(),
    busy: (busy) => (busy ? worker.ref() : worker.unref()),
  };
};
