import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_KEYS } from '../azr/config';
import { functionArity } from '../azr/program';
import { createRng } from '../azr/rng';
import { encode } from '../model/tokenizer';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor } from '../sandbox/node';
import { acceptedBy } from './constraints';
import { buildPretrainExamples, examplesFromPrograms, PRETRAIN_MIX } from './dataset';
import { generatePrograms, type LabelledProgram } from './generate';

const executor = createNodeExecutor();
afterAll(() => executor.dispose());
const enc = (s: string) => encode(s);
let programs: LabelledProgram[];
beforeAll(async () => {
  programs = (await generatePrograms(createRng(3), 80, { split: 'train', label: (runs) => validateProposals(executor, runs), encode: enc })).programs;
});

const HEADS: Record<string, string> = {
  'propose.deduction': '<bos><propose><deduction>', 'propose.abduction': '<bos><propose><abduction>', 'propose.induction': '<bos><propose><induction><program>',
  'solve.deduction': '<bos><solve><deduction><program>', 'solve.abduction': '<bos><solve><abduction><program>', 'solve.induction': '<bos><solve><induction><message>',
};
const TAILS: Record<string, string> = {
  'propose.deduction': '<program>', 'propose.abduction': '<program>', 'propose.induction': '<input>',
  'solve.deduction': '<output>', 'solve.abduction': '<input>', 'solve.induction': '<program>',
};

describe('pretraining examples', () => {
  it('cover the six layouts in the documented mix, fit the context and end with <eos>', () => {
    for (const contextLength of [256, 512]) {
      const { examples, stats } = examplesFromPrograms(createRng(1), programs, 600, { encode: enc, contextLength });
      expect(examples).toHaveLength(600);
      expect(stats.refusedByGrammar).toBe(0);
      for (const key of GROUP_KEYS) {
        const share = examples.filter((e) => e.layout === key).length / examples.length;
        expect(Math.abs(share - PRETRAIN_MIX[key]), key).toBeLessThan(0.06);
      }
      for (const e of examples) {
        expect(enc(e.prompt).length + enc(e.target).length).toBeLessThanOrEqual(contextLength);
        expect(e.prompt.startsWith(HEADS[e.layout])).toBe(true);
        expect(e.prompt.endsWith(TAILS[e.layout])).toBe(true);
        expect(e.target.endsWith('<eos>')).toBe(true);
        expect(e.target.slice(0, -5)).not.toContain('<eos>');
      }
    }
  });

  it('have targets that the response grammars accept', () => {
    const { examples } = examplesFromPrograms(createRng(2), programs, 120, { encode: enc, contextLength: 512, checkGrammar: false });
    for (const e of examples) {
      const arity = functionArity(e.program);
      const kind = { 'solve.deduction': 'value', 'solve.abduction': 'args', 'solve.induction': 'program', 'propose.deduction': 'triplet', 'propose.abduction': 'triplet', 'propose.induction': 'induction' } as const;
      const k = kind[e.layout];
      const pairs = k === 'induction' ? e.target.split('<sep>').length : undefined;
      const cap = k === 'value' || k === 'args' ? 40 : k === 'induction' ? 400 : 96;
      expect(acceptedBy(k, e.target, cap, { arity: k === 'args' || k === 'induction' ? arity : undefined, pairs })).toEqual({ ok: true });
    }
  });

  it('drop proposer references to fit, and are reproducible end to end', async () => {
    const { examples } = examplesFromPrograms(createRng(4), programs, 300, { encode: enc, contextLength: 256, maxReferences: 6 });
    const proposals = examples.filter((e) => e.layout === 'propose.deduction' || e.layout === 'propose.abduction');
    expect(proposals.length).toBeGreaterThan(0);
    for (const e of proposals) expect(enc(e.prompt).length + enc(e.target).length).toBeLessThanOrEqual(256);
    const label = (runs: { program: string; input: string }[]) => validateProposals(executor, runs);
    const a = await buildPretrainExamples(createRng(9), 60, { label, encode: enc, contextLength: 256, programs: 20 });
    const b = await buildPretrainExamples(createRng(9), 60, { label, encode: enc, contextLength: 256, programs: 20 });
    expect(a.examples).toEqual(b.examples);
    expect(new Set(a.examples.map((e) => e.layout)).size).toBe(6);
  });
});
