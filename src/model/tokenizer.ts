// A vocabulary made for our JavaScript subset, its literals and the induction messages: whole
// keywords, operators, identifiers and property names from a fixed set, number pieces 0–99, common
// words, and every printable ASCII character as a fallback piece, so any ASCII text encodes (an
// identifier outside the set is spelled from smaller pieces; `strictIdentifiers` refuses it instead).
// Encoding is greedy longest-match, deterministic; `<name>` of a special token is always that token.
// Bump TOKENIZER_VERSION on any change to VOCAB: checkpoints store it and refuse a mismatch.

export const TOKENIZER_VERSION = 1;

const SPECIAL_NAMES = [
  'pad', 'bos', 'eos', 'sep', 'ref', 'program', 'input', 'output', 'message', 'pairs', 'answer',
  'propose', 'solve', 'deduction', 'abduction', 'induction',
] as const;
export type SpecialName = (typeof SPECIAL_NAMES)[number];

/** Token ids of the special tokens, e.g. `SPECIAL.eos`; they are ids 0..15 in this order. */
export const SPECIAL: Readonly<Record<SpecialName, number>> = Object.freeze(
  Object.fromEntries(SPECIAL_NAMES.map((name, i) => [name, i])) as Record<SpecialName, number>,
);

const indent = (n: number): string => ' '.repeat(n);

/** The vocabulary's parts, by role. A text may belong to several parts; it is one token. */
export const VOCAB_GROUPS = {
  special: SPECIAL_NAMES.map((n) => `<${n}>`),
  whitespace: [
    ' ', indent(2), indent(4), indent(8),
    ...[0, 2, 4, 6, 8, 10, 12, 14, 16].map((n) => `\n${indent(n)}`),
  ],
  keywords: [
    'function', 'return', 'let', 'const', 'if', 'else', 'for', 'while', 'of', 'in', 'true', 'false',
    'null', 'new', 'typeof', 'break', 'continue',
  ],
  operators: [
    '===', '!==', '**=', '...', '**', '+=', '-=', '*=', '/=', '%=', '++', '--', '==', '!=', '<=', '>=',
    '&&', '||', '=>', '??', '?.', '+', '-', '*', '/', '%', '=', '<', '>', '!', '?', ':', '.', ',', ';',
    '(', ')', '[', ']', '{', '}', "'", '"',
  ],
  /** Names a program may declare: parameters, locals, loop and arrow parameters. */
  locals: [
    'a', 'b', 'c', 'd', 'e', 'g', 'h', 'i', 'j', 'k', 'm', 'n', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
    'x', 'y', 'z', 'acc', 'res', 'out', 'arr', 'str', 'num', 'val', 'key', 'idx', 'sum', 'count',
    'left', 'right', 'mid', 'tmp', 'prev', 'cur', 'next', 'total', 'len', 'word', 'words', 'item',
    'items', 'list', 'nums', 'obj', 'seen', 'result', 'best', 'first', 'last', 'lo', 'hi', 'step',
    'diff', 'prod', 'min', 'max', 'counts', 'chars', 'parts', 'row', 'rows', 'ch', 'pos', 'neg',
  ],
  /** The function's own name. */
  functionName: ['f'],
  /** Properties and methods of arrays, strings and numbers that programs may use. */
  members: [
    'length', 'push', 'pop', 'shift', 'unshift', 'slice', 'splice', 'concat', 'map', 'filter',
    'reduce', 'join', 'split', 'reverse', 'includes', 'indexOf', 'lastIndexOf', 'sort', 'find',
    'findIndex', 'some', 'every', 'fill', 'flat', 'toUpperCase', 'toLowerCase', 'charAt', 'charCodeAt',
    'repeat', 'trim', 'startsWith', 'endsWith', 'padStart', 'padEnd', 'substring', 'toString',
    'toFixed', 'replace',
  ],
  /** Global objects and their functions that programs may call. */
  globals: [
    'Math', 'String', 'Number', 'Array', 'Object', 'isArray', 'from', 'keys', 'values', 'entries',
    'abs', 'floor', 'ceil', 'round', 'sign', 'sqrt', 'pow', 'trunc',
  ],
  /** Number pieces: a literal is written with these, two digits at a time (greedy). */
  numbers: Array.from({ length: 100 }, (_, i) => String(i)),
  /** Words for string contents and induction messages. */
  words: [
    'the', 'and', 'to', 'is', 'each', 'array', 'number', 'numbers', 'string', 'strings', 'element',
    'elements', 'value', 'returns', 'even', 'odd', 'sorted', 'letters', 'characters', 'digits',
    'square', 'squares', 'double', 'times', 'plus', 'minus', 'product', 'average', 'index', 'vowels',
    'positive', 'negative', 'greater', 'less', 'than', 'zero', 'one', 'two', 'hello', 'world', 'Hello',
    'all', 'not', 'with', 'by', 'an', 'or', 'abc', 'foo', 'bar',
  ],
  /** Every printable ASCII character, so any ASCII text (and any string literal) encodes. */
  chars: Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
} as const;

function buildVocab(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const group of Object.values(VOCAB_GROUPS)) {
    for (const text of group) {
      if (!seen.has(text)) {
        seen.add(text);
        out.push(text);
      }
    }
  }
  return out;
}

/** Token texts by id. */
export const VOCAB: readonly string[] = Object.freeze(buildVocab());
export const vocabSize = VOCAB.length;

const ID_OF = new Map<string, number>(VOCAB.map((t, i) => [t, i]));

/** The id of the token whose text is exactly `text`; throws if there is none. */
export function tokenId(text: string): number {
  const id = ID_OF.get(text);
  if (id === undefined) throw new Error(`tokenizer: no token ${JSON.stringify(text)}`);
  return id;
}

export function tokenText(id: number): string {
  const t = VOCAB[id];
  if (t === undefined) throw new Error(`tokenizer: no token id ${id} (vocabulary size ${vocabSize})`);
  return t;
}

// A trie over character codes for greedy longest-match.
interface TrieNode {
  id: number;
  next: Map<number, TrieNode>;
}

const TRIE: TrieNode = { id: -1, next: new Map() };
for (let id = 0; id < VOCAB.length; id++) {
  let node = TRIE;
  for (const ch of VOCAB[id]) {
    const code = ch.charCodeAt(0);
    let child = node.next.get(code);
    if (!child) {
      child = { id: -1, next: new Map() };
      node.next.set(code, child);
    }
    node = child;
  }
  node.id = id;
}

function describeChar(text: string, pos: number): string {
  const cp = text.codePointAt(pos) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const shown = cp >= 0x20 && cp !== 0x7f ? String.fromCodePoint(cp) : JSON.stringify(String.fromCodePoint(cp));
  return `unknown character '${shown}' (U+${hex}) at position ${pos}`;
}

const IDENTIFIER_TOKENS = new Set<string>([
  ...VOCAB_GROUPS.keywords, ...VOCAB_GROUPS.locals, ...VOCAB_GROUPS.functionName,
  ...VOCAB_GROUPS.members, ...VOCAB_GROUPS.globals,
]);

/**
 * Throws on an identifier in code that is not one whole token of the identifier set. Code is all
 * text except string literals and an induction message (text after `<message>` up to the next
 * special token).
 */
function checkIdentifiers(text: string): void {
  const isIdStart = (c: string): boolean => /[A-Za-z_$]/.test(c);
  const isIdPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);
  let i = 0;
  let inMessage = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '<') {
      const close = text.indexOf('>', i);
      const name = close > i ? text.slice(i + 1, close) : '';
      if ((SPECIAL_NAMES as readonly string[]).includes(name)) {
        inMessage = name === 'message';
        i = close + 1;
        continue;
      }
    }
    if (inMessage) {
      i++;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < text.length && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (/[0-9]/.test(c)) {
      i++;
      while (i < text.length && /[0-9.]/.test(text[i])) i++;
      if (/[eE]/.test(text[i] ?? '') && /[-+0-9]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (i < text.length && /[0-9]/.test(text[i])) i++;
      }
    } else if (isIdStart(c)) {
      const start = i;
      while (i < text.length && isIdPart(text[i])) i++;
      const word = text.slice(start, i);
      if (!IDENTIFIER_TOKENS.has(word)) {
        throw new Error(`tokenizer: identifier '${word}' at position ${start} is not in the vocabulary`);
      }
    } else {
      i++;
    }
  }
}

export interface EncodeOptions {
  /** Refuse identifiers in code that are not whole tokens of the identifier set (default false). */
  strictIdentifiers?: boolean;
}

/**
 * Greedy longest-match encoding; `<name>` of a special token becomes that token. Throws on a
 * character outside printable ASCII and newline, naming it and its position.
 */
export function encode(text: string, options: EncodeOptions = {}): number[] {
  if (options.strictIdentifiers) checkIdentifiers(text);
  const ids: number[] = [];
  let pos = 0;
  while (pos < text.length) {
    let node: TrieNode | undefined = TRIE;
    let bestId = -1;
    let bestEnd = pos;
    for (let i = pos; i < text.length; i++) {
      node = node.next.get(text.charCodeAt(i));
      if (!node) break;
      if (node.id >= 0) {
        bestId = node.id;
        bestEnd = i + 1;
      }
    }
    if (bestId < 0) throw new Error(`tokenizer: ${describeChar(text, pos)}`);
    ids.push(bestId);
    pos = bestEnd;
  }
  return ids;
}

/** The position of the first character `encode` would refuse, or -1 if the text encodes. */
export function findUnencodable(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x20 && c < 0x7f) || c === 0x0a)) return i;
  }
  return -1;
}

export function decode(ids: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < ids.length; i++) out += tokenText(ids[i]);
  return out;
}
