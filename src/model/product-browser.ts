// The product helper in a browser (./product-threads): a module worker made from workers/product.worker.ts,
// which Vite bundles. Browser only, from a worker (the caller waits in Atomics.wait, which a page's main
// thread may not); Node starts its helper in ./node-backend.
import { productThreads, startProductHelper } from './product-threads';
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
  if (fused === undefined) return false;
  const worker = await startProductHelper(fused, (link, lost) => {
    const w = new Worker(new URL('../../workers/product.worker.ts', import.meta.url), { type: 'module', name: 'azr-product' });
    w.addEventListener('error', lost);
    w.postMessage(link);
    return w;
  });
  return worker !== undefined;
}
