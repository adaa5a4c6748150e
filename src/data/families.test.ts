import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../azr/rng';
import { encode } from '../model/tokenizer';
import { renderFunction } from './code';
import { acceptedBy } from './constraints';
import { FAMILIES, HELD_OUT_FAMILIES, TRAIN_FAMILIES, type Family } from './families';
import { fitMessage, MESSAGE_TOKENS } from './generate';
import { drawArgs } from './values';

function sample(family: Family, seed: number, n: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const s = family.make(rng);
    return { program: renderFunction(s.params.map((p) => p.name), s.body), input: drawArgs(rng, s.params), arity: s.params.length, message: fitMessage(s.message, (t) => encode(t)) };
  });
}

describe('program families', () => {
  it('split into disjoint, non-empty train and held-out sets, each written down in the header', () => {
    expect(TRAIN_FAMILIES.length).toBeGreaterThanOrEqual(10);
    expect(HELD_OUT_FAMILIES.length).toBeGreaterThanOrEqual(8);
    const train = new Set(TRAIN_FAMILIES.map((f) => f.name));
    expect(HELD_OUT_FAMILIES.filter((f) => train.has(f.name))).toEqual([]);
    expect(new Set(FAMILIES.map((f) => f.name)).size).toBe(FAMILIES.length);
    const header = readFileSync(new URL('./families.ts', import.meta.url), 'utf8').split('import')[0];
    const [trainDoc, heldDoc] = header.split('HELD-OUT families');
    for (const f of TRAIN_FAMILIES) expect(trainDoc).toContain(`//   ${f.name} `);
    for (const f of HELD_OUT_FAMILIES) expect(heldDoc).toContain(`//   ${f.name} `);
  });

  it('are reproducible from a seed', () => {
    for (const f of FAMILIES) expect(sample(f, 7, 20)).toEqual(sample(f, 7, 20));
    expect(sample(FAMILIES[0], 7, 20)).not.toEqual(sample(FAMILIES[0], 8, 20));
  });

  it('write programs, inputs and messages that encode and that constrained decoding can produce', () => {
    for (const f of FAMILIES) {
      for (const { program, input, arity, message } of sample(f, 3, 30)) {
        expect(() => encode(program, { strictIdentifiers: true })).not.toThrow();
        expect(program).toMatch(/^function f\([a-c](, [a-c])*\) \{\n {2}[^]*\n\}$/);
        expect(message).toMatch(/^[a-z]+( [a-z]+)*$/);
        expect(encode(message).length).toBeLessThanOrEqual(MESSAGE_TOKENS);
        const verdicts = {
          program: acceptedBy('program', `${program}<eos>`, 256),
          triplet: acceptedBy('triplet', `${program}<input>${input}<eos>`, 320),
          args: acceptedBy('args', `${input}<eos>`, 64, { arity }),
          induction: acceptedBy('induction', `${input}<sep>${input}<message>${message}<eos>`, 160, { arity, pairs: 2, messageTokens: MESSAGE_TOKENS }),
        };
        expect({ family: f.name, program, verdicts }).toEqual({ family: f.name, program, verdicts: { program: { ok: true }, triplet: { ok: true }, args: { ok: true }, induction: { ok: true } } });
      }
    }
  });
});
