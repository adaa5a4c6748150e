/** Node sandbox worker entry (worker_threads): wiring only. Node loads the WASM-file release build. */
import { parentPort } from 'node:worker_threads';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import type { ToSandbox } from './protocol';
import { serveSandbox } from './serve';

const port = parentPort;
if (!port) throw new Error('node-worker.ts runs only as a worker thread');
serveSandbox(
  { post: (message) => port.postMessage(message), listen: (handler) => port.on('message', (message: ToSandbox) => handler(message)) },
  () => newQuickJSWASMModuleFromVariant(RELEASE_SYNC),
);
