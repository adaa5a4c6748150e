import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../azr/rng';
import { encode } from '../model/tokenizer';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor } from '../sandbox/node';
import { acceptedBy } from './constraints';
import { HELD_OUT_FAMILIES, TRAIN_FAMILIES } from './families';
import { generatePrograms, MESSAGE_TOKENS, validityRate, type Labeller } from './generate';

const executor = createNodeExecutor();
afterAll(() => executor.dispose());
const label: Labeller = (runs) => validateProposals(executor, runs);
const enc = (s: string) => encode(s);

describe('generatePrograms', () => {
  it('is reproducible per seed and labels by the executor', async () => {
    const a = await generatePrograms(createRng(5), 40, { split: 'train', label, encode: enc });
    const b = await generatePrograms(createRng(5), 40, { split: 'train', label, encode: enc });
    expect(a.programs).toEqual(b.programs);
    const c = await generatePrograms(createRng(6), 40, { split: 'train', label, encode: enc });
    expect(c.programs).not.toEqual(a.programs);
    // Outputs are the executor's: re-running a pair gives the same canonical output.
    const p = a.programs[0];
    const [v] = await label([{ program: p.program, input: p.pairs[0].input }]);
    expect(v).toEqual({ ok: true, output: p.pairs[0].output });
  });

  it('writes programs of which at least 90 % run, with short plain values the grammars accept', async () => {
    for (const split of ['train', 'heldout'] as const) {
      const { programs, stats } = await generatePrograms(createRng(11), 150, { split, label, encode: enc });
      expect(validityRate(stats), JSON.stringify(stats)).toBeGreaterThanOrEqual(0.9);
      // Programs the executor accepted on enough inputs, out of all that reached it.
      expect(stats.kept / (stats.kept + stats.fewPairs)).toBeGreaterThanOrEqual(0.9);
      const names = new Set((split === 'train' ? TRAIN_FAMILIES : HELD_OUT_FAMILIES).map((f) => f.name));
      for (const p of programs) {
        expect(names.has(p.family)).toBe(true);
        expect(p.pairs.length).toBeGreaterThanOrEqual(4);
        expect(new Set(p.pairs.map((q) => q.input)).size).toBe(p.pairs.length);
        expect(new Set(p.pairs.map((q) => q.output)).size).toBeGreaterThan(1);
        expect(encode(p.program).length).toBeLessThanOrEqual(80);
        expect(encode(p.message).length).toBeLessThanOrEqual(MESSAGE_TOKENS);
        for (const q of p.pairs) {
          expect(encode(q.output).length).toBeLessThanOrEqual(40);
          expect(acceptedBy('value', `${q.output}<eos>`, 41)).toEqual({ ok: true });
        }
      }
    }
  });
});
