// Sandbox worker (browser): wiring only. The single-file build embeds the WASM in the module, so Vite
// bundles it like any script (a separately served .wasm can fail with "expected magic word").
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import SINGLEFILE_RELEASE_SYNC from '@jitl/quickjs-singlefile-browser-release-sync';
import type { FromSandbox, ToSandbox } from '../src/sandbox/protocol';
import { serveSandbox } from '../src/sandbox/serve';

const scope = globalThis as unknown as {
  postMessage(message: FromSandbox): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToSandbox>) => void): void;
};

serveSandbox(
  { post: (message) => scope.postMessage(message), listen: (handler) => scope.addEventListener('message', (event) => handler(event.data)) },
  () => newQuickJSWASMModuleFromVariant(SINGLEFILE_RELEASE_SYNC),
);
