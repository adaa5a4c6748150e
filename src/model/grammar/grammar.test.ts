import { describe, expect, it } from 'vitest';
import { SPECIAL, VOCAB, decode, encode, tokenId, vocabSize } from '../tokenizer';
import { parseArgList, parseLiteral } from '../../sandbox/literal';
import { checkProgram as sandboxCheck } from '../../sandbox/static';
import { arityOf, checkLiterals, checkProgram } from './checks';
import { INPUTS, PROGRAMS } from './fixtures';
import { createConstraint, grammarFor, minTokens, type ConstraintKind, type ConstraintOptions, GrammarConstraint } from './index';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A policy that prefers tokens opening long constructs and avoids closing ones, to push the length
// cap: the constraint must still close everything in time.
const OPENERS = new Set(['if', 'for', 'while', 'let', 'const', '(', '[', '{', '.', '=>', '?', "'", '"', '...', 'map', 'filter', 'reduce', ',', '&&', '+', '<sep>']);
const CLOSERS = new Set(['<eos>', '}', ')', ']', ';', '<input>', '<message>', 'return']);
const BIAS = Float64Array.from(VOCAB, (t) => (OPENERS.has(t) ? 40 : CLOSERS.has(t) ? 0.05 : 1));

const mask = new Uint8Array(vocabSize);
const allowedIds = new Int32Array(vocabSize);
let allowedCalls = 0;
let allowedNanos = 0;
let advanceNanos = 0;

/** Samples one response; checks every step is deterministic and that some token is always allowed. */
function sample(kind: ConstraintKind, maxTokens: number, rnd: () => number, biased: boolean, options: ConstraintOptions = {}): number[] {
  const c = createConstraint(kind, maxTokens, options) as GrammarConstraint;
  const ids: number[] = [];
  while (!c.done) {
    const t0 = process.hrtime.bigint();
    c.allowed(mask);
    allowedNanos += Number(process.hrtime.bigint() - t0);
    allowedCalls++;
    let n = 0;
    let total = 0;
    for (let i = 0; i < vocabSize; i++) {
      if (mask[i]) {
        allowedIds[n++] = i;
        total += biased ? BIAS[i] : 1;
      }
    }
    if (n === 0) throw new Error(`no token allowed after ${JSON.stringify(decode(ids))}`);
    let pick = allowedIds[n - 1];
    let r = rnd() * total;
    for (let i = 0; i < n; i++) {
      r -= biased ? BIAS[allowedIds[i]] : 1;
      if (r < 0) {
        pick = allowedIds[i];
        break;
      }
    }
    if (c.matchCount(pick) > 1 && VOCAB[pick] !== 'else') {
      throw new Error(`ambiguous token ${JSON.stringify(VOCAB[pick])} after ${JSON.stringify(decode(ids))}`);
    }
    const t1 = process.hrtime.bigint();
    c.advance(pick);
    advanceNanos += Number(process.hrtime.bigint() - t1);
    ids.push(pick);
    if (ids.length > maxTokens) throw new Error('over the length cap');
  }
  return ids;
}

const SPECIAL_IDS = new Set(Object.values(SPECIAL));

/** Splits a response at its special tokens: the text before the first, then [special, text] pairs. */
function parts(ids: number[]): { head: string; rest: [string, string][] } {
  const rest: [string, string][] = [];
  let current: number[] = [];
  let head: string | undefined;
  for (const id of ids) {
    if (SPECIAL_IDS.has(id)) {
      if (head === undefined) head = decode(current);
      else rest[rest.length - 1][1] = decode(current);
      rest.push([VOCAB[id], '']);
      current = [];
    } else current.push(id);
  }
  return { head: head ?? decode(current), rest };
}

function checkResponse(kind: ConstraintKind, ids: number[], maxTokens: number, options: ConstraintOptions): void {
  expect(ids.length).toBeLessThanOrEqual(maxTokens);
  expect(ids[ids.length - 1]).toBe(SPECIAL.eos);
  expect(ids.slice(0, -1).every((id) => id !== SPECIAL.eos && id !== SPECIAL.pad)).toBe(true);
  const text = decode(ids);
  const { head, rest } = parts(ids);
  // The text never spells a special token that was not sampled as one.
  expect(encode(text).filter((id) => SPECIAL_IDS.has(id))).toEqual(ids.filter((id) => SPECIAL_IDS.has(id)));
  const fail = (why: string): never => {
    throw new Error(`${kind}: ${why}\n${text}`);
  };
  // Both our acorn-based check and the executor's own strict parser must accept every literal.
  const literals = (s: string, one = false): number => {
    const parsed = one ? parseLiteral(s) : parseArgList(s);
    if (!parsed.ok) fail(`the literal parser refuses ${JSON.stringify(s)}: ${parsed.message}`);
    try {
      return checkLiterals(s);
    } catch (e) {
      return fail(`bad literal ${JSON.stringify(s)}: ${(e as Error).message}`);
    }
  };
  switch (kind) {
    case 'program':
    case 'triplet': {
      const problems = checkProgram(head);
      if (problems.length > 0) fail(problems.join('; '));
      const verdict = sandboxCheck(head, 1e6);
      if (!verdict.ok) fail(`executor's static check: ${verdict.message}`);
      if (kind === 'triplet') {
        expect(rest.map((r) => r[0])).toEqual(['<input>', '<eos>']);
        expect(literals(rest[0][1])).toBe(arityOf(head));
        if (options.arity !== undefined) expect(arityOf(head)).toBe(options.arity);
      } else {
        expect(rest.map((r) => r[0])).toEqual(['<eos>']);
      }
      return;
    }
    case 'args':
    case 'value': {
      const n = literals(head, kind === 'value');
      if (kind === 'value') expect(n).toBe(1);
      if (options.arity !== undefined) expect(n).toBe(options.arity);
      expect(rest.map((r) => r[0])).toEqual(['<eos>']);
      return;
    }
    case 'induction': {
      const pairs = options.pairs ?? 10;
      const lists = [head, ...rest.filter((r) => r[0] === '<sep>').map((r) => r[1])];
      expect(lists.length).toBe(pairs);
      for (const l of lists) {
        const n = literals(l);
        if (options.arity !== undefined) expect(n).toBe(options.arity);
      }
      const msg = rest.find((r) => r[0] === '<message>');
      if (!msg || !/^[a-z]+( [a-z]+)*$/.test(msg[1])) fail('bad message');
      const msgTokens = ids.length - 1 - ids.indexOf(SPECIAL.message) - 1;
      expect(msgTokens).toBeLessThanOrEqual(options.messageTokens ?? 16);
      expect(rest[rest.length - 1][0]).toBe('<eos>');
      return;
    }
  }
}

const CASES: [ConstraintKind, ConstraintOptions][] = [
  ['program', {}],
  ['program', { arity: 2 }],
  ['triplet', {}],
  ['args', {}],
  ['args', { arity: 2 }],
  ['value', {}],
  ['induction', { pairs: 4, arity: 1 }],
  ['induction', { pairs: 10 }],
];

describe('grammar-constrained decoding', () => {
  const perKind = new Map<string, { calls: number; nanos: number }>();
  for (const [kind, options] of CASES) {
    const label = `${kind} ${JSON.stringify(options)}`;
    const caps = (kind === 'induction' && (options.pairs ?? 10) === 10 ? [60, 100, 160] : [24, 48, 160]).filter(
      (cap) => cap >= minTokens(kind, options),
    );
    it(`${label}: 1,000 random samples per policy parse, pass the checks and fit caps ${caps.join('/')}`, () => {
      const rnd = mulberry32(kind.length * 7919 + (options.pairs ?? 0) + (options.arity ?? 0) * 31);
      const c0 = allowedCalls;
      const n0 = allowedNanos;
      for (const biased of [false, true]) {
        for (let i = 0; i < 1000; i++) {
          const cap = caps[i % caps.length];
          const ids = sample(kind, cap, rnd, biased, options);
          checkResponse(kind, ids, cap, options);
        }
      }
      perKind.set(label, { calls: allowedCalls - c0, nanos: allowedNanos - n0 });
    });
  }

  it('reports the time per allowed() call', () => {
    for (const [label, { calls, nanos }] of perKind) {
      console.log(`allowed(): ${(nanos / calls / 1000).toFixed(2)} µs per call over ${calls} calls — ${label}`);
    }
    console.log(`allowed(): ${(allowedNanos / allowedCalls / 1000).toFixed(2)} µs per call overall (vocabulary ${vocabSize}); advance(): ${(advanceNanos / allowedCalls / 1000).toFixed(2)} µs`);
  });

  it('can produce every hand-written program, with its input, token by token', () => {
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(20);
    PROGRAMS.forEach((program, i) => {
      expect(checkProgram(program)).toEqual([]);
      for (const [kind, text] of [['program', `${program}<eos>`], ['triplet', `${program}<input>${INPUTS[i]}<eos>`]] as const) {
        const ids = encode(text);
        const c = createConstraint(kind, ids.length);
        ids.forEach((id, pos) => {
          c.allowed(mask);
          if (!mask[id]) throw new Error(`${kind} ${i}: ${JSON.stringify(VOCAB[id])} refused after ${JSON.stringify(decode(ids.slice(0, pos)))}`);
          c.advance(id);
        });
        expect(c.done).toBe(true);
      }
    });
  });

  it('accepts literal answers and induction proposals written by hand', () => {
    const accept = (kind: ConstraintKind, text: string, options: ConstraintOptions = {}): void => {
      const ids = encode(text);
      const c = createConstraint(kind, ids.length, options);
      for (const id of ids) {
        c.allowed(mask);
        if (!mask[id]) throw new Error(`${kind}: ${JSON.stringify(VOCAB[id])} refused in ${JSON.stringify(text)}`);
        c.advance(id);
      }
      expect(c.done).toBe(true);
    };
    for (const v of ['-12.5', '1e3', '0', '-0.05', '1.5e-7', '100', '1005', "'Hello world'", '"a b"', 'true', 'null', '[]', '{}',
      '[1, [2, [3]], {"a": [true, false]}]', "{'x': -1, \"y\": 'z'}"]) {
      accept('value', `${v}<eos>`);
    }
    accept('args', "[1, 2, 3], 'abc', 4<eos>");
    accept('args', '7, 3<eos>', { arity: 2 });
    accept('induction', '1<sep>2<sep>3<sep>[4]<message>returns the square of x<eos>', { pairs: 4 });
  });

  it('refuses what the subset leaves out', () => {
    // Returns the texts the grammar allows right after `prefix`.
    const next = (kind: ConstraintKind, prefix: string): Set<string> => {
      const c = createConstraint(kind, 200);
      for (const id of encode(prefix)) c.advance(id);
      c.allowed(mask);
      return new Set(VOCAB.filter((_, id) => mask[id]));
    };
    const body = 'function f(a) {\n  const b = 1;\n  ';
    const afterBody = next('program', body);
    expect(afterBody.has('a')).toBe(true); // parameter: assignable
    expect(afterBody.has('b')).toBe(true); // const: may be indexed or called
    expect(afterBody.has('c')).toBe(false); // undeclared
    expect(afterBody.has('Math')).toBe(false); // no bare expression statements
    expect(next('program', `${body}b`).has('=')).toBe(false); // never assign a const
    expect(next('program', `${body}a`).has('=')).toBe(true);
    expect(next('program', `${body}return `).has('c')).toBe(false);
    expect([...next('program', `${body}return Math.`)].sort()).toEqual(['abs', 'ceil', 'floor', 'max', 'min', 'pow', 'round', 'sign', 'sqrt', 'trunc']);
    expect(next('program', `${body}let `).has('a')).toBe(false); // no redeclaration or shadowing
    expect(next('program', `${body}let `).has('c')).toBe(true);
    expect(next('program', `${body}let c = `).has('c')).toBe(false); // not visible in its own initialiser
    expect(afterBody.has('break')).toBe(false); // break only in loops
    expect(next('program', `${body}while (a) `).has('break')).toBe(true);
    expect(next('program', 'function f(a) {\n  return -a ').has('**')).toBe(false); // `-a ** 2` is a syntax error
    expect(next('program', 'function f(a) {\n  return a -').has('-')).toBe(false); // would read as `a--`
    expect(next('program', 'function f(a) {\n  return').has('a')).toBe(false); // `returna`
    expect(next('program', 'function f(a) {\n  return').has(' ')).toBe(true);
    expect(next('program', 'function f(a) {\n  return 0').has('7')).toBe(false); // no leading zeros
    expect(next('program', 'function f(a) {\n  return 1').has('2')).toBe(false); // canonical pieces: `12` is one token
    expect(next('program', 'function f(a) {\n  return a.map(b => b').has(';')).toBe(false);
    expect(next('program', 'function f(a) {\n  return "').has('<')).toBe(false); // never spells a special token
    expect(next('program', 'function f(a) {\n  return a;\n}').has('<eos>')).toBe(true);
    expect(next('value', "'abc").has("'")).toBe(true);
    // A string in code never spells a member the executor forbids (`a['constructor']`).
    expect(next('program', "function f(a) {\n  return a['constructo").has('r')).toBe(false);
    expect(next('program', "function f(a) {\n  return a['constructo").has('rs')).toBe(false);
    expect(next('program', "function f(a) {\n  return a['constructo").has('x')).toBe(true);
    expect(next('value', "'constructo").has('r')).toBe(true); // data may say anything
    // The arity option fixes the number of parameters.
    expect(next('program', 'function f(a').has(')')).toBe(true);
    const two = (prefix: string): Set<string> => {
      const c = createConstraint('program', 100, { arity: 2 });
      for (const id of encode(prefix)) c.advance(id);
      c.allowed(mask);
      return new Set(VOCAB.filter((_, id) => mask[id]));
    };
    expect(two('function f(a').has(')')).toBe(false);
    expect(two('function f(a, b').has(',')).toBe(false);
    expect(two('function f(a, b').has(')')).toBe(true);
  });

  it('refuses a length cap below the shortest response and ends with <pad> after <eos>', () => {
    expect(() => createConstraint('program', minTokens('program') - 1)).toThrow(RangeError);
    const c = createConstraint('value', 2);
    c.advance(tokenId('7'));
    c.allowed(mask);
    expect(VOCAB.filter((_, id) => mask[id])).toEqual(['<eos>']);
    c.advance(SPECIAL.eos);
    expect(c.done).toBe(true);
    c.allowed(mask);
    expect(VOCAB.filter((_, id) => mask[id])).toEqual(['<pad>']);
    expect(() => c.advance(tokenId('1'))).toThrow(/not allowed/);
    expect(() => createConstraint('induction', 100, { pairs: 0 })).toThrow(/pairs/);
    expect(() => createConstraint('program', 100, { arity: 5 })).toThrow(/arity/);
    expect(grammarFor('args', { arity: 0 })).toBe(grammarFor('args')); // `function f()`: any list
    expect(grammarFor('value', { arity: 3 })).toBe(grammarFor('value'));
  });

  it('compiles each grammar once', () => {
    expect(grammarFor('program')).toBe(grammarFor('program'));
    expect(minTokens('program')).toBe(encode('function f(a){return 0;}<eos>').length);
  });
});
