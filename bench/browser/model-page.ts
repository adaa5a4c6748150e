// The browser model bench's page: starts ./model-worker.ts with the request in the query string and
// leaves its answer on `window.__modelBench` (and on screen) for bench/browser-model.ts to read.
import type { BrowserModelRequest, BrowserModelAnswer } from './model-worker';

const q = new URLSearchParams(location.search);
const request: BrowserModelRequest = {
  backend: q.get('backend') === 'webgpu' ? 'webgpu' : 'wasm',
  configs: (q.get('configs') ?? 'tiny').split(','),
  trainRuns: Number(q.get('trainRuns') ?? 3),
  sampleRuns: Number(q.get('sampleRuns') ?? 1),
  noCache: q.get('nocache') === '1',
};
const out = document.getElementById('result')!;
const worker = new Worker(new URL('./model-worker.ts', import.meta.url), { type: 'module', name: 'model-bench' });
worker.onmessage = (e: MessageEvent<BrowserModelAnswer>) => {
  (window as unknown as { __modelBench: BrowserModelAnswer }).__modelBench = e.data;
  out.textContent = JSON.stringify(e.data, null, 2);
  worker.terminate();
};
worker.onerror = (e) => {
  const answer: BrowserModelAnswer = { error: `worker: ${e.message}` };
  (window as unknown as { __modelBench: BrowserModelAnswer }).__modelBench = answer;
  out.textContent = answer.error!;
};
worker.postMessage(request);
