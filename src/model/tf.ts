// The single place that imports tfjs. tfjs's last release is old, so the rest of the lab talks to
// src/model through plain arrays and our own types; swapping the tensor library stays a src/model job.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export { tf };

export type BackendName = 'cpu' | 'wasm' | 'webgpu' | 'webgl';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export type WasmFileName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface BackendInitOptions {
  /**
   * wasm only: where the `.wasm` binaries live — a folder prefix ending in `/`, or one URL per file
   * (in the browser, Vite's `?url` imports). Node callers use `nodeWasmPaths()` from './node-backend'.
   */
  wasmPaths?: string | Partial<Record<WasmFileName, string>>;
}

/**
 * Makes `name` the active tfjs backend. WebGPU needs `navigator.gpu` to exist before its module is
 * first imported (in Node: `installNodeWebGPU()` from './node-backend'), hence the dynamic imports;
 * they also keep the GPU backends out of bundles that never use them.
 */
export async function initBackend(name: BackendName, options: BackendInitOptions = {}): Promise<void> {
  if (name === 'wasm' && options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  // tfjs-wasm's threaded build (chosen wherever shared memory is, e.g. a cross-origin-isolated page)
  // spawns its own pthread workers for XNNPACK's kernels, which the model barely uses; the second core
  // goes to our products instead (./product-threads), so the page computes as Node does.
  if (name === 'wasm') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  if (tf.findBackendFactory(name) === null) {
    throw new Error(`tfjs backend '${name}' is not registered` + (name === 'webgpu' ? ' (navigator.gpu was missing when the WebGPU backend loaded)' : ''));
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
}

export function activeBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
