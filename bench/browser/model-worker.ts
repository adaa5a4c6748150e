// The model section of the bench inside a browser worker, where the lab's trainer runs: the same
// measurement as bench/model.ts (./model-measure.ts) on the browser's own tfjs backend: wasm with
// Chromium's engine (its relaxed SIMD, no V8 flag needed), or WebGPU through Chromium's own Dawn.
import { probeBrowser, type WebGPUProbe } from '../../src/model/backend';
import { startBrowserProductHelper } from '../../src/model/product-browser';
import { initBackend, tf } from '../../src/model/tf';
import { simdMatMulFused } from '../../src/model/wasm-simd-kernels';
import { BROWSER_WASM_PATHS } from '../../src/model/wasm-urls';
import type { BenchConfigName } from '../configs';
import { measureModel, measureProductThreads, measureSubject, productGflops } from '../model-measure';

export interface BrowserModelRequest {
  backend: 'wasm' | 'webgpu';
  configs: string[];
  trainRuns: number;
  sampleRuns: number;
  noCache: boolean;
}

export interface BrowserModelAnswer {
  error?: string;
  result?: Record<string, unknown>;
}

async function measure(request: BrowserModelRequest): Promise<Record<string, unknown>> {
  const probe = await probeBrowser();
  const adapter: WebGPUProbe = probe.webgpu;
  if (request.backend === 'webgpu' && !adapter.available) throw new Error(`no WebGPU adapter (${adapter.error ?? 'unavailable'})`);
  await initBackend(request.backend, request.backend === 'wasm' ? { wasmPaths: BROWSER_WASM_PATHS } : {});
  // The page is served cross-origin isolated (bench/browser-model.ts): the product helper, on any two
  // cores (no page to keep responsive here), as the lab's trainer starts it where it has three.
  const productHelper = request.backend === 'wasm' && await startBrowserProductHelper({ minCores: 2 });
  const out: Record<string, unknown> = {
    backend: tf.getBackend(),
    userAgent: navigator.userAgent,
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    productHelper,
    ...(request.backend === 'webgpu' ? { adapter } : { fusedMultiplyAdd: simdMatMulFused(), product: productGflops() }),
  };
  for (const name of request.configs as BenchConfigName[]) {
    const subject = measureSubject(name);
    try {
      out[name] = await measureModel(name, subject, {
        trainRuns: request.trainRuns,
        sampleRuns: request.sampleRuns,
        noCache: request.noCache,
        dispatches: request.backend === 'webgpu',
      }, (result) => measureProductThreads(subject, request.trainRuns, result));
    } finally {
      subject.dispose();
    }
  }
  out.tensorsLeft = tf.memory().numTensors;
  return out;
}

self.onmessage = (e: MessageEvent<BrowserModelRequest>) => {
  measure(e.data).then(
    (result) => self.postMessage({ result } satisfies BrowserModelAnswer),
    (err: unknown) => self.postMessage({ error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) } satisfies BrowserModelAnswer),
  );
};
