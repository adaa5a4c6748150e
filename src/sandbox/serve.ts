/**
 * The loop inside a sandbox worker (Node worker_threads or a browser Web Worker): load QuickJS once,
 * then validate each program of each batch and post its verdict at once. The QuickJS build is the
 * caller's choice (`loadModule`), so Node and the browser each pass the variant that suits them.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { FromSandbox, ToSandbox } from './protocol';
import { QuickJSRunner } from './quickjs';
import { fail, type ExecutorLimits } from './types';

export interface SandboxEndpoint {
  post(message: FromSandbox): void;
  listen(handler: (message: ToSandbox) => void): void;
}

export function serveSandbox(endpoint: SandboxEndpoint, loadModule: () => Promise<QuickJSWASMModule>): void {
  let module = loadModule();
  let runner: QuickJSRunner | undefined;
  let runnerKey = '';
  let queue: Promise<void> = Promise.resolve();

  module.then(
    () => endpoint.post({ type: 'ready' }),
    (error: unknown) => endpoint.post({ type: 'fatal', message: `QuickJS failed to load: ${describe(error)}` }),
  );

  const runnerFor = async (limits: ExecutorLimits): Promise<QuickJSRunner> => {
    const key = JSON.stringify({ ...limits, deadlineMs: 0 });
    if (runner === undefined || key !== runnerKey) {
      runner?.dispose();
      runner = new QuickJSRunner(await module, limits);
      runnerKey = key;
    }
    return runner;
  };

  const handle = async (message: ToSandbox): Promise<void> => {
    if (message?.type !== 'run') return;
    try {
      await module;
    } catch {
      return; // 'fatal' was posted; the client replaces this worker
    }
    for (let i = 0; i < message.requests.length; i++) {
      const index = message.first + i;
      try {
        const verdict = (await runnerFor(message.limits)).validate(message.requests[i]);
        endpoint.post({ type: 'verdict', batch: message.batch, index, verdict });
      } catch (error) {
        // The runner itself failed (a WASM abort): the module may be corrupt, so load a fresh one.
        endpoint.post({ type: 'verdict', batch: message.batch, index, verdict: fail('sandbox-crash', `the sandbox failed: ${describe(error)}`) });
        runner = undefined;
        module = loadModule();
      }
    }
  };

  endpoint.listen((message) => {
    queue = queue.then(() => handle(message));
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
