// Node-only glue for the tfjs backends (CLI, tests, benchmarks): where the wasm binaries are, and
// WebGPU through the `webgpu` package (Dawn). Never imported by browser code.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { dirname, join } from 'node:path';
import { chooseBackend, probeWebGPU, type BackendChoice, type BackendProbe } from './backend';
import { initBackend, tf, type BackendName } from './tf';
import { productThreads, startProductHelper } from './product-threads';
import { relaxedSimdAvailable, setFusedMultiplyAdd } from './wasm-simd';
import { simdMatMulFused } from './wasm-simd-kernels';

const require = createRequire(import.meta.url);

/** Folder (ending in '/') holding tfjs-backend-wasm's `.wasm` files. */
export function nodeWasmPaths(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

const CHROMIUM_LIB = '/usr/lib/chromium';

/**
 * Environment that lets the `webgpu` package find a Vulkan driver on a machine without a GPU driver:
 * Chromium's SwiftShader (../shared/BROWSER.md). The dynamic loader reads LD_LIBRARY_PATH at process
 * start, so it must be set on a child process, not on this one. Null when Chromium's copy is absent.
 */
export function swiftShaderEnv(): Record<string, string> | null {
  const icd = join(CHROMIUM_LIB, 'vk_swiftshader_icd.json');
  if (!existsSync(icd) || !existsSync(join(CHROMIUM_LIB, 'libvulkan.so.1'))) return null;
  const ld = process.env.LD_LIBRARY_PATH;
  return { LD_LIBRARY_PATH: ld ? `${CHROMIUM_LIB}:${ld}` : CHROMIUM_LIB, VK_ICD_FILENAMES: icd };
}

/**
 * Dawn's options for `create` from AZR_DAWN_OPTIONS, space-separated (e.g.
 * `enable-dawn-features=skip_validation,disable_robustness`): knobs for the GPU benchmarks (bench/gpu.sh).
 */
function dawnOptions(): string[] {
  return (process.env.AZR_DAWN_OPTIONS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * tfjs flags from AZR_TFJS_FLAGS, `NAME=value` comma-separated (e.g. `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64`):
 * numbers and booleans as such, anything else as a string. For the GPU benchmarks' sweeps.
 */
export function tfjsFlagsFromEnv(text = process.env.AZR_TFJS_FLAGS ?? ''): Record<string, number | boolean | string> {
  const flags: Record<string, number | boolean | string> = {};
  for (const item of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`AZR_TFJS_FLAGS: "${item}" is not NAME=value`);
    const raw = item.slice(eq + 1);
    flags[item.slice(0, eq)] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return flags;
}

interface NavigatorHolder {
  navigator?: { gpu?: unknown };
}

let installed: Promise<BackendProbe['webgpu']> | null = null;

/**
 * Puts Dawn's `navigator.gpu` and WebGPU globals in place (once) and reports the adapter. Call before
 * `initBackend('webgpu')`. Call `releaseNodeWebGPU()` when done, or Node will not exit.
 */
export function installNodeWebGPU(): Promise<BackendProbe['webgpu']> {
  installed ??= (async () => {
    try {
      const { create, globals } = await import('webgpu');
      Object.assign(globalThis, globals);
      const gpu = create(dawnOptions());
      const holder = globalThis as NavigatorHolder;
      if (holder.navigator) Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
      else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
      return await probeWebGPU(gpu as unknown as Parameters<typeof probeWebGPU>[0]);
    } catch (e) {
      return { available: false, error: e instanceof Error ? e.message : String(e) };
    }
  })();
  return installed;
}

export function releaseNodeWebGPU(): void {
  const nav = (globalThis as NavigatorHolder).navigator;
  if (nav && 'gpu' in nav) delete nav.gpu;
  installed = null;
}

/**
 * Lets WebAssembly modules compiled from now on use relaxed SIMD, which Node 20's V8 has behind a flag
 * (Node 22 and Chromium have it on): ./wasm-simd's product then fuses each multiply-add, ≈ 1.35× faster
 * here. AZR_WASM_FMA=0 keeps the unfused product instead (to reproduce a run made before it).
 */
export function enableRelaxedSimd(): void {
  if (process.env.AZR_WASM_FMA === '0') {
    setFusedMultiplyAdd(false);
    return;
  }
  if (!relaxedSimdAvailable()) setFlagsFromString('--experimental-wasm-relaxed-simd');
}

export async function initNodeBackend(name: BackendName): Promise<void> {
  enableRelaxedSimd();
  if (name === 'webgl') throw new Error('the webgl backend needs a browser');
  if (name === 'webgpu') {
    const probe = await installNodeWebGPU();
    if (!probe.available) throw new Error(`no WebGPU adapter in Node: ${probe.error ?? 'unknown reason'}` + (process.env.VK_ICD_FILENAMES ? '' : ' (without a GPU driver, run with the env of swiftShaderEnv())'));
  }
  await initBackend(name, name === 'wasm' ? { wasmPaths: nodeWasmPaths() } : {});
  for (const [flag, value] of Object.entries(tfjsFlagsFromEnv())) tf.env().set(flag, value);
  if (name === 'wasm') await startNodeProductHelper();
}

/**
 * On wasm with two cores or more, a worker thread that takes half the rows of each big product
 * (./product-threads); `AZR_WASM_THREADS=1` keeps every product on one thread. Once per process; resolves
 * when the helper serves (or at once when there is none) with its thread, if one started. `force` starts
 * one whatever the cores and the environment say (tests).
 */
export async function startNodeProductHelper({ force = false } = {}): Promise<Worker | undefined> {
  // Test files run side by side on the cores already (Vitest); product-threads.test.ts forces one.
  if (productThreads() || (!force && (process.env.AZR_WASM_THREADS === '1' || process.env.VITEST !== undefined || availableParallelism() < 2))) return undefined;
  const fused = simdMatMulFused();
  if (fused === undefined) return undefined;
  return startProductHelper(fused, (link, lost) => {
    const worker = new Worker(new URL('./product-node-worker.mjs', import.meta.url), { workerData: link });
    // The helper blocks in Atomics.wait between products; it must not keep the process alive.
    worker.unref();
    worker.on('error', lost);
    worker.on('exit', lost);
    return worker;
  });
}

export async function probeNode(): Promise<BackendProbe> {
  return { webgpu: await installNodeWebGPU(), webgl: { available: false }, wasm: true };
}

/** Probes, chooses (honouring `override`) and initialises; returns the choice with its reason. */
export async function initBestNodeBackend(override?: BackendName): Promise<BackendChoice> {
  // Asked for a CPU backend, there is nothing to probe (and Dawn would complain about a missing Vulkan).
  const probe: BackendProbe = override === 'wasm' || override === 'cpu'
    ? { webgpu: { available: false, error: 'not probed' }, webgl: { available: false }, wasm: true }
    : await probeNode();
  const choice = chooseBackend(probe, override);
  if (choice.name !== 'webgpu') releaseNodeWebGPU();
  await initNodeBackend(choice.name);
  return choice;
}
