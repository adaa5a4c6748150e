import { DEBUG_SYNC, newQuickJSWASMModuleFromVariant, RELEASE_SYNC, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuickJSRunner, type RuntimeFactory } from './quickjs';
import { DEFAULT_LIMITS, type Verdict } from './types';

let module: QuickJSWASMModule;
let runner: QuickJSRunner;

beforeAll(async () => {
  module = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
  runner = new QuickJSRunner(module);
});
afterAll(() => runner.dispose());

function verdict(program: string, input = ''): Verdict {
  return runner.validate({ program, input });
}

function reason(program: string, input = ''): string {
  const v = verdict(program, input);
  return v.ok ? `ok ${v.output}` : v.reason;
}

function output(program: string, input = ''): string {
  const v = verdict(program, input);
  if (!v.ok) throw new Error(`${v.reason}: ${v.message}`);
  return v.output;
}

describe('QuickJSRunner: verdicts', () => {
  it('runs f on the input and gives the canonical output', () => {
    expect(output('function f(a, b) { return a.map((x) => x * b); }', '[1, 2], 2')).toBe('[2,4]');
    expect(output('function f() {}'.replace('{}', '{ return { b: [1.0, -0], a: "x" }; }'))).toBe('{"a":"x","b":[1,0]}');
    expect(output('function f() { return -0; }')).toBe('0');
    expect(output('function f() { return arguments.length; }')).toBe('0');
    expect(output('function f(s) { return s.split("").reverse().join(""); }', "'héllo'")).toBe('"olléh"');
  });

  it('gives every executor reason for a real program (sandbox-crash: see node.test.ts)', () => {
    const cases: [string, string, string][] = [
      ['syntax', 'function f() { return 1 +; }', ''],
      ['syntax', 'function f() { return 010; }', ''], // strict mode: QuickJS refuses what acorn's sloppy parse allowed
      ['syntax', 'function f(x) { return x; }', '1) || (1'],
      ['forbidden', 'function g() { return 1; }', ''],
      ['forbidden', 'function f() { return Date.now(); }', ''],
      ['timeout', 'function f() { while (true) {} }', ''],
      ['timeout', "function f() { return /^(a+)+$/.test('a'.repeat(30) + 'b'); }", ''],
      ['memory', "function f() { return 'x'.repeat(1e9); }", ''],
      ['memory', 'function f() { return new Array(1e8).fill(0).join(); }', ''],
      ['stack', 'function f(n) { return f(n + 1) + 1; }', '0'],
      ['runtime-error', 'function f() { return null.x; }', ''],
      ['runtime-error', 'function f() { undeclared = 1; return 1; }', ''],
      ['runtime-error', 'function f() { throw new Error("boom"); }', ''],
      ['nondeterministic', "function f() { const m = Math; return m['ran' + 'dom'](); }", ''],
      ['output-not-plain', 'function f() { return undefined; }', ''],
      ['output-too-large', "function f() { return 'x'.repeat(20000); }", ''],
    ];
    for (const [expected, program, input] of cases) expect(reason(program, input), program).toBe(expected);
  });

  it('says what went wrong', () => {
    const v = verdict('function f() { throw new TypeError("bad thing"); }');
    expect(v).toEqual({ ok: false, reason: 'runtime-error', message: 'TypeError: bad thing' });
    expect(verdict('function f() { throw 42; }')).toMatchObject({ message: 'threw 42' });
    expect(verdict("function f() { throw 'up'; }")).toMatchObject({ message: 'threw "up"' });
  });

  it('times out an infinite loop every time, deterministically, by counted interrupt calls', () => {
    const loop = 'function f() { let i = 0; while (true) i++; }';
    const first = verdict(loop);
    const second = verdict(loop);
    expect(first).toMatchObject({ ok: false, reason: 'timeout' });
    expect(second).toEqual(first);
    // A loop of 10^5 iterations costs ≈ 21 calls: over a budget of 10, within one of 1,000, on every run.
    const bounded = 'function f() { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return s; }';
    const small = new QuickJSRunner(module, { budget: 10 });
    const large = new QuickJSRunner(module, { budget: 1_000 });
    try {
      for (let k = 0; k < 3; k++) {
        expect(small.validate({ program: bounded, input: '' })).toMatchObject({ ok: false, reason: 'timeout' });
        expect(large.validate({ program: bounded, input: '' })).toEqual({ ok: true, output: '4999950000' });
      }
    } finally {
      small.dispose();
      large.dispose();
    }
  });

  it('cannot catch the interrupt', () => {
    expect(reason('function f() { for (;;) { try { while (true) {} } catch (e) {} } }')).toBe('timeout');
  });

  it('lets a program catch its own stack overflow, as JavaScript allows', () => {
    expect(output('function f() { function g(n) { return g(n + 1); } try { return g(0); } catch (e) { return "caught"; } }')).toBe('"caught"');
  });

  it('runs each time in a fresh context: nothing a run leaves behind reaches the next', () => {
    const counter = 'function f() { Math.counter = (Math.counter || 0) + 1; return Math.counter; }';
    expect(output(counter)).toBe('1');
    expect(output(counter)).toBe('1');
  });
});

describe('QuickJSRunner: plain outputs only', () => {
  it('refuses every kind of output that is not a plain value', () => {
    const programs = [
      'function f() { return undefined; }',
      'function f() { return NaN; }',
      'function f() { return 1 / 0; }',
      'function f() { return -1 / 0; }',
      'function f() { return [1, NaN]; }',
      'function f() { return { a: undefined }; }',
      'function f() { return () => 1; }',
      'function f() { return { valueOf() { return 1; } }; }',
      'function f() { return 1n; }',
      "function f() { const o = Object; return o['getOwnPropertySymbols'](o['get' + 'PrototypeOf']([]))[0]; }",
      'function f() { return new Map([[1, 2]]); }',
      'function f() { return new Error("x"); }',
      'function f() { return Object.create({ x: 1 }); }',
      "function f() { return Object('s'); }",
      'function f() { return /re/; }',
      'function f() { return { get x() { return 1; } }; }',
      'function f() { const o = {}; Object.defineProperty(o, "x", { get() { return 1; }, enumerable: true }); return o; }',
      'function f() { return { toJSON() { return 1; } }; }',
      'function f() { return { toJSON: 1 }; }',
      "function f() { Object['proto' + 'type'].toJSON = () => 1; return { a: 1 }; }",
      'function f() { const a = [1]; a.push(a); return a; }',
      'function f() { const o = { a: {} }; o.a.b = o; return o; }',
      'function f() { return [1, , 3]; }',
      'function f() { const a = new Array(3); return a; }',
      'function f() { const a = [1]; a.extra = 2; return a; }',
      'function f() { const o = {}; Object.defineProperty(o, "hidden", { value: 1 }); return o; }',
    ];
    for (const p of programs) expect(reason(p), p).toBe('output-not-plain');
  });

  it('accepts plain values however they were built, and shared (non-cyclic) references', () => {
    expect(output('function f() { const a = [1]; return [a, a]; }')).toBe('[[1],[1]]');
    expect(output('function f() { return Object.create(null); }')).toBe('{}');
    expect(output('function f() { return { ["__proto__"]: 1 }; }')).toBe('{"__proto__":1}');
    expect(output('function f() { return Object.fromEntries([["b", 2], ["a", 1]]); }')).toBe('{"a":1,"b":2}');
    expect(output('function f() { return "\\u2028\\ud800"; }')).toBe('"\u2028\\ud800"');
  });

  it('refuses outputs over the cap, however they are large', () => {
    expect(reason("function f() { return 'x'.repeat(9999); }")).toBe('output-too-large');
    expect(reason("function f() { return 'x'.repeat(9998); }")).toBe('ok "' + 'x'.repeat(9998) + '"');
    expect(reason('function f() { return new Array(6000).fill(0); }')).toBe('output-too-large');
    expect(reason('function f() { const o = {}; for (let i = 0; i < 3000; i++) o["k" + i] = i; return o; }')).toBe('output-too-large');
    expect(reason('function f() { return new Array(1000).fill("abcdefghijklmn"); }')).toBe('output-too-large');
    expect(reason('function f() { let x = []; for (let i = 0; i < 2000; i++) x = [x]; return x; }')).toBe('output-too-large');
  });

  it('judges with pristine built-ins, whatever the program did to its own', () => {
    const program = `function f() {
      JSON.stringify = () => '"hacked"';
      Array.isArray = () => false;
      Object.keys = () => [];
      Object.defineProperty(Object['proto' + 'type'], 'value', { get() { return 42; } });
      return { b: [2, 1], a: 'x' };
    }`;
    expect(output(program)).toBe('{"a":"x","b":[2,1]}');
  });
});

describe('QuickJSRunner: inputs are data', () => {
  it('refuses inputs that are not a list of literals, and over-long inputs', () => {
    for (const input of ['1) || (1', '{ valueOf() { return 1; } }', 'f(1)', '(() => 1)()', '1); f(2']) {
      expect(reason('function f(x) { return x; }', input), input).toBe('syntax');
    }
    expect(reason('function f(x) { return x; }', `'${'x'.repeat(10_001)}'`)).toBe('forbidden');
  });

  it('hands the program plain data of its own context', () => {
    expect(output('function f(a, o) { return [Array.isArray(a), a instanceof Array, Object.getOwnPropertyNames(o)]; }', '[1], {"__proto__": 2}')).toBe(
      '[true,true,["__proto__"]]',
    );
  });
});

describe('QuickJSRunner: no handle outlives its run', () => {
  it('leaves no live object or handle after 1,000 runs (QuickJS asserts on leaks when a runtime is freed)', () => {
    const runtimes: QuickJSRuntime[] = [];
    let contexts = 0;
    const tracking: RuntimeFactory = {
      newRuntime: (options) => {
        const rt = module.newRuntime(options);
        const newContext = rt.newContext.bind(rt);
        rt.newContext = (contextOptions) => {
          contexts++;
          return newContext(contextOptions);
        };
        runtimes.push(rt);
        return rt;
      },
    };
    const counted = new QuickJSRunner(tracking);
    const programs: [string, string][] = [
      ['function f(a) { return a.map((x) => ({ x, s: String(x) })); }', '[1, 2, 3]'],
      ['function f() { throw new Error("x"); }', ''],
      ['function f() { return { get x() { return 1; } }; }', ''],
      ["function f() { return 'x'.repeat(1e9); }", ''],
      ['function f(n) { return f(n + 1); }', '0'],
      ['function f() { return 010; }', ''],
      ['function f() { const a = [1]; a.push(a); return a; }', ''],
      ["function f() { return 'x'.repeat(20000); }", ''],
      ["function f() { const m = Math; return m['ran' + 'dom'](); }", ''],
      ['function f() { while (true) {} }', ''],
    ];
    // One context per run plus one trusted context per runtime.
    for (let i = 0; contexts - runtimes.length < 1_000; i++) {
      const [program, input] = programs[i % programs.length];
      counted.validate({ program, input });
    }
    expect(runtimes.length).toBeGreaterThan(0);
    expect(() => counted.dispose()).not.toThrow();
    for (const rt of runtimes) expect(rt.alive).toBe(false);
  });

  it('would notice a leaked handle (negative control, on a module of its own)', async () => {
    const own = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
    const rt = own.newRuntime();
    const context = rt.newContext();
    context.newObject();
    context.dispose();
    expect(() => rt.dispose()).toThrow(/list_empty/);
  });

  it('frees every byte on the DEBUG build (leak sanitizer)', async () => {
    const debug = await newQuickJSWASMModuleFromVariant(DEBUG_SYNC);
    const checked = new QuickJSRunner(debug, { budget: 5 });
    expect(checked.validate({ program: 'function f(a) { return { a, b: [a, "x"] }; }', input: '1' })).toEqual({ ok: true, output: '{"a":1,"b":[1,"x"]}' });
    expect(checked.validate({ program: 'function f() { throw new Error("x"); }', input: '' })).toMatchObject({ reason: 'runtime-error' });
    expect(checked.validate({ program: 'function f() { return { get x() { return 1; } }; }', input: '' })).toMatchObject({ reason: 'output-not-plain' });
    expect(checked.validate({ program: 'function f() { while (true) {} }', input: '' })).toMatchObject({ reason: 'timeout' });
    checked.dispose();
    expect(debug.getFFI().QTS_RecoverableLeakCheck()).toBe(0);
  });

  it('uses the documented defaults', () => {
    expect(runner.limits).toEqual(DEFAULT_LIMITS);
  });
});
