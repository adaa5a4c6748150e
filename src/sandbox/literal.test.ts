import { describe, expect, it } from 'vitest';
import { canonical, canonicalLiteral, MAX_LITERAL_DEPTH, parseArgList, parseLiteral } from './literal';

function value(text: string): unknown {
  const parsed = parseLiteral(text);
  if (!parsed.ok) throw new Error(`refused ${JSON.stringify(text)}: ${parsed.message}`);
  return parsed.value;
}

function refused(text: string): string {
  const parsed = parseLiteral(text);
  if (parsed.ok) throw new Error(`accepted ${JSON.stringify(text)}`);
  return parsed.message;
}

describe('parseLiteral', () => {
  it('reads numbers in every literal spelling', () => {
    expect(value('0')).toBe(0);
    expect(value('-12')).toBe(-12);
    expect(value('1.5')).toBe(1.5);
    expect(value('.5')).toBe(0.5);
    expect(value('5.')).toBe(5);
    expect(value('-2.5e-3')).toBe(-0.0025);
    expect(value('1E+3')).toBe(1000);
    expect(Object.is(value('-0'), -0)).toBe(true);
  });

  it('reads strings in either quote with standard escapes', () => {
    expect(value(`'it\\'s'`)).toBe("it's");
    expect(value('"a\\"b"')).toBe('a"b');
    expect(value(`"\\n\\t\\r\\b\\f\\v\\0\\\\\\/"`)).toBe('\n\t\r\b\f\v\0\\/');
    expect(value(`'\\x41\\u0042\\u{1F600}'`)).toBe('AB\u{1F600}');
    expect(value(`"\\ud800"`)).toBe('\ud800');
    expect(value(`'é ✓'`)).toBe('é ✓');
  });

  it('reads booleans, null, arrays and plain objects with identifier, quoted or numeric keys', () => {
    expect(value(' [ true , false , null ] ')).toEqual([true, false, null]);
    expect(value(`{a: 1, 'b c': [2], "d": {e: null}, 3: 'x', $_k9: 0}`)).toEqual({ a: 1, 'b c': [2], d: { e: null }, 3: 'x', $_k9: 0 });
    expect(value('[1, 2,]')).toEqual([1, 2]);
    expect(value('{a: 1,}')).toEqual({ a: 1 });
    expect(value('[]')).toEqual([]);
    expect(value('{}')).toEqual({});
    expect(value('{class: 1, true: 2}')).toEqual({ class: 1, true: 2 });
  });

  it('keeps the last value of a repeated key, as a JavaScript object literal does', () => {
    const r = parseLiteral("{a: 1, 'a': 2, b: {x: 1, x: [3]}}");
    expect(r.ok && canonical(r.value)).toBe('{"a":2,"b":{"x":[3]}}');
  });

  it('keeps __proto__ as a plain own key, never a prototype', () => {
    const parsed = value('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses code and everything that is not a plain literal', () => {
    const cases = [
      '1) || (1',
      'x',
      'undefined',
      'NaN',
      'Infinity',
      '-Infinity',
      '1e999',
      'f(1)',
      '1 + 1',
      '+1',
      '- 1',
      '01',
      '0x10',
      '1_000',
      '1n',
      '`x`',
      '/re/',
      '[1,,2]',
      '[,]',
      '{a}',
      '{[k]: 1}',
      '{...o}',
      '{get a() { return 1 }}',
      '{valueOf() { return 1 }}',
      '{toJSON: function () { return 1 }}',
      '{a: () => 1}',
      '"unterminated',
      "'a\nb'",
      '"\\1"',
      '"\\q"',
      '[1] [2]',
      '1 2',
      '',
      '   ',
      'true1',
      'new Array(3)',
      '(1)',
    ];
    for (const text of cases) expect(refused(text), text).toBeTruthy();
  });

  it('names the problem and where it is', () => {
    expect(refused('[1, x]')).toMatch(/identifiers are not literals at offset 4/);
    expect(refused('1) || (1')).toMatch(/unexpected text after the value at offset 1/);
  });

  it('parses any depth up to the cap without recursion and refuses deeper', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(parseLiteral(deep(MAX_LITERAL_DEPTH)).ok).toBe(true);
    expect(refused(deep(MAX_LITERAL_DEPTH + 1))).toMatch(/nested deeper/);
    expect(refused('['.repeat(200_000))).toMatch(/nested deeper/);
  });
});

describe('parseArgList', () => {
  it('reads comma-separated literals, possibly none', () => {
    expect(parseArgList('')).toEqual({ ok: true, value: [] });
    expect(parseArgList('  ')).toEqual({ ok: true, value: [] });
    expect(parseArgList("[1, 2], 'a'")).toEqual({ ok: true, value: [[1, 2], 'a'] });
    expect(parseArgList('1, {a: [true]},')).toEqual({ ok: true, value: [1, { a: [true] }] });
  });

  it('refuses code in any position', () => {
    for (const text of ['1) || (1', '1); function f() { return 1 }; f(1', ',', '1,,2', '1 2', '...[1]', 'f', '1; 2']) {
      expect(parseArgList(text).ok, text).toBe(false);
    }
  });
});

describe('canonical', () => {
  it('sorts keys at every level, writes -0 as 0, and has one spelling for equal values', () => {
    const spellings = ["{b: [1.0, -0, 'x'], a: {d: 2, c: null}}", '{ "a": { "c": null, "d": 2.00 }, "b": [ 1, 0, "x" ] }', "{a:{c:null,d:2e0},b:[1,-0.0,'\\x78']}"];
    const texts = spellings.map((s) => canonicalLiteral(s));
    for (const t of texts) expect(t).toEqual({ ok: true, value: '{"a":{"c":null,"d":2},"b":[1,0,"x"]}' });
  });

  it('is itself valid literal syntax that reads back to the same value', () => {
    const samples = ["{'z': [1e21, 1e-7, -1.5], '': '\\u2028\\ud800\"', 10: {}, 9: []}", '[[[]], {}, "é"]', '-0', '123456789012345680000'];
    for (const s of samples) {
      const first = canonicalLiteral(s);
      if (!first.ok) throw new Error(first.message);
      expect(canonicalLiteral(first.value)).toEqual(first);
    }
  });

  it('refuses values that are not plain', () => {
    expect(() => canonical(undefined)).toThrow();
    expect(() => canonical(NaN)).toThrow();
    expect(() => canonical(new Array<number>(3))).toThrow(/holes/);
    expect(() => canonical(new Map())).toThrow();
    expect(() => canonical({ get a() { return 1; } })).toThrow(/accessors/);
    expect(() => canonical(() => 1)).toThrow();
  });
});
