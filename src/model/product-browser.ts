// The product helper in a browser (./product-threads): a module worker made from workers/product.worker.ts,
// which Vite bundles. Browser only, from a worker (the caller waits in Atomics.wait, which a page's main
// thread may not); Node starts its helper in ./node-backend.
import { attachProductHelper, createProductLink, detachProductHelper, productThreads } from './product-threads';
import { simdMatMulFused } from './wasm-simd-kernels';

/**
 * On the wasm backend, where the page is cross-origin isolated (shared memory) and the browser reports
 * at least `minCores` cores: starts a helper worker that takes part of each big product's rows, once per
 * worker. Resolves whether one serves.
 */
export async function startBrowserProductHelper({ minCores }: { minCores: number }): Promise<boolean> {
  const attached = productThreads();
  if (attached) return attached.ready;
  const scope = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (!scope.crossOriginIsolated || (scope.navigator?.hardwareConcurrency ?? 1) < minCores) return false;
  const fused = simdMatMulFused();
  const link = fused === undefined ? undefined : createProductLink(fused);
  if (!link) return false;
  const worker = new Worker(new URL('../../workers/product.worker.ts', import.meta.url), { type: 'module', name: 'azr-product' });
  const threads = attachProductHelper(link);
  // A helper that fails: products stay on this thread from then on, without waiting for it.
  let failed = false;
  worker.addEventListener('error', () => { failed = true; threads.stop(); });
  worker.postMessage(link);
  const until = performance.now() + 10_000;
  while (!threads.ready && !failed && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  if (threads.ready) return true;
  // A helper that failed to load or start: every product stays on this thread.
  detachProductHelper();
  worker.terminate();
  return false;
}
