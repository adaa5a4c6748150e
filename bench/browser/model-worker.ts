// The model section of the bench inside a browser worker, where the lab's trainer runs: the same
// measurement as bench/model.ts (./model-measure.ts) on the browser's own tfjs backend: wasm with
// Chromium's engine (its relaxed SIMD, no V8 flag needed), or WebGPU through Chromium's own Dawn.
import { probeBrowser, type WebGPUProbe } from '../../src/model/backend';
import { startBrowserProductHelper } from '../../src/model/product-browser';
import { productThreads } from '../../src/model/product-threads';
import { initBackend, tf } from '../../src/model/tf';
import { simdMatMulFused } from '../../src/model/wasm-simd-kernels';
import { BROWSER_WASM_PATHS } from '../../src/model/wasm-urls';
import type { BenchConfigName } from '../configs';
import { TRAIN_B, TRAIN_T } from '../configs';
import { round, timeRuns } from '../lib';
import { measureModel, measureSubject, productGflops } from '../model-measure';
import { lmStep } from '../../src/model/train';

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
      }, async (result) => {
        // As bench/model.ts: the training step with the helper and without it, alternating, best of three.
        const threads = productThreads();
        if (!threads?.ready) return;
        const { model, optimizer, examples } = subject;
        const splits = threads.splits;
        await lmStep(model, optimizer, examples);
        result.productSplitsPerTrainStep = threads.splits - splits;
        if (threads.splits === splits) return;
        const best = { one: Infinity, two: Infinity };
        for (let r = 0; r < 3; r++) {
          for (const mode of ['two', 'one'] as const) {
            threads.enabled = mode === 'two';
            best[mode] = Math.min(best[mode], (await timeRuns(request.trainRuns, () => lmStep(model, optimizer, examples), 0)).ms);
          }
        }
        threads.enabled = true;
        result.twoThreadTrainTokensPerSec = Math.round((TRAIN_B * TRAIN_T) / (best.two / 1000));
        result.oneThreadTrainTokensPerSec = Math.round((TRAIN_B * TRAIN_T) / (best.one / 1000));
        result.productThreadsSpeedup = round(best.one / best.two, 3);
      });
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
