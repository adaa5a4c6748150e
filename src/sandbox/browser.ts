/**
 * The executor in the browser: the client of `client.ts` over a module Web Worker that Vite bundles
 * from `workers/sandbox.worker.ts`. The trainer worker creates it, so the sandbox is a nested worker
 * that the trainer owns and, past a deadline, terminates and replaces.
 */
import { createExecutorClient, type ExecutorOptions, type SandboxExecutor } from './client';
import { createExecutorPool } from './pool';
import type { FromSandbox } from './protocol';

export interface BrowserExecutorOptions extends ExecutorOptions {
  /** Sandbox workers answering batches together (`pool.ts`); default 1. */
  workers?: number;
}

export function createBrowserExecutor(options: BrowserExecutorOptions = {}): SandboxExecutor {
  const { workers = 1, ...client } = options;
  return createExecutorPool(() => createSandboxClient(client), workers);
}

function createSandboxClient(options: ExecutorOptions): SandboxExecutor {
  return createExecutorClient((events) => {
    const worker = new Worker(new URL('../../workers/sandbox.worker.ts', import.meta.url), { type: 'module', name: 'azr-sandbox' });
    worker.onmessage = (event: MessageEvent<FromSandbox>) => events.message(event.data);
    worker.onmessageerror = () => events.exit('a message from the sandbox worker could not be read');
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      events.exit(event.message || 'the sandbox worker failed');
    };
    return {
      post: (message) => worker.postMessage(message),
      terminate: () => worker.terminate(),
    };
  }, options);
}
