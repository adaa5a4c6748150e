import { describe, expect, it } from 'vitest';
import { defaultConfig, presetConfig } from '../azr/config';
import { setupFromUrl, setupToQuery } from './url';

describe('setupFromUrl', () => {
  it('reads a preset, config keys, the backend and the start', () => {
    const s = setupFromUrl('?preset=tiny&temperature=0.5&backend=webgpu&from=scratch');
    expect(s.errors).toEqual([]);
    expect(s.config).toEqual({ ...presetConfig('tiny'), temperature: 0.5 });
    expect(s.backend).toBe('webgpu');
    expect(s.start).toBe('scratch');
  });

  it('refuses an out-of-range value by name and range, keeping the rest of the link', () => {
    const s = setupFromUrl('?batchSize=999&temperature=0.5');
    expect(s.errors).toEqual(['batchSize must be an integer from 1 to 64, got "999"']);
    expect(s.config.batchSize).toBe(defaultConfig().batchSize);
    expect(s.config.temperature).toBe(0.5);
  });

  it('names unknown keys, bad presets, backends and versions', () => {
    const s = setupFromUrl('?bogus=1&preset=huge&backend=tpu&from=nowhere&v=9');
    expect(s.errors).toEqual([
      'preset must be one of default, paper, tiny, got "huge"',
      expect.stringContaining('unknown config key "bogus"'),
      'backend must be one of auto, webgpu, webgl, wasm, cpu, got "tpu"',
      'from must be one of base, scratch, got "nowhere"',
      'URL config version 9 is not supported (this lab reads version 1)',
    ]);
    expect(s.config).toEqual(defaultConfig());
  });

  it('refuses a config with every task type off, and keeps the defaults', () => {
    const s = setupFromUrl('?deduction=false&abduction=false&induction=false');
    expect(s.errors).toEqual(['at least one of deduction, abduction, induction must be on']);
    expect(s.config).toEqual(defaultConfig());
  });
});

describe('setupToQuery', () => {
  it('writes what differs from the defaults, and round-trips', () => {
    const config = { ...defaultConfig(), batchSize: 4, induction: false };
    const q = setupToQuery(config, 'wasm', null);
    expect(q).toBe('?induction=false&batchSize=4&v=1&backend=wasm');
    const back = setupFromUrl(q);
    expect(back).toEqual({ config, backend: 'wasm', start: null, errors: [] });
    expect(setupToQuery(defaultConfig(), 'auto', null)).toBe('');
  });
});
