import { describe, expect, it } from 'vitest';
import { applyOverrides, checkConfig, configFromQuery, configToQuery, CONFIG_KEYS, CONFIG_SPECS, defaultConfig, presetConfig } from './config';

describe('config schema', () => {
  it('gives every key a default inside its own range and a help text', () => {
    for (const key of CONFIG_KEYS) {
      const spec = CONFIG_SPECS[key];
      expect(spec.key).toBe(key);
      expect(spec.help.length).toBeGreaterThan(10);
      if (spec.kind === 'int' || spec.kind === 'float') {
        expect(spec.default).toBeGreaterThanOrEqual(spec.min);
        expect(spec.default).toBeLessThanOrEqual(spec.max);
      }
      if (spec.kind === 'enum') expect(spec.options).toContain(spec.default);
    }
  });

  it('has the paper preset with B = 64, n = 8, K = 6', () => {
    const paper = presetConfig('paper');
    expect([paper.batchSize, paper.rollouts, paper.references]).toEqual([64, 8, 6]);
  });

  it('applies key=value overrides', () => {
    const r = applyOverrides(defaultConfig(), ['batchSize=4', 'induction=false', 'baseline=global', 'learningRate=1e-4']);
    expect(r.ok && r.config.batchSize).toBe(4);
    expect(r.ok && r.config.induction).toBe(false);
    expect(r.ok && r.config.baseline).toBe('global');
    expect(r.ok && r.config.learningRate).toBe(1e-4);
  });

  it('refuses unknown keys and out-of-range values with a message naming the key and range', () => {
    const unknown = applyOverrides(defaultConfig(), ['batchsize=4']);
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.message).toMatch(/unknown config key "batchsize"/);
    const range = applyOverrides(defaultConfig(), ['batchSize=65']);
    expect(!range.ok && range.message).toBe('batchSize must be an integer from 1 to 64, got "65"');
    const frac = applyOverrides(defaultConfig(), ['rollouts=2.5']);
    expect(frac.ok).toBe(false);
    const word = applyOverrides(defaultConfig(), ['temperature=hot']);
    expect(!word.ok && word.message).toMatch(/^temperature must be a number from 0.1 to 2/);
    const enumBad = applyOverrides(defaultConfig(), ['baseline=none']);
    expect(!enumBad.ok && enumBad.message).toMatch(/one of per-group, global/);
  });

  it('refuses a run with every task type off', () => {
    expect(checkConfig({ deduction: false, abduction: false, induction: false }).ok).toBe(false);
  });

  it('round-trips non-default values through the URL query', () => {
    const r = applyOverrides(defaultConfig(), ['references=0', 'solverOnly=true', 'temperature=0.7']);
    if (!r.ok) throw new Error(r.message);
    const query = configToQuery(r.config);
    expect(query).toContain('references=0');
    expect(query).not.toContain('batchSize');
    const back = configFromQuery(query);
    expect(back.ok && back.config).toEqual(r.config);
    expect(configToQuery(defaultConfig())).toBe('');
  });

  it('refuses a bad URL value', () => {
    const r = configFromQuery('?batchSize=1000&v=1');
    expect(r.ok).toBe(false);
  });
});
