import { describe, expect, it } from 'vitest';
import { checkProgram } from './static';

const CAP = 2_000;

function reasonOf(program: string): string {
  const result = checkProgram(program, CAP);
  return result.ok ? 'ok' : result.reason;
}

function messageOf(program: string): string {
  const result = checkProgram(program, CAP);
  return result.ok ? '' : result.message;
}

describe('checkProgram', () => {
  it('accepts one function named f using ordinary language features', () => {
    const programs = [
      'function f(a, b) { return a.map((x) => x * b).filter(function (y) { return y % 3; }); }',
      'function f(s) { const m = new Map(); for (const c of s) m.set(c, (m.get(c) ?? 0) + 1); return [...m.entries()]; }',
      'function f(o) { const { a, ...rest } = o; return Object.keys(rest).length + a; }',
      'function f(n) { let r = []; label: for (let i = 0; i < n; i++) { if (i > 3) break label; r.push(new Array(i).fill(i)); } return r; }',
      'function f(s) { return s.replace(/a+/g, "b") + `${s.length}` + Math.max(1, 2); }',
      'function f(x) { class A { m() { return 1; } } if (x < 0) throw new RangeError("neg"); return { date: x, random: 1 }.date; }',
      'function f(o) { return o.Date + o["eval"] + ({ Symbol: 1 }).Symbol; }',
    ];
    for (const p of programs) expect(checkProgram(p, CAP), p).toEqual({ ok: true });
  });

  it('says syntax when the program does not parse', () => {
    expect(reasonOf('function f( {')).toBe('syntax');
    expect(reasonOf('function f() { return 1 +; }')).toBe('syntax');
    expect(messageOf('function f( {')).toMatch(/\(1:/);
  });

  it('says forbidden for anything but exactly one function declaration named f', () => {
    expect(reasonOf('')).toBe('forbidden');
    expect(reasonOf('function g() { return 1; }')).toBe('forbidden');
    expect(reasonOf('const f = () => 1;')).toBe('forbidden');
    expect(reasonOf('function f() { return 1; } f();')).toBe('forbidden');
    expect(reasonOf('function f() { return 1; } function g() {}')).toBe('forbidden');
    expect(reasonOf('var x = 1; function f() { return x; }')).toBe('forbidden');
    expect(reasonOf('function f() { return 1; };')).toBe('forbidden');
    expect(messageOf('function g() {}')).toMatch(/named f, not g/);
  });

  it('says forbidden for a program over the length cap', () => {
    const long = `function f() { return ${'1 + '.repeat(600)}1; }`;
    expect(long.length).toBeGreaterThan(CAP);
    expect(reasonOf(long)).toBe('forbidden');
    expect(messageOf(long)).toMatch(/cap is 2000/);
  });

  it('forbids each construct that reaches outside the function, names it, and says where', () => {
    const cases: [string, RegExp][] = [
      ['function f() { return Math.random(); }', /Math\.random/],
      ['function f() { return Math["random"](); }', /Math\.random/],
      ['function f() { return Date.now(); }', /`Date`/],
      ['function f() { return new Date(); }', /new Date/],
      ['function f() { return eval("1"); }', /`eval`/],
      ['function f() { return Function("return 1")(); }', /`Function`/],
      ['function f() { return globalThis.x; }', /`globalThis`/],
      ['function f() { return window; }', /`window`/],
      ['function f() { return self; }', /`self`/],
      ['function f() { return global; }', /`global`/],
      ['function f() { return require("fs"); }', /`require`/],
      ['function f() { return import("x"); }', /import\(\)/],
      ['function f() { return process.env; }', /`process`/],
      ['function f() { setTimeout(() => 1, 0); }', /`setTimeout`/],
      ['function f() { setInterval(() => 1, 0); }', /`setInterval`/],
      ['function f() { queueMicrotask(() => 1); }', /`queueMicrotask`/],
      ['function f() { return Promise.resolve(1); }', /`Promise`/],
      ['function f() { return new Proxy({}, {}); }', /new Proxy/],
      ['function f() { return Reflect.ownKeys({}); }', /`Reflect`/],
      ['function f() { return Symbol("s"); }', /`Symbol`/],
      ['function f() { return new WeakRef({}); }', /new WeakRef/],
      ['function f(a) { return a.constructor; }', /`constructor`/],
      ['function f(a) { return a["constructor"]("return 1"); }', /`constructor`/],
      ['function f(a) { return a[`constructor`]; }', /`constructor`/],
      ['function f(a) { return a.__proto__; }', /`__proto__`/],
      ['function f() { Array.prototype.x = 1; }', /`prototype`/],
      ['function f() { return Object.getPrototypeOf([]); }', /`getPrototypeOf`/],
      ['function f(o) { Object.setPrototypeOf(o, null); }', /`setPrototypeOf`/],
      ['function f(a) { const { constructor: C } = a; return C; }', /destructuring `constructor`/],
      ['function f() { return { __proto__: [] }; }', /__proto__/],
      ['function f() { return this; }', /`this`/],
      ['function f(o) { with (o) { return x; } }', /`with`/],
      ['async function f() { return 1; }', /async/],
      ['function f() { return async () => 1; }', /async/],
      ['function* f() { yield 1; }', /generator/],
      ['function f() { return { *g() {} }; }', /generator/],
      ['function f() { debugger; }', /`debugger`/],
      ['function f() { return new Uint8Array(2); }', /new Uint8Array/],
      ['function f() { function G() {} return new G(); }', /new G/],
      ['function f(a) { return new a.b(); }', /computed constructor/],
      ['function f() { return new.target; }', /new\.target/],
      ['function f() { let Date = 1; return Date; }', /`Date`/],
    ];
    for (const [program, message] of cases) {
      const result = checkProgram(program, CAP);
      expect(result.ok, program).toBe(false);
      if (result.ok) continue;
      expect(result.reason, program).toBe('forbidden');
      expect(result.message, program).toMatch(message);
      expect(result.message, program).toMatch(/line 1, column \d+/);
    }
  });

  it('allows new only for Array, Map, Set, Object and errors', () => {
    for (const ctor of ['Array', 'Map', 'Set', 'Object', 'Error', 'TypeError', 'RangeError']) {
      expect(reasonOf(`function f() { return new ${ctor}(); }`), ctor).toBe('ok');
    }
  });
});
