/**
 * Answers and inputs are data, never code: this strict hand-written parser accepts JavaScript literal
 * syntax for plain values only — finite numbers, strings in either quote, true/false/null, arrays and
 * plain objects — and refuses everything else (identifiers, calls, operators, NaN/Infinity, getters,
 * holes, trailing garbage); a repeated key keeps its last value, as in JavaScript. `canonical` gives the
 * one spelling used for equality.
 */

export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Deeper literals are refused, so nothing downstream (host or sandbox) recurses without bound. */
export const MAX_LITERAL_DEPTH = 1_000;

class LiteralError extends Error {}

type Frame =
  | { kind: 'array'; value: PlainValue[] }
  | { kind: 'object'; value: { [key: string]: PlainValue }; key: string };

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    const shown = this.pos < this.text.length ? JSON.stringify(this.text.slice(this.pos, this.pos + 12)) : 'end of text';
    throw new LiteralError(`${what} at offset ${this.pos} (found ${shown})`);
  }

  skipWhitespace(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else return;
    }
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** One value, containers handled with an explicit stack so no input can overflow the host's stack. */
  value(): PlainValue {
    const stack: Frame[] = [];
    for (;;) {
      this.skipWhitespace();
      let produced: PlainValue;
      const c = this.peek();
      if (c === '[' || c === '{') {
        if (stack.length >= MAX_LITERAL_DEPTH) this.fail(`nested deeper than ${MAX_LITERAL_DEPTH} levels`);
        this.pos++;
        this.skipWhitespace();
        if (c === '[') {
          if (this.peek() !== ']') {
            stack.push({ kind: 'array', value: [] });
            continue;
          }
          this.pos++;
          produced = [];
        } else {
          if (this.peek() !== '}') {
            stack.push({ kind: 'object', value: {}, key: this.key() });
            continue;
          }
          this.pos++;
          produced = {};
        }
      } else {
        produced = this.scalar();
      }
      // Hand the value to its container; close every container that ends here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return produced;
        if (top.kind === 'array') top.value.push(produced);
        // A repeated key keeps its last value, as in a JavaScript object literal and JSON.parse.
        else Object.defineProperty(top.value, top.key, { value: produced, enumerable: true, writable: true, configurable: true });
        this.skipWhitespace();
        const close = top.kind === 'array' ? ']' : '}';
        const next = this.peek();
        if (next === ',') {
          this.pos++;
          this.skipWhitespace();
          if (this.peek() !== close) {
            if (top.kind === 'object') top.key = this.key();
            break;
          }
        } else if (next !== close) {
          this.fail(top.kind === 'array' ? "expected ',' or ']'" : "expected ',' or '}'");
        }
        this.pos++;
        stack.pop();
        produced = top.value;
      }
    }
  }

  /** An object key and its colon; leaves the position at the value. */
  key(): string {
    const frameKey = this.keyName();
    this.skipWhitespace();
    if (this.peek() !== ':') this.fail("expected ':' after an object key");
    this.pos++;
    return frameKey;
  }

  keyName(): string {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c !== undefined && isDigit(c)) return String(this.number());
    if (c !== undefined && isIdentifierStart(c)) {
      const start = this.pos;
      this.pos += c.length;
      for (;;) {
        const d = this.codePointAt(this.pos);
        if (d === undefined || !isIdentifierPart(d)) break;
        this.pos += d.length;
      }
      return this.text.slice(start, this.pos);
    }
    return this.fail('expected an object key (identifier or quoted string)');
  }

  codePointAt(pos: number): string | undefined {
    const cp = this.text.codePointAt(pos);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  scalar(): PlainValue {
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || c === '.' || (c !== undefined && isDigit(c))) return this.number();
    for (const [word, value] of WORDS) {
      if (this.text.startsWith(word, this.pos)) {
        const after = this.codePointAt(this.pos + word.length);
        if (after === undefined || !isIdentifierPart(after)) {
          this.pos += word.length;
          return value;
        }
      }
    }
    if (c === undefined) return this.fail('expected a value');
    if (isIdentifierStart(c)) this.fail('identifiers are not literals');
    return this.fail('expected a literal value');
  }

  number(): number {
    const start = this.pos;
    if (this.peek() === '-') this.pos++;
    let intDigits = 0;
    let first = '';
    while (!this.atEnd() && isDigit(this.text[this.pos])) {
      if (intDigits === 0) first = this.text[this.pos];
      intDigits++;
      this.pos++;
    }
    if (first === '0' && intDigits > 1) {
      this.pos = start;
      this.fail('numbers may not start with 0 (octal-like)');
    }
    let fracDigits = 0;
    if (this.peek() === '.') {
      this.pos++;
      while (!this.atEnd() && isDigit(this.text[this.pos])) {
        fracDigits++;
        this.pos++;
      }
    }
    if (intDigits === 0 && fracDigits === 0) this.fail('expected digits');
    const e = this.peek();
    if (e === 'e' || e === 'E') {
      this.pos++;
      const sign = this.peek();
      if (sign === '+' || sign === '-') this.pos++;
      let expDigits = 0;
      while (!this.atEnd() && isDigit(this.text[this.pos])) {
        expDigits++;
        this.pos++;
      }
      if (expDigits === 0) this.fail('expected exponent digits');
    }
    const after = this.codePointAt(this.pos);
    if (after !== undefined && (isIdentifierPart(after) || after === '.')) this.fail('unexpected character after a number');
    const value = Number(this.text.slice(start, this.pos));
    if (!Number.isFinite(value)) {
      this.pos = start;
      this.fail('number is not finite');
    }
    return value;
  }

  string(): string {
    const quote = this.text[this.pos];
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      const c = this.text[this.pos];
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\n' || c === '\r') this.fail('line break inside a string');
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      this.pos++;
      const e = this.text[this.pos];
      if (e === undefined) this.fail('unterminated string');
      this.pos++;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
      } else if (e === '0') {
        if (!this.atEnd() && isDigit(this.text[this.pos])) this.fail('octal escapes are not allowed');
        out += '\0';
      } else if (e === 'x') {
        out += String.fromCharCode(this.hex(2));
      } else if (e === 'u') {
        if (this.peek() === '{') {
          this.pos++;
          const start = this.pos;
          while (!this.atEnd() && isHexDigit(this.text[this.pos])) this.pos++;
          const digits = this.text.slice(start, this.pos);
          if (digits.length === 0 || this.peek() !== '}') this.fail('bad \\u{...} escape');
          const cp = parseInt(digits, 16);
          if (cp > 0x10ffff) this.fail('code point out of range');
          this.pos++;
          out += String.fromCodePoint(cp);
        } else {
          out += String.fromCharCode(this.hex(4));
        }
      } else if (e === '\n' || e === '\u2028' || e === '\u2029') {
        // line continuation: contributes nothing
      } else if (e === '\r') {
        if (this.peek() === '\n') this.pos++;
      } else if (isDigit(e) || isIdentifierPart(e)) {
        this.pos--;
        this.fail(`unknown escape \\${e}`);
      } else {
        out += e;
      }
    }
  }

  hex(count: number): number {
    const digits = this.text.slice(this.pos, this.pos + count);
    if (digits.length !== count || ![...digits].every(isHexDigit)) this.fail('bad hexadecimal escape');
    this.pos += count;
    return parseInt(digits, 16);
  }
}

const WORDS: [string, PlainValue][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  "'": "'",
  '"': '"',
  '\\': '\\',
};

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

function isIdentifierStart(c: string): boolean {
  return c === '$' || c === '_' || /^\p{ID_Start}$/u.test(c);
}

function isIdentifierPart(c: string): boolean {
  return c === '$' || c === '_' || c === '\u200c' || c === '\u200d' || /^\p{ID_Continue}$/u.test(c);
}

function run<T>(text: string, body: (p: Parser) => T): ParseResult<T> {
  if (typeof text !== 'string') return { ok: false, message: 'literal text must be a string' };
  const parser = new Parser(text);
  try {
    const value = body(parser);
    parser.skipWhitespace();
    if (!parser.atEnd()) parser.fail('unexpected text after the value');
    return { ok: true, value };
  } catch (error) {
    if (error instanceof LiteralError) return { ok: false, message: error.message };
    throw error;
  }
}

/** One literal value. */
export function parseLiteral(text: string): ParseResult<PlainValue> {
  return run(text, (p) => p.value());
}

/** A comma-separated list of literals, as written between a call's parentheses; may be empty. */
export function parseArgList(text: string): ParseResult<PlainValue[]> {
  return run(text, (p) => {
    const values: PlainValue[] = [];
    p.skipWhitespace();
    if (p.atEnd()) return values;
    for (;;) {
      values.push(p.value());
      p.skipWhitespace();
      if (p.peek() !== ',') return values;
      p.pos++;
      p.skipWhitespace();
      if (p.atEnd()) return values;
    }
  });
}

/**
 * The canonical spelling: JSON with object keys sorted (by UTF-16 code units) at every level and -0
 * written as 0. It is itself valid literal syntax. Throws on anything that is not a plain value.
 */
export function canonical(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_LITERAL_DEPTH) throw new TypeError(`value nested deeper than ${MAX_LITERAL_DEPTH} levels`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} is not a plain value`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} is not a plain value`);
  }
  const object = value as object;
  if (Array.isArray(object)) {
    const parts: string[] = [];
    for (let i = 0; i < object.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(object, i)) throw new TypeError('arrays with holes are not plain values');
      parts.push(write((object as unknown[])[i], depth + 1));
    }
    return `[${parts.join(',')}]`;
  }
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new TypeError('only plain objects are plain values');
  const keys = Object.keys(object).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    if (descriptor === undefined || !('value' in descriptor)) throw new TypeError('objects with accessors are not plain values');
    parts.push(`${JSON.stringify(key)}:${write(descriptor.value, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Canonical text of a literal, or the parse failure. */
export function canonicalLiteral(text: string): ParseResult<string> {
  const parsed = parseLiteral(text);
  return parsed.ok ? { ok: true, value: canonical(parsed.value) } : parsed;
}
