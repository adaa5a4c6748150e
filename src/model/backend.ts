// Which tfjs backend to train on, and why. The decision is a pure function of a probe result, so it is
// unit-testable; the probes (browser here, Node in ./node-backend) only gather facts.
//
// Order (measured in ../shared/BROWSER.md): WebGPU on a hardware adapter; else WebGL on a hardware GPU;
// else wasm — also when the only WebGPU adapter is a software one (SwiftShader: ≈ 15× slower than wasm);
// cpu last (pure JS, ≈ 8× slower than wasm).
import type { BackendName } from './tf';

export interface WebGPUProbe {
  available: boolean;
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
  /** Why it is unavailable, when it is. */
  error?: string;
}

export interface WebGLProbe {
  available: boolean;
  /** Unmasked renderer string when the browser gives it. */
  renderer?: string;
  /** True when a context with `failIfMajorPerformanceCaveat` was refused (a software rasteriser). */
  majorPerformanceCaveat?: boolean;
}

export interface BackendProbe {
  webgpu: WebGPUProbe;
  webgl: WebGLProbe;
  wasm: boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** One line for the backend badge, e.g. "wasm — WebGPU adapter is software (SwiftShader)". */
  reason: string;
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|microsoft basic/i;

export function isSoftwareWebGPU(p: WebGPUProbe): boolean {
  return Boolean(p.isFallbackAdapter) || SOFTWARE_RENDERER.test(`${p.architecture ?? ''} ${p.description ?? ''}`);
}

export function isSoftwareWebGL(p: WebGLProbe): boolean {
  return Boolean(p.majorPerformanceCaveat) || SOFTWARE_RENDERER.test(p.renderer ?? '');
}

function softwareName(text: string | undefined): string {
  const m = (text ?? '').match(SOFTWARE_RENDERER);
  if (!m) return 'software';
  return /swiftshader/i.test(m[0]) ? 'SwiftShader' : m[0];
}

function available(probe: BackendProbe, name: BackendName): boolean {
  switch (name) {
    case 'webgpu': return probe.webgpu.available;
    case 'webgl': return probe.webgl.available;
    case 'wasm': return probe.wasm;
    case 'cpu': return true;
  }
}

export function chooseBackend(probe: BackendProbe, override?: BackendName): BackendChoice {
  if (override) {
    if (available(probe, override)) return { name: override, reason: `${override} — chosen by the user` };
    const auto = chooseBackend(probe);
    return { name: auto.name, reason: `${auto.reason} (${override} was requested but is unavailable)` };
  }
  const gpu = probe.webgpu;
  const gpuSoftware = gpu.available && isSoftwareWebGPU(gpu);
  if (gpu.available && !gpuSoftware) {
    const what = [gpu.vendor, gpu.architecture].filter(Boolean).join(' ');
    return { name: 'webgpu', reason: `webgpu — hardware adapter${what ? ` (${what})` : ''}` };
  }
  const whyNotWebGPU = gpuSoftware
    ? `WebGPU adapter is software (${softwareName(`${gpu.architecture} ${gpu.description}`)})`
    : 'WebGPU unavailable';
  const gl = probe.webgl;
  if (gl.available && !isSoftwareWebGL(gl)) {
    return { name: 'webgl', reason: `webgl — hardware GPU${gl.renderer ? ` (${gl.renderer})` : ''}; ${whyNotWebGPU}` };
  }
  if (probe.wasm) {
    const whyNotWebGL = gl.available ? `; WebGL renderer is software (${softwareName(gl.renderer)})` : '';
    return { name: 'wasm', reason: gpuSoftware ? `wasm — ${whyNotWebGPU}` : `wasm — no hardware GPU backend (${whyNotWebGPU}${whyNotWebGL})` };
  }
  return { name: 'cpu', reason: 'cpu — WebAssembly unavailable' };
}

/** What a WebGPU adapter looks like to us (in browsers and in Node's `webgpu` package alike). */
export interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

export function describeAdapter(adapter: AdapterLike | null): WebGPUProbe {
  if (!adapter) return { available: false, error: 'requestAdapter() returned null' };
  const info = adapter.info ?? {};
  return {
    available: true,
    vendor: info.vendor || undefined,
    architecture: info.architecture || undefined,
    description: info.description || undefined,
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

interface GPULike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

export async function probeWebGPU(gpu: GPULike | undefined): Promise<WebGPUProbe> {
  if (!gpu) return { available: false, error: 'navigator.gpu is missing' };
  try {
    return describeAdapter(await gpu.requestAdapter({ powerPreference: 'high-performance' }));
  } catch (e) {
    return { available: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function probeWebGL(): WebGLProbe {
  const canvas = typeof OffscreenCanvas !== 'undefined'
    ? new OffscreenCanvas(1, 1)
    : typeof document !== 'undefined' ? document.createElement('canvas') : null;
  if (!canvas) return { available: false };
  const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
  if (!gl) return { available: false };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  const strict = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
  const strictGl = strict.getContext('webgl2', { failIfMajorPerformanceCaveat: true }) as WebGL2RenderingContext | null;
  strictGl?.getExtension('WEBGL_lose_context')?.loseContext();
  return { available: true, renderer: renderer || undefined, majorPerformanceCaveat: strictGl === null };
}

/** Probes a page or a worker. */
export async function probeBrowser(): Promise<BackendProbe> {
  const nav = (globalThis as { navigator?: { gpu?: GPULike } }).navigator;
  return {
    webgpu: await probeWebGPU(nav?.gpu),
    webgl: probeWebGL(),
    wasm: typeof WebAssembly === 'object',
  };
}
