import { describe, expect, it } from 'vitest';
import { runCli } from './io-test-helper';

const GT3 = 'function f(a) { return a > 3; }';

describe('npm run check', () => {
  it('checks each type of answer, refuses hacks as answer-syntax, reports bad lines, and exits 1', async () => {
    const lines = [
      JSON.stringify({ id: 'd', type: 'deduction', program: 'function f(a) { return { n: a * 2 }; }', input: '2', answer: '{ "n": 4.0 }' }),
      JSON.stringify({ id: 'a-hack', type: 'abduction', program: GT3, output: 'true', answer: '1) || (1' }),
      JSON.stringify({ id: 'a-redefine', type: 'abduction', program: GT3, output: 'true', answer: '1); function f() { return true; }; f(1' }),
      JSON.stringify({ id: 'a', type: 'abduction', program: GT3, output: 'true', answer: '5' }),
      JSON.stringify({ id: 'bad-type', type: 'deductive', program: GT3, input: '1', answer: 'false' }),
      'not json at all',
      JSON.stringify({ id: 'i', type: 'induction', pairs: [{ input: '1', output: '2' }, { input: '2', output: '4' }], answer: 'function f(x) { return x * 2; }' }),
      JSON.stringify({ id: 'i-wrong', type: 'induction', pairs: [{ input: '1', output: '2' }, { input: '2', output: '4' }], answer: 'function f(x) { return x + 1; }' }),
      JSON.stringify({ id: 'i-bad', type: 'induction', pairs: [{ input: '1' }], answer: 'function f(x) { return x; }' }),
      JSON.stringify({ id: 'd-extra', type: 'deduction', program: GT3, input: '1', answer: 'false', output: 'false' }),
    ];
    const { code, out, err } = await runCli('src/cli/check.ts', [], lines);
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 'd', correct: true },
      { id: 'a-hack', correct: false, reason: 'answer-syntax', message: expect.any(String) },
      { id: 'a-redefine', correct: false, reason: 'answer-syntax', message: expect.any(String) },
      { id: 'a', correct: true },
      { id: 'bad-type', error: expect.stringMatching(/"type" must be one of deduction, abduction, induction/) },
      { error: expect.stringMatching(/^malformed JSON/) },
      { id: 'i', correct: true },
      { id: 'i-wrong', correct: false, reason: 'wrong-answer', message: expect.any(String) },
      { id: 'i-bad', error: 'missing key "output" in pairs[0]' },
      { id: 'd-extra', error: expect.stringMatching(/unknown key "output"/) },
    ]);
    expect(code).toBe(1);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it("accepts validate's canonical output back as an answer", async () => {
    const program = "function f(s) { return { t: s.toUpperCase(), n: [s.length, -0, 0.5] }; }";
    const validated = await runCli('src/cli/validate.ts', [], [JSON.stringify({ program, input: "'ab'" })]);
    const { output } = JSON.parse(validated.out[0]) as { output: string };
    const checked = await runCli('src/cli/check.ts', [], [JSON.stringify({ type: 'deduction', program, input: "'ab'", answer: output })]);
    expect(JSON.parse(checked.out[0])).toEqual({ correct: true });
    expect(checked.code).toBe(0);
  });
});
