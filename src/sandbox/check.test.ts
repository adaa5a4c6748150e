import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswers, validateProposals, type CheckRequest } from './check';
import { createLocalExecutor } from './quickjs';
import type { Executor, RunRequest, Verdict } from './types';

let executor: Executor;
let batches = 0;
let runs = 0;

beforeAll(async () => {
  const local = createLocalExecutor(await newQuickJSWASMModuleFromVariant(RELEASE_SYNC));
  executor = {
    runBatch: (requests: RunRequest[]): Promise<Verdict[]> => {
      batches++;
      runs += requests.length;
      return local.runBatch(requests);
    },
    dispose: () => local.dispose(),
  };
});
afterAll(() => executor.dispose());

const DOUBLE = 'function f(a) { return a.map((x) => x * 2); }';
const GT3 = 'function f(a) { return a > 3; }';
const KEYS = 'function f() { return { b: 1.0, a: [-0, "x"] }; }';

async function check(request: CheckRequest) {
  const [result] = await checkAnswers(executor, [request]);
  return result;
}

describe('checkAnswers', () => {
  it('deduction: equal values in any spelling are equal', async () => {
    for (const answer of ['{ a: [0, "x"], b: 1 }', "{'b':1.0,'a':[-0,'x']}", '{\n  "a" : [ 0.0 , "\\x78" ] ,\n  b : 1e0\n}', '{b: 1, a: [0, "x"],}']) {
      expect(await check({ type: 'deduction', program: KEYS, input: '', answer }), answer).toEqual({ correct: true });
    }
    expect(await check({ type: 'deduction', program: DOUBLE, input: '[1, 2]', answer: '[2.0, 4]' })).toEqual({ correct: true });
    expect(await check({ type: 'deduction', program: DOUBLE, input: '[1, 2]', answer: '[2, 5]' })).toMatchObject({ correct: false, reason: 'wrong-answer' });
    expect(await check({ type: 'deduction', program: DOUBLE, input: '[1, 2]', answer: '"[2,4]"' })).toMatchObject({ correct: false, reason: 'wrong-answer' });
  });

  it('abduction: any input that gives the output is right', async () => {
    expect(await check({ type: 'abduction', program: GT3, output: 'true', answer: '10' })).toEqual({ correct: true });
    expect(await check({ type: 'abduction', program: GT3, output: 'true', answer: '4.0' })).toEqual({ correct: true });
    expect(await check({ type: 'abduction', program: GT3, output: 'true', answer: '2' })).toMatchObject({ correct: false, reason: 'wrong-answer' });
    expect(await check({ type: 'abduction', program: DOUBLE, output: '[ 2, 4 ]', answer: '[1, 2]' })).toEqual({ correct: true });
  });

  it('refuses answer-hacking attempts as answer-syntax: answers are data, never code', async () => {
    const hacks = [
      '1) || (1',
      '1); function f() { return true; } f(1',
      '1), f = () => true, (1',
      '(() => true)()',
      '{ valueOf() { return 10; } }',
      '{ valueOf: () => 10 }',
      '{ toJSON() { return true; } }',
      '{ get x() { return 1; } }',
      'Infinity',
      'globalThis.f = () => true',
    ];
    for (const answer of hacks) {
      expect(await check({ type: 'abduction', program: GT3, output: 'true', answer }), answer).toMatchObject({ correct: false, reason: 'answer-syntax' });
      expect(await check({ type: 'deduction', program: GT3, input: '10', answer }), answer).toMatchObject({ correct: false, reason: 'answer-syntax' });
    }
  });

  it('compares data keys as data: an answer with a toJSON key is just a wrong value', async () => {
    expect(await check({ type: 'deduction', program: GT3, input: '10', answer: '{ toJSON: true }' })).toMatchObject({ reason: 'wrong-answer' });
  });

  it('induction: correct only when the program is valid and matches every pair', async () => {
    const pairs = [
      { input: '1', output: '2' },
      { input: '3', output: '6' },
    ];
    expect(await check({ type: 'induction', pairs, answer: 'function f(x) { return x * 2; }' })).toEqual({ correct: true });
    expect(await check({ type: 'induction', pairs, answer: 'function f(x) { return x + 1; }' })).toMatchObject({ reason: 'wrong-answer', message: expect.stringMatching(/pair 1/) });
    expect(await check({ type: 'induction', pairs, answer: 'function f(x) { return Date.now() ? x * 2 : 0; }' })).toMatchObject({ reason: 'forbidden' });
    expect(await check({ type: 'induction', pairs, answer: 'function f(x) { while (true) {} }' })).toMatchObject({ reason: 'timeout' });
    expect(await check({ type: 'induction', pairs, answer: 'function f(x) { return x * 2' })).toMatchObject({ reason: 'syntax' });
    expect(await check({ type: 'induction', pairs, answer: 'const f = (x) => x * 2;' })).toMatchObject({ reason: 'forbidden' });
  });

  it("reports the executor's reason when the task's program fails, and syntax for a task's bad literals", async () => {
    expect(await check({ type: 'deduction', program: 'function f() { return null.x; }', input: '', answer: '1' })).toMatchObject({ reason: 'runtime-error' });
    expect(await check({ type: 'abduction', program: GT3, output: 'tru', answer: '1' })).toMatchObject({ reason: 'syntax' });
    expect(await check({ type: 'induction', pairs: [], answer: DOUBLE })).toMatchObject({ reason: 'syntax' });
    expect(await check({ type: 'induction', pairs: [{ input: 'x', output: '1' }], answer: DOUBLE })).toMatchObject({ reason: 'syntax' });
  });

  it('checks a whole mixed batch in one executor round trip', async () => {
    const before = batches;
    const results = await checkAnswers(executor, [
      { type: 'deduction', program: DOUBLE, input: '[1]', answer: '[2]' },
      { type: 'abduction', program: GT3, output: 'false', answer: '1) || (1' },
      { type: 'abduction', program: GT3, output: 'false', answer: '0' },
      { type: 'induction', pairs: [{ input: '[1]', output: '[2]' }, { input: '[]', output: '[]' }], answer: DOUBLE },
    ]);
    expect(results.map((r) => r.correct)).toEqual([true, false, true, true]);
    expect(batches - before).toBe(1);
  });
});

it('runs each distinct (program, input) once however many answers need it', async () => {
  const before = runs;
  const results = await checkAnswers(executor, [
    { type: 'deduction', program: DOUBLE, input: '[1]', answer: '[2]' },
    { type: 'deduction', program: DOUBLE, input: '[1]', answer: '[3]' },
    { type: 'deduction', program: DOUBLE, input: '[1]', answer: '[2.0]' },
    { type: 'abduction', program: GT3, output: 'false', answer: '0' },
    { type: 'abduction', program: GT3, output: 'true', answer: '0' },
    { type: 'abduction', program: GT3, output: 'true', answer: '7' },
  ]);
  expect(results.map((r) => r.correct)).toEqual([true, false, true, true, false, true]);
  expect(runs - before).toBe(3); // DOUBLE on [1]; GT3 on 0; GT3 on 7
});

describe('validateProposals', () => {
  it('gives one verdict per proposal, in order', async () => {
    const verdicts = await validateProposals(executor, [
      { program: DOUBLE, input: '[1, 2]' },
      { program: 'function f() { return Math.random(); }', input: '' },
    ]);
    expect(verdicts).toEqual([{ ok: true, output: '[2,4]' }, { ok: false, reason: 'forbidden', message: expect.stringMatching(/Math\.random/) }]);
  });
});
