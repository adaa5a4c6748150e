// The value types the generator tracks, random input values of each type, and how an input is written
// (as the argument list between a call's parentheses, JavaScript literal style: `[1, 2], 'ab', 3`).
// Inputs stay small so that their text, and usually the output's, is a few dozen tokens at most.
import type { Rng } from '../azr/rng';
import { chance, int, pick } from './rand';

export type VType = 'num' | 'str' | 'bool' | 'nums' | 'strs';
export type Value = number | string | boolean | number[] | string[];
export type ValueGen = (rng: Rng) => Value;

/** A parameter of a generated function: its name, its type and how to draw an argument for it. */
export interface Param { name: string; type: VType; gen: ValueGen }

/** Letters for string inputs: a small alphabet, so `includes`/`indexOf`/`===` tests often hit. */
export const LETTERS = 'abcdeilmnorst';
const FREQUENT = 'aeiorst';

export function smallInt(lo = -5, hi = 12): ValueGen {
  return (rng) => int(rng, lo, hi);
}

export function word(minLen = 0, maxLen = 6): ValueGen {
  return (rng) => {
    const n = int(rng, minLen, maxLen);
    let s = '';
    for (let i = 0; i < n; i++) s += chance(rng, 0.5) ? pick(rng, FREQUENT) : pick(rng, LETTERS);
    return s;
  };
}

export function numList(minLen = 0, maxLen = 6, lo = -5, hi = 12): ValueGen {
  return (rng) => Array.from({ length: int(rng, minLen, maxLen) }, () => int(rng, lo, hi));
}

export function wordList(minLen = 0, maxLen = 5, minWord = 1, maxWord = 4): ValueGen {
  const w = word(minWord, maxWord);
  return (rng) => Array.from({ length: int(rng, minLen, maxLen) }, () => w(rng) as string);
}

export const bool: ValueGen = (rng) => chance(rng, 0.5);

/** The default generator for a type. */
export function defaultGen(type: VType): ValueGen {
  switch (type) {
    case 'num': return smallInt();
    case 'str': return word();
    case 'bool': return bool;
    case 'nums': return numList();
    case 'strs': return wordList();
  }
}

export function param(name: string, type: VType, gen: ValueGen = defaultGen(type)): Param {
  return { name, type, gen };
}

/** A value as a JavaScript literal; strings are lowercase letters only, so they need no escapes. */
export function formatValue(v: Value): string {
  if (Array.isArray(v)) return `[${(v as Value[]).map(formatValue).join(', ')}]`;
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

export function formatArgs(values: readonly Value[]): string {
  return values.map(formatValue).join(', ');
}

export function drawArgs(rng: Rng, params: readonly Param[]): string {
  return formatArgs(params.map((p) => p.gen(rng)));
}
