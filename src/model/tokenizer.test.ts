import { describe, expect, it } from 'vitest';
import { INPUTS, PROGRAMS } from './grammar/fixtures';
import {
  SPECIAL, TOKENIZER_VERSION, VOCAB, VOCAB_GROUPS, decode, encode, findUnencodable, tokenId, tokenText, vocabSize,
} from './tokenizer';

const texts = (ids: number[]): string[] => ids.map(tokenText);

function fnv1a(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16);
}

const LITERALS = [
  '-12.5', '1e3', '1.5e-7', '0', '-0', '100', '1005', '3.14159', "'Hello world'", '"a \\"quoted\\" b"',
  'true', 'false', 'null', '[]', '{}', '[1, [2, [3]], {"a": [true, false, null]}]', "{'x': -1, \"y\": 'z'}",
  '{"sum":10,"diff":-4}', "['a', 'b', 'c'], 3", '[[1, null], [2]]',
];

const PROMPTS = [
  `<bos><propose><deduction><ref><program>${PROGRAMS[1]}<input>[1, 2]<output>[2,4]<sep><answer>`,
  `<bos><solve><abduction><program>${PROGRAMS[7]}<output>55<answer>10<eos>`,
  `<bos><solve><induction><pairs><input>1<output>2<sep><input>3<output>6<message>returns double the number<answer>${PROGRAMS[2]}<eos><pad><pad>`,
];

describe('tokenizer', () => {
  it('has a few hundred distinct tokens, specials first', () => {
    expect(vocabSize).toBe(VOCAB.length);
    expect(vocabSize).toBeGreaterThan(200);
    expect(vocabSize).toBeLessThan(512);
    expect(new Set(VOCAB).size).toBe(vocabSize);
    expect(VOCAB.slice(0, 16)).toEqual([
      '<pad>', '<bos>', '<eos>', '<sep>', '<ref>', '<program>', '<input>', '<output>', '<message>', '<pairs>',
      '<answer>', '<propose>', '<solve>', '<deduction>', '<abduction>', '<induction>',
    ]);
    expect([SPECIAL.pad, SPECIAL.eos, SPECIAL.induction]).toEqual([0, 2, 15]);
    for (const [name, id] of Object.entries(SPECIAL)) expect(tokenText(id)).toBe(`<${name}>`);
    for (const group of Object.values(VOCAB_GROUPS)) for (const t of group) expect(tokenId(t)).toBeGreaterThanOrEqual(0);
  });

  it('changes its vocabulary only with a new version', () => {
    // If this fails, the vocabulary changed: bump TOKENIZER_VERSION and update both values here.
    expect([TOKENIZER_VERSION, vocabSize, fnv1a(VOCAB.join('\u0000'))]).toEqual([1, 404, 'c5f26d17']);
  });

  it('round-trips every program, input, literal and prompt', () => {
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(50);
    for (const s of [...PROGRAMS, ...INPUTS, ...LITERALS, ...PROMPTS]) {
      const ids = encode(s);
      expect(decode(ids)).toBe(s);
      expect(encode(s)).toEqual(ids); // deterministic
    }
  });

  it('keeps programs short: whole keywords, identifiers, operators and indentation', () => {
    expect(texts(encode('function f(arr) {\n  return arr.map((x) => x * 2);\n}'))).toEqual([
      'function', ' ', 'f', '(', 'arr', ')', ' ', '{', '\n  ', 'return', ' ', 'arr', '.', 'map', '(', '(', 'x', ')',
      ' ', '=>', ' ', 'x', ' ', '*', ' ', '2', ')', ';', '\n', '}',
    ]);
    expect(texts(encode('a !== b && c <= -1'))).toEqual(['a', ' ', '!==', ' ', 'b', ' ', '&&', ' ', 'c', ' ', '<=', ' ', '-', '1']);
    const total = PROGRAMS.reduce((n, p) => n + encode(p).length, 0);
    const chars = PROGRAMS.reduce((n, p) => n + p.length, 0);
    expect(total / chars).toBeLessThan(0.6); // ≈ 0.56: about 1.8 characters per token
  });

  it('writes numbers with pieces 0–99, greedily', () => {
    expect(texts(encode('-12.5'))).toEqual(['-', '12', '.', '5']);
    expect(texts(encode('1e3'))).toEqual(['1', 'e', '3']);
    expect(texts(encode('12345'))).toEqual(['12', '34', '5']);
    expect(texts(encode('1005'))).toEqual(['10', '0', '5']);
    expect(texts(encode('0.05'))).toEqual(['0', '.', '0', '5']);
  });

  it('writes strings with words and characters, and recognises special tokens by name', () => {
    expect(texts(encode("'Hello world'"))).toEqual(["'", 'Hello', ' ', 'world', "'"]);
    expect(encode('<eos>')).toEqual([SPECIAL.eos]);
    expect(encode('<input>1<sep>2')).toEqual([SPECIAL.input, tokenId('1'), SPECIAL.sep, tokenId('2')]);
    expect(texts(encode('<eosx>'))).toEqual(['<', 'e', 'o', 's', 'x', '>']);
    expect(texts(encode('a<b'))).toEqual(['a', '<', 'b']);
  });

  it('encodes any printable ASCII text and names the first character it cannot', () => {
    let seed = 12345;
    for (let n = 0; n < 200; n++) {
      let s = '';
      for (let i = 0; i < 60; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const c = 0x20 + (seed >>> 8) % 96;
        s += c === 0x7f ? '\n' : String.fromCharCode(c);
      }
      expect(decode(encode(s))).toBe(s);
      expect(findUnencodable(s)).toBe(-1);
    }
    expect(() => encode('a\tb')).toThrow(/unknown character '"\\t"' \(U\+0009\) at position 1/);
    expect(() => encode("x = 'café'")).toThrow(/'é' \(U\+00E9\) at position 8/);
    expect(findUnencodable("x = 'café'")).toBe(8);
  });

  it('spells identifiers outside the set from pieces, or refuses them when strict', () => {
    expect(decode(encode('function f(foo) { return foo; }'))).toBe('function f(foo) { return foo; }');
    expect(() => encode('function f(foo) { return foo; }', { strictIdentifiers: true })).toThrow(/identifier 'foo' at position 11/);
    expect(() => encode('let index = 0;', { strictIdentifiers: true })).toThrow(/'index'/);
    for (const p of PROGRAMS) expect(() => encode(p, { strictIdentifiers: true })).not.toThrow();
    // Strings, numbers and induction messages are not code.
    expect(() => encode("x = 'foo bar' + 1e5 + 2.5e-3;", { strictIdentifiers: true })).not.toThrow();
    expect(() => encode('<input>1<message>adds foo to bar<eos>', { strictIdentifiers: true })).not.toThrow();
  });

  it('refuses unknown ids', () => {
    expect(() => decode([vocabSize])).toThrow(/no token id/);
    expect(() => tokenText(-1)).toThrow(/no token id/);
    expect(() => tokenId('nope')).toThrow(/no token/);
  });
});
