import { readFileSync } from 'node:fs';
import { newQuickJSWASMModuleFromVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayReuseContext } from './harden';
import { QuickJSRunner } from './quickjs';
import type { RunRequest } from './types';

let module: QuickJSWASMModule;
let reusing: QuickJSRunner;
let fresh: QuickJSRunner;

beforeAll(async () => {
  module = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
  reusing = new QuickJSRunner(module);
  fresh = new QuickJSRunner(module, {}, { reuseContexts: false });
});
afterAll(() => {
  reusing.dispose();
  fresh.dispose();
});

/** `f(...input)` once with seed 1, bypassing the static checks (what a dodge of them could run). */
function runBoth(program: string, input = '[]'): [string, string] {
  const show = (r: QuickJSRunner) => {
    const v = r.run(program, input, 1);
    return v.ok ? `ok ${v.output}` : `${v.reason}: ${v.message}`;
  };
  return [show(reusing), show(fresh)];
}

const FUNCTION_OF = "(() => 0)['constr' + 'uctor']";
const GLOBAL = `${FUNCTION_OF}('return this')()`;

describe('reused hardened context: the same verdicts as a fresh context per run', () => {
  it('gives the same verdict as fresh contexts on every deduction task of both eval suites, mostly without a fresh context', () => {
    const requests: RunRequest[] = [];
    for (const file of ['eval/heldout.jsonl', 'eval/indist.jsonl']) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const task = JSON.parse(line) as { type: string; program?: string; input?: string };
        if (task.type === 'deduction' && task.program !== undefined && task.input !== undefined) {
          requests.push({ program: task.program, input: task.input });
        }
      }
    }
    expect(requests.length).toBeGreaterThanOrEqual(200);
    const before = { ...reusing.stats };
    for (const request of requests) expect(reusing.validate(request)).toEqual(fresh.validate(request));
    const reused = reusing.stats.reused - before.reused;
    const freshRuns = reusing.stats.fresh - before.fresh;
    // Two runs per validation; nearly all of them in the reused context.
    expect(reused + freshRuns).toBe(2 * requests.length);
    expect(reused).toBeGreaterThan(0.9 * 2 * requests.length);
  });

  it('answers a write to a built-in as a fresh context does, and the next run does not see it', () => {
    const cases: [write: string, read: string, input: string][] = [
      ['function f() { Math.x = 1; return Math.x; }', 'function f() { return typeof Math.x; }', '[]'],
      ['function f() { [].map.foo = 2; return [].map.foo; }', 'function f() { return typeof [].map.foo; }', '[]'],
      ['function f() { delete Math.max; return typeof Math.max; }', 'function f() { return typeof Math.max; }', '[]'],
      ["function f() { Object.defineProperty(Math, 'x', { value: 3 }); return Math.x; }", 'function f() { return typeof Math.x; }', '[]'],
      ['function f() { Object.assign(Array, { y: 4 }); return Array.y; }', 'function f() { return typeof Array.y; }', '[]'],
      ['function f(w) { const c = {}; c[w] = 1; return c; }', 'function f(w) { return typeof ({})[w]; }', '["toString"]'],
      [`function f() { const g = ${GLOBAL}; g.leak = 7; return g.leak; }`, `function f() { return typeof ${GLOBAL}.leak; }`, '[]'],
      [`function f() { const g = ${GLOBAL}; g.Math = 0; return typeof g.Math; }`, 'function f() { return typeof Math; }', '[]'],
    ];
    for (const [write, read, input] of cases) {
      const [a, b] = runBoth(write, input);
      expect(a, write).toBe(b);
      expect(a, write).toMatch(/^ok /);
      // Straight after the write, in the same reused context where it did not fail.
      const [c, d] = runBoth(read, input);
      expect(c, read).toBe(d);
    }
    expect(runBoth('function f() { return typeof Math.x; }')[0]).toBe('ok "undefined"');
  });

  it('keeps every hidden built-in (iterator and generator prototypes) from carrying state to the next run', () => {
    const hidden = [
      '[][Symbol.iterator]()',
      "''[Symbol.iterator]()",
      'new Map()[Symbol.iterator]()',
      'new Set()[Symbol.iterator]()',
      "/a/g[Symbol.matchAll]('a')",
      '[].values().map((x) => x)',
      `${FUNCTION_OF}('return function* () {}')()`,
      `${FUNCTION_OF}('return function* () {}')()()`,
    ];
    for (const expression of hidden) {
      const proto = `Object['getPrototype' + 'Of'](${expression})`;
      const write = `function f() { const p = ${proto}; p.leak = 1; Object['getPrototype' + 'Of'](p).leak2 = 1; return 1; }`;
      const read = `function f() { const p = ${proto}; return [typeof p.leak, typeof Object['getPrototype' + 'Of'](p).leak2]; }`;
      expect(runBoth(write)[0], write).toBe(runBoth(write)[1]);
      const [a, b] = runBoth(read);
      expect(a, read).toBe('ok ["undefined","undefined"]');
      expect(b, read).toBe(a);
    }
  });

  it('hides its frozen built-ins: reading frozenness, or catching a refused write, gives what a fresh context gives', () => {
    const observers: [string, string][] = [
      ['function f(k) { return Object[k](Math); }', '["isFrozen"]'],
      ['function f(k) { return Object[k](Array.prototype); }', '["isExtensible"]'],
      ["function f(k) { return Object[k](Math, 'max').writable; }", '["getOwnPropertyDescriptor"]'],
      ["function f(k) { return typeof Object[k]('isFrozen'); }", '["__lookupGetter__"]'],
      ['function f() { try { Math.x = 1; return "wrote"; } catch (e) { return "refused"; } }', '[]'],
      ["function f(k) { return (() => 0)[k]('try { Math.y = 1; return 1 } catch (e) { return 2 }')(); }", '["constructor"]'],
      ["function f(k) { return (() => 0)[k]('return Reflect.set(Math, \"z\", 1)')(); }", '["constructor"]'],
      ["function f() { return Object.keys(Math).length + ':' + Object.getOwnPropertyNames(Object).join(); }", '[]'],
      ['function f() { return new Error("x").stack; }', '[]'],
      // Past the static checks (run() does not apply them): the global object and Reflect by name.
      ["function f() { return [globalThis.Reflect.set(Math, 'z', 1), Reflect.isExtensible(Math)]; }", '[]'],
      ["function f() { return typeof eval('try { Math.w = 1 } catch (e) { 0 }'); }", '[]'],
      ["function f() { return Function('return this')() === globalThis; }", '[]'],
    ];
    for (const [program, input] of observers) {
      const [a, b] = runBoth(program, input);
      expect(a, program).toBe(b);
    }
    expect(runBoth(observers[0][0], observers[0][1])[0]).toBe('ok false');
    expect(runBoth(observers[4][0])[0]).toBe('ok "wrote"');
    expect(runBoth(observers[9][0])[0]).toBe('ok [true,true]');
  });

  it('seeds Math.random per run exactly as a fresh context does, so the two-run check still fires', () => {
    const program = "function f() { return [Math['ran' + 'dom'](), Math['ran' + 'dom']()]; }";
    for (const seed of [1, 2, 77]) {
      expect(reusing.run(program, '[]', seed)).toEqual(fresh.run(program, '[]', seed));
    }
    expect(reusing.validate({ program, input: '' })).toMatchObject({ ok: false, reason: 'nondeterministic' });
  });

  it('recovers from a run that poisons its own f, runs out of budget, memory or stack, and goes on reusing', () => {
    const poison = `function f() { Object.defineProperty(${GLOBAL}, 'f', { writable: false }); return 1; }`;
    const cases: [string, string][] = [
      [poison, 'ok 1'],
      ['function f(a) { return a * 2; }', 'ok 42'],
      ['function f() { while (true) {} }', 'timeout'],
      ["function f() { return 'x'.repeat(1e9); }", 'memory'],
      ['function f() { return f() + 1; }', 'stack'],
      ['function f(a) { return a + 1; }', 'ok 22'],
    ];
    const reusingHere = new QuickJSRunner(module);
    const freshHere = new QuickJSRunner(module, {}, { reuseContexts: false });
    try {
      for (const [program, expected] of cases) {
        for (const r of [reusingHere, freshHere]) {
          const v = r.run(program, '[21]', 1);
          expect(v.ok ? `ok ${v.output}` : v.reason, program).toBe(expected);
        }
      }
      // The poisoning run went through the function constructor (a taint) and retired its context, so
      // did running out of memory; the infinite loop was answered in the reused context, the stack
      // overflow by a fresh one, and the runs after them were reused again.
      expect(reusingHere.stats).toMatchObject({ reused: 3, fresh: 3, tainted: 1, failedReused: 2, hardenings: 3 });
    } finally {
      reusingHere.dispose();
      freshHere.dispose();
    }
  });

  it('stops a loop after exactly the budget a fresh context allows, whatever ran before', () => {
    const limits = { budget: 3 };
    const reusingHere = new QuickJSRunner(module, limits);
    const freshHere = new QuickJSRunner(module, limits, { reuseContexts: false });
    try {
      const counted = 'function f(n) { let i = 0; while (i < n) i++; return i; }';
      const fits = (r: QuickJSRunner, n: number) => r.run(counted, `[${n}]`, 1).ok;
      let lo = 1_000;
      let hi = 200_000;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (fits(freshHere, mid)) lo = mid;
        else hi = mid;
      }
      // Around the largest n that fits, runs of other lengths in between leave the reused context's
      // countdown at ever different points.
      for (let n = lo - 6_000; n <= lo + 6_000; n += 97) {
        reusingHere.run(counted, `[${(n * 7) % 4_000}]`, 1);
        expect(fits(reusingHere, n), `n = ${n}`).toBe(fits(freshHere, n));
      }
      expect(fits(reusingHere, lo)).toBe(true);
      expect(fits(reusingHere, lo + 1)).toBe(false);
      expect(reusingHere.stats.budgetEdge).toBeGreaterThan(0);
      expect(reusingHere.stats.reused).toBeGreaterThan(reusingHere.stats.budgetEdge);
    } finally {
      reusingHere.dispose();
      freshHere.dispose();
    }
  });

  it('sends a program with `try` to a fresh context', () => {
    expect(mayReuseContext('function f(a) { return a; }')).toBe(true);
    expect(mayReuseContext('function f(a) { try { return a.x; } catch { return 0; } }')).toBe(false);
    expect(mayReuseContext('function f(retry) { return retry; }')).toBe(true);
  });
});
