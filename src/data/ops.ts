// Catalogues of the primitive operations families are built from, each with its code and the words
// that describe it in an induction message. A catalogue entry is drawn with its random constants.
import type { Rng } from '../azr/rng';
import { arrow, bin, call, id, method, neg, num, prop, str, type Expr } from './code';
import { NAMES } from './names';
import { chance, int, pick } from './rand';
import { LETTERS } from './values';

/** A unary operation on an expression of a known type, with its description. */
export interface Op { code: (e: Expr) => Expr; desc: string }

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** A number in a message: messages are lowercase words and single spaces only (the message grammar). */
export function words(n: number): string {
  if (n < 0) return `minus ${words(-n)}`;
  return NUMBER_WORDS[n] ?? 'many';
}

// ---- numbers → number ------------------------------------------------------------------------------

export type NumOpKind = 'times' | 'plus' | 'minus' | 'square' | 'abs' | 'mod' | 'half' | 'atLeast' | 'atMost' | 'negate';
export const NUM_OP_KINDS: readonly NumOpKind[] = ['times', 'plus', 'minus', 'square', 'abs', 'mod', 'half', 'atLeast', 'atMost', 'negate'];

export function numOp(rng: Rng, kinds: readonly NumOpKind[] = NUM_OP_KINDS): Op {
  const kind = pick(rng, kinds);
  switch (kind) {
    case 'times': { const k = int(rng, 2, 4); return { code: (e) => bin(e, '*', k), desc: `times ${words(k)}` }; }
    case 'plus': { const k = int(rng, 1, 9); return { code: (e) => bin(e, '+', k), desc: `plus ${words(k)}` }; }
    case 'minus': { const k = int(rng, 1, 9); return { code: (e) => bin(e, '-', k), desc: `minus ${words(k)}` }; }
    case 'square': return { code: (e) => bin(e, '*', e), desc: 'square' };
    case 'abs': return { code: (e) => call('Math.abs', [e]), desc: 'abs' };
    case 'mod': { const k = int(rng, 2, 5); return { code: (e) => bin(e, '%', k), desc: `mod ${words(k)}` }; }
    case 'half': return { code: (e) => call('Math.floor', [bin(e, '/', 2)]), desc: 'half' };
    case 'atLeast': { const k = int(rng, -2, 5); return { code: (e) => call('Math.max', [e, num(k)]), desc: `max ${words(k)}` }; }
    case 'atMost': { const k = int(rng, 0, 8); return { code: (e) => call('Math.min', [e, num(k)]), desc: `min ${words(k)}` }; }
    case 'negate': return { code: (e) => neg(e), desc: 'neg' };
  }
}

/** One or two numeric operations applied in turn (squaring only applies to a bare name). */
export function numOps(rng: Rng, max = 2): Op {
  const first = numOp(rng);
  if (max < 2 || !chance(rng, 0.35)) return first;
  const second = numOp(rng, NUM_OP_KINDS.filter((k) => k !== 'square'));
  return { code: (e) => second.code(first.code(e)), desc: `${first.desc} ${second.desc}` };
}

// ---- number → boolean ------------------------------------------------------------------------------

/** A test on a number. */
export function numPred(rng: Rng): Op {
  switch (rng.int(8)) {
    case 0: { const k = int(rng, -1, 6); return { code: (e) => bin(e, '>', k), desc: `greater than ${words(k)}` }; }
    case 1: { const k = int(rng, 0, 8); return { code: (e) => bin(e, '<', k), desc: `less than ${words(k)}` }; }
    case 2: { const k = int(rng, 0, 6); return { code: (e) => bin(e, '>=', k), desc: `not less than ${words(k)}` }; }
    case 3: return { code: (e) => bin(bin(e, '%', 2), '===', 0), desc: 'even' };
    case 4: return { code: (e) => bin(bin(e, '%', 2), '!==', 0), desc: 'odd' };
    case 5: { const k = int(rng, 3, 5); return { code: (e) => bin(bin(e, '%', k), '===', 0), desc: `divisible by ${words(k)}` }; }
    case 6: { const k = int(rng, 0, 5); return { code: (e) => bin(e, '!==', k), desc: `not ${words(k)}` }; }
    default: { const lo = int(rng, -2, 2); const hi = lo + int(rng, 3, 8); return { code: (e) => bin(bin(e, '>', lo), '&&', bin(e, '<', hi)), desc: `greater than ${words(lo)} less than ${words(hi)}` }; }
  }
}

// ---- strings ---------------------------------------------------------------------------------------

export const letter = (rng: Rng): string => pick(rng, LETTERS);

export type StrOpKind = 'upper' | 'reverse' | 'slice' | 'repeat' | 'append' | 'prepend' | 'replace';
export const STR_OP_KINDS: readonly StrOpKind[] = ['upper', 'reverse', 'slice', 'repeat', 'append', 'prepend', 'replace'];

/** A string → string operation. */
export function strOp(rng: Rng, kind: StrOpKind): Op {
  switch (kind) {
    case 'upper': return { code: (e) => method(e, 'toUpperCase'), desc: 'upper' };
    case 'reverse': return { code: (e) => method(method(method(e, 'split', [str('')]), 'reverse'), 'join', [str('')]), desc: 'reverse' };
    case 'slice': {
      switch (rng.int(3)) {
        case 0: { const k = int(rng, 1, 4); return { code: (e) => method(e, 'slice', [num(0), num(k)]), desc: `first ${words(k)}` }; }
        case 1: { const k = int(rng, 1, 3); return { code: (e) => method(e, 'slice', [num(k)]), desc: `slice ${words(k)}` }; }
        default: { const k = int(rng, 1, 3); return { code: (e) => method(e, 'slice', [num(-k)]), desc: `last ${words(k)}` }; }
      }
    }
    case 'repeat': { const k = int(rng, 2, 3); return { code: (e) => method(e, 'repeat', [num(k)]), desc: `repeat ${words(k)}` }; }
    case 'append': { const s = letter(rng) + (chance(rng, 0.3) ? letter(rng) : ''); return { code: (e) => bin(e, '+', str(s)), desc: `plus ${s}` }; }
    case 'prepend': { const s = letter(rng); return { code: (e) => bin(str(s), '+', e), desc: `${s} plus` }; }
    case 'replace': {
      const from = letter(rng);
      const to = chance(rng, 0.5) ? '' : pick(rng, ['-', letter(rng)]);
      return {
        code: (e) => method(method(e, 'split', [str(from)]), 'join', [str(to)]),
        desc: to === '' ? `without ${from}` : `replace ${from} with ${to === '-' ? 'dash' : to}`,
      };
    }
  }
}

/** A string → number or boolean query. */
export function strQuery(rng: Rng): Op {
  switch (rng.int(4)) {
    case 0: return { code: (e) => prop(e, 'length'), desc: 'length' };
    case 1: { const c = letter(rng); return { code: (e) => method(e, 'indexOf', [str(c)]), desc: `index ${c}` }; }
    case 2: { const c = letter(rng) + (chance(rng, 0.3) ? letter(rng) : ''); return { code: (e) => method(e, 'includes', [str(c)]), desc: `includes ${c}` }; }
    default: { const k = int(rng, 0, 3); return { code: (e) => method(e, 'charAt', [num(k)]), desc: `at ${words(k)}` }; }
  }
}

/** A string → boolean test. */
export function strPred(rng: Rng): Op {
  switch (rng.int(5)) {
    case 0: { const k = int(rng, 1, 3); return { code: (e) => bin(prop(e, 'length'), '>', k), desc: `length greater than ${words(k)}` }; }
    case 1: { const k = int(rng, 1, 4); return { code: (e) => bin(prop(e, 'length'), '<=', k), desc: `length less than ${words(k + 1)}` }; }
    case 2: { const c = letter(rng); return { code: (e) => method(e, 'includes', [str(c)]), desc: `includes ${c}` }; }
    case 3: { const c = letter(rng); return { code: (e) => bin(method(e, 'charAt', [num(0)]), '===', str(c)), desc: `first ${c}` }; }
    default: { const c = letter(rng); return { code: (e) => bin(method(e, 'indexOf', [str(c)]), '<', 0), desc: `without ${c}` }; }
  }
}

/** A word → value mapping for arrays of strings. */
export function wordMap(rng: Rng): Op & { out: 'num' | 'str' } {
  switch (rng.int(5)) {
    case 0: return { code: (e) => prop(e, 'length'), desc: 'length', out: 'num' };
    case 1: return { code: (e) => method(e, 'toUpperCase'), desc: 'upper', out: 'str' };
    case 2: return { code: (e) => method(e, 'charAt', [num(0)]), desc: 'first', out: 'str' };
    case 3: { const k = int(rng, 1, 2); return { code: (e) => method(e, 'slice', [num(0), num(k)]), desc: `first ${words(k)}`, out: 'str' }; }
    default: { const s = letter(rng); return { code: (e) => bin(e, '+', str(s)), desc: `plus ${s}`, out: 'str' }; }
  }
}

/** A callback `x => body` for an operation on the item. */
export function callback(op: Op): Expr {
  return arrow([NAMES.item], op.code(id(NAMES.item)));
}
