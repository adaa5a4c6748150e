import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../azr/config';
import { solvePrompt } from '../azr/prompts';
import { createRng } from '../azr/rng';
import { encode } from '../model/tokenizer';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor } from '../sandbox/node';
import { renderFunction } from './code';
import { acceptedBy } from './constraints';
import { buildEvalSuite, familyOfTask, parseSuite, toJsonl, type EvalTask } from './eval-suite';
import { heldOutFeatures } from './features';
import { HELD_OUT_FAMILIES, TRAIN_FAMILIES, pickFamily } from './families';

const suite: EvalTask[] = parseSuite(readFileSync(new URL('../../eval/heldout.jsonl', import.meta.url), 'utf8'));

describe('the committed held-out suite (eval/heldout.jsonl)', () => {
  it('has at least 100 tasks per type, unique ids, from every held-out family only', () => {
    expect(suite.length).toBeGreaterThanOrEqual(300);
    expect(new Set(suite.map((t) => t.id)).size).toBe(suite.length);
    const held = new Set(HELD_OUT_FAMILIES.map((f) => f.name));
    for (const type of TASK_TYPES) {
      const mine = suite.filter((t) => t.type === type);
      expect(mine.length).toBeGreaterThanOrEqual(100);
      expect(new Set(mine.map((t) => familyOfTask(t.id)))).toEqual(held);
    }
  });

  it('holds held-out compositions only, visible parts that constrained decoding can write, and fits the context', () => {
    for (const t of suite) {
      if (t.type === 'induction') {
        expect(t.pairs.length).toBeGreaterThanOrEqual(4);
        expect(acceptedBy('induction', `${t.pairs.map((p) => p.input).join('<sep>')}<message>${t.message}<eos>`, 400, { pairs: t.pairs.length }).ok).toBe(true);
        const prompt = solvePrompt('induction', { program: '', pairs: t.pairs, shown: Math.ceil(t.pairs.length / 2), message: t.message });
        expect(encode(prompt).length + 96).toBeLessThanOrEqual(512);
        for (const p of t.pairs) expect(acceptedBy('value', `${p.output}<eos>`, 41).ok).toBe(true);
      } else {
        expect(heldOutFeatures(t.program).size, t.program).toBeGreaterThan(0);
        const literal = t.type === 'deduction' ? acceptedBy('args', `${t.input}<eos>`, 41) : acceptedBy('value', `${t.output}<eos>`, 41);
        expect(literal.ok).toBe(true);
        expect(encode(solvePrompt(t.type, { program: t.program, input: t.type === 'deduction' ? t.input : '', output: t.type === 'abduction' ? t.output : '' })).length + 40).toBeLessThanOrEqual(512);
      }
    }
  });

  it('shares no program with a large sample of the pretraining generator', () => {
    const evalPrograms = new Set(suite.flatMap((t) => (t.type === 'induction' ? [] : [t.program])));
    const rng = createRng(12345);
    let overlap = 0;
    for (let i = 0; i < 60_000; i++) {
      const s = pickFamily(rng, 'train').make(rng);
      if (evalPrograms.has(renderFunction(s.params.map((p) => p.name), s.body))) overlap++;
    }
    expect(overlap).toBe(0);
    expect(TRAIN_FAMILIES.length).toBeGreaterThan(0);
  });
});

describe('the committed in-distribution diagnostic suite (eval/indist.jsonl)', () => {
  it('has 100 tasks per type from the train families only; boolean families hand their induction share on', () => {
    const indist = parseSuite(readFileSync(new URL('../../eval/indist.jsonl', import.meta.url), 'utf8'));
    const train = new Set(TRAIN_FAMILIES.map((f) => f.name));
    for (const type of TASK_TYPES) {
      const mine = indist.filter((t) => t.type === type);
      expect(mine.length).toBe(100);
      for (const t of mine) expect(train.has(familyOfTask(t.id))).toBe(true);
    }
    expect(indist.some((t) => t.type === 'induction' && familyOfTask(t.id) === 'compare')).toBe(false);
    expect(new Set(indist.map((t) => t.id)).size).toBe(indist.length);
  });
});

describe('buildEvalSuite', () => {
  const executor = createNodeExecutor();
  afterAll(() => executor.dispose());
  it('is reproducible and spreads tasks evenly over the held-out families', async () => {
    const options = { label: (runs: { program: string; input: string }[]) => validateProposals(executor, runs), encode: (s: string) => encode(s), perType: HELD_OUT_FAMILIES.length };
    const a = await buildEvalSuite(createRng(1), options);
    const b = await buildEvalSuite(createRng(1), options);
    expect(toJsonl(a)).toBe(toJsonl(b));
    expect(parseSuite(toJsonl(a))).toEqual(a);
    for (const type of TASK_TYPES) expect(a.filter((t) => t.type === type).map((t) => familyOfTask(t.id))).toEqual(HELD_OUT_FAMILIES.map((f) => f.name));
  });
});
