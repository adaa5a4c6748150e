// Model section in the browser (`--opt backend=wasm|webgpu`, `--opt configs=tiny,default`): the same
// measurement as ./model.ts (./model-measure.ts) in a worker of a page in headless Debian Chromium, as the
// lab's trainer worker runs it. Builds bench/browser/model.html with Vite into a temporary folder, serves
// it with Vite's preview server on 127.0.0.1 (WebGPU needs a secure context), opens it with
// `--enable-unsafe-webgpu` (on a machine without a GPU driver Chromium's adapter is SwiftShader) and reads
// the worker's answer. `--opt trainRuns=N --opt sampleRuns=N --opt nocache=1` as in ./model.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';
import { baseChromiumArgs } from '../playwright.config';
import { CROSS_ORIGIN_ISOLATED } from '../vite.config';
import { log, round, runSection } from './harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), 'browser');
const PORT = 4181;

await runSection(async ({ opts }) => {
  if (!existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  const backend = opts.backend === 'webgpu' ? 'webgpu' : 'wasm';
  const query = new URLSearchParams({
    backend,
    configs: opts.configs ?? 'tiny',
    trainRuns: opts.trainRuns ?? (backend === 'wasm' ? '5' : '2'),
    sampleRuns: opts.sampleRuns ?? (backend === 'wasm' ? '3' : '1'),
    nocache: opts.nocache ?? '0',
  });
  const timeoutMs = Number(opts.timeoutMs ?? 600_000);
  const outDir = mkdtempSync(join(tmpdir(), 'azr-bench-browser-model-'));
  try {
    log('browser model: vite build of bench/browser/model.html');
    const buildStart = performance.now();
    await build({
      configFile: false,
      root: ROOT,
      logLevel: 'error',
      worker: { format: 'es' },
      build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, rollupOptions: { input: join(ROOT, 'model.html') } },
    });
    const buildMs = performance.now() - buildStart;
    // Cross-origin isolated, as the lab is served (vite.config.ts): shared memory for the product helper.
    const server = await preview({ configFile: false, root: ROOT, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: PORT, strictPort: true, headers: CROSS_ORIGIN_ISOLATED } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...baseChromiumArgs, '--enable-unsafe-webgpu'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const url = `http://127.0.0.1:${PORT}/model.html?${query}`;
      log(`browser model: ${backend}, ${query.get('configs')}: opening ${url}`);
      const start = performance.now();
      await page.goto(url);
      const handle = await page.waitForFunction(() => (window as unknown as { __modelBench?: unknown }).__modelBench, undefined, { timeout: timeoutMs, polling: 500 });
      const answer = (await handle.jsonValue()) as { error?: string; result?: Record<string, unknown> };
      if (answer.error) throw new Error(`in the browser: ${answer.error}`);
      return { ...answer.result, engine: 'headless Chromium', buildMs: round(buildMs), measureMs: round(performance.now() - start), pageErrors: errors };
    } finally {
      await browser.close();
      await new Promise((resolve) => server.httpServer.close(resolve));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
