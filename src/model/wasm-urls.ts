// Where the browser finds tfjs-backend-wasm's binaries: Vite's `?url` imports, so a build copies them
// into its assets and a page or worker passes them to `initBackend('wasm', { wasmPaths })`. Browser only
// (Node uses `nodeWasmPaths()` from './node-backend').
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { WasmFileName } from './tf';

export const BROWSER_WASM_PATHS: Record<WasmFileName, string> = {
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
};
