import { describe, expect, it } from 'vitest';
import { chooseBackend, describeAdapter, type BackendProbe } from './backend';

const none: BackendProbe = { webgpu: { available: false }, webgl: { available: false }, wasm: true };

describe('chooseBackend', () => {
  it('prefers WebGPU on a hardware adapter', () => {
    const c = chooseBackend({ ...none, webgpu: { available: true, vendor: 'nvidia', architecture: 'hopper' }, webgl: { available: true, renderer: 'NVIDIA H100' } });
    expect(c).toEqual({ name: 'webgpu', reason: 'webgpu — hardware adapter (nvidia hopper)' });
  });

  it('takes wasm over a software WebGPU adapter, and says so', () => {
    const swiftshader = describeAdapter({ info: { vendor: 'google', architecture: 'swiftshader', description: '' } });
    expect(chooseBackend({ ...none, webgpu: swiftshader })).toEqual({ name: 'wasm', reason: 'wasm — WebGPU adapter is software (SwiftShader)' });
    expect(chooseBackend({ ...none, webgpu: { available: true, isFallbackAdapter: true } }).name).toBe('wasm');
  });

  it('takes WebGL on a hardware GPU when WebGPU is missing or software', () => {
    expect(chooseBackend({ ...none, webgl: { available: true, renderer: 'ANGLE (AMD Radeon)' } }).name).toBe('webgl');
    const c = chooseBackend({ ...none, webgpu: { available: true, architecture: 'swiftshader' }, webgl: { available: true, renderer: 'Apple M2' } });
    expect(c.name).toBe('webgl');
    expect(c.reason).toMatch(/WebGPU adapter is software/);
  });

  it('does not take a software WebGL renderer', () => {
    expect(chooseBackend({ ...none, webgl: { available: true, renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))' } }).name).toBe('wasm');
    expect(chooseBackend({ ...none, webgl: { available: true, renderer: 'llvmpipe' } }).name).toBe('wasm');
    expect(chooseBackend({ ...none, webgl: { available: true, renderer: 'Intel', majorPerformanceCaveat: true } }).name).toBe('wasm');
  });

  it('falls back to cpu without WebAssembly', () => {
    expect(chooseBackend({ ...none, wasm: false })).toEqual({ name: 'cpu', reason: 'cpu — WebAssembly unavailable' });
  });

  it('honours an override that is available, and says when it is not', () => {
    const software = { ...none, webgpu: { available: true, architecture: 'swiftshader' } };
    expect(chooseBackend(software, 'webgpu')).toEqual({ name: 'webgpu', reason: 'webgpu — chosen by the user' });
    expect(chooseBackend(software, 'cpu').name).toBe('cpu');
    const c = chooseBackend(none, 'webgl');
    expect(c.name).toBe('wasm');
    expect(c.reason).toMatch(/webgl was requested but is unavailable/);
  });
});
