import { describe, expect, it } from 'vitest';
import { IDENTITY_SEED } from './buffers';
import {
  parseAnswer, parseInductionProposal, parseTripletProposal, proposeInductionTarget, proposeTripletPrompt,
  proposeTripletTarget, solveInductionPrompt, solvePrompt, solveTarget,
} from './prompts';

// A stand-in encoder that counts characters; the layout logic only needs lengths.
const chars = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

describe('prompt layouts', () => {
  it('lays out a deduction proposal with its references and ends where the program begins', () => {
    const { text, refsUsed } = proposeTripletPrompt('deduction', [IDENTITY_SEED], chars, 1000);
    expect(refsUsed).toBe(1);
    expect(text).toBe(`<bos><propose><deduction><ref><program>${IDENTITY_SEED.program}<input>'Hello world'<output>"Hello world"<program>`);
  });

  it('drops the oldest references that do not fit the budget', () => {
    const refs = [IDENTITY_SEED, { ...IDENTITY_SEED, input: "'x'", output: '"x"' }];
    const full = proposeTripletPrompt('abduction', refs, chars, 1000);
    const one = proposeTripletPrompt('abduction', refs, chars, full.ids.length - 1);
    expect(one.refsUsed).toBe(1);
    expect(one.text).toContain("<input>'x'");
    expect(proposeTripletPrompt('abduction', refs, chars, 5).refsUsed).toBe(0);
  });

  it('lays out solver prompts with targets that parse back', () => {
    expect(solvePrompt('deduction', IDENTITY_SEED)).toBe(`<bos><solve><deduction><program>${IDENTITY_SEED.program}<input>'Hello world'<output>`);
    expect(solvePrompt('abduction', IDENTITY_SEED).endsWith('<output>"Hello world"<input>')).toBe(true);
    const target = solveTarget('deduction', IDENTITY_SEED);
    expect(parseAnswer(target)).toEqual({ ok: true, value: '"Hello world"' });
    const induction = { program: IDENTITY_SEED.program, pairs: [{ input: '1', output: '1' }, { input: '2', output: '2' }], shown: 1, message: 'identity' };
    expect(solvePrompt('induction', induction)).toBe(solveInductionPrompt('identity', [{ input: '1', output: '1' }]));
    expect(solvePrompt('induction', induction)).not.toContain('<input>2');
  });

  it('parses a proposed triplet and refuses malformed ones', () => {
    expect(parseTripletProposal(proposeTripletTarget(IDENTITY_SEED))).toEqual({ ok: true, value: { program: IDENTITY_SEED.program, input: "'Hello world'" } });
    expect(parseTripletProposal('function f(a) { return a; }<input>1').ok).toBe(false);
    expect(parseTripletProposal('function f(a) { return a; }<eos>').ok).toBe(false);
    expect(parseTripletProposal('function f(a) { return a; }<input>1<input>2<eos>').ok).toBe(false);
    expect(parseTripletProposal('function f(a) { return a; }<input>1<eos><pad>').ok).toBe(false);
  });

  it('parses an induction proposal with exactly N inputs', () => {
    const text = proposeInductionTarget(['1', '2', '3', '4'], 'adds one');
    expect(parseInductionProposal(text, 4)).toEqual({ ok: true, value: { inputs: ['1', '2', '3', '4'], message: 'adds one' } });
    expect(parseInductionProposal(text, 6).ok).toBe(false);
    expect(parseInductionProposal('1<sep>2<eos>', 2).ok).toBe(false);
  });
});
