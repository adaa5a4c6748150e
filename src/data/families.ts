// Program families: named templates with random sub-choices, each producing a typed program sketch
// (parameters with input generators, a body, and a short lowercase message describing the function).
//
// TRAIN families (pretraining data only):
//   arith            arithmetic on 1–3 numbers (+ − * %, Math.max/min/abs/floor)
//   compare          a boolean from comparisons of numbers (&&, ||)
//   num-branch       if/else or a ternary choosing between two numeric expressions
//   flag-switch      a boolean parameter chooses between two operations on a value
//   count-loop       classic `for` over 0…n accumulating a number or a string
//   index-loop       classic `for` over an array's indices (a[i] with i)
//   for-of           `for…of` accumulation over numbers, letters or words, with an optional `if`
//   push-loop        building an array with `push` in a loop, with an optional `if`
//   nums-pipeline    1–3 array stages on numbers (map, filter, sort, reverse, slice, concat) and an
//                    optional terminal (reduce sum/product/max/min, length, includes, indexOf, join)
//   words-pipeline   the same on arrays of words
//   str-ops          one string operation (toUpperCase, reverse, slice, repeat, +, split/join),
//                    optionally followed by a query (length, indexOf, includes, charAt)
//   str-chain        two string operations in a row
//   str-pair         two string parameters combined (+, includes, indexOf, lengths)
//   str-loop         loops over the letters of a string (count, rebuild, every other letter)
//
// HELD-OUT families (evaluation only): compositions of the same primitives that no train program
// contains. Train pipelines never hold an adjacent pair from HELD_OUT_PAIRS (pipeline.ts), train map
// callbacks are never ternaries, train string chains never pair reverse with toUpperCase or slice with
// repeat, train branches never test a string, and train loops never hold a ternary or a `return`.
//   filter-reduce    filter then reduce (sum, product, max, min)       e.g. "keep even numbers then sum"
//   filter-count     filter then length
//   map-filter       map then filter
//   slice-reduce     slice then reduce
//   map-ternary      map with a ternary callback
//   map-join         map then join
//   str-reverse-case string reversal with toUpperCase (either order)
//   str-slice-repeat slice with repeat (either order)
//   str-branch       if/else on a test of a string, a string operation in each branch
//   loop-branch      classic `for` over 0…n adding one of two amounts chosen by a ternary
//   find-first       a loop that returns early from inside an `if` (first match, its position,
//                    whether some or every item passes)
import type { Rng } from '../azr/rng';
import { bin, block, call, id, index, method, neg, not, num, prop, str, ternary, type Expr, type Lines } from './code';
import { NAMES } from './names';
import { numOp, numOps, numPred, STR_OP_KINDS, strOp, strPred, strQuery, words, type Op, type StrOpKind } from './ops';
import {
  HELD_OUT_PAIRS, makeSteps, pairsOf, REDUCERS, renderPipeline, stagesFor, terminalsFor, describe,
  type Elem, type PlannedKind, type StepKind,
} from './pipeline';
import { chance, int, pick, weighted } from './rand';
import { numList, param, smallInt, word, wordList, type Param, type VType } from './values';

export type Split = 'train' | 'heldout';

export interface Sketch { params: Param[]; body: Lines; message: string }

export interface Family {
  name: string;
  split: Split;
  /** Relative frequency within its split. */
  weight: number;
  make(rng: Rng): Sketch;
}

const [A, B] = NAMES.params;
const { item: X, index: I, result: R, temp: T } = NAMES;

/** `return e;` or `const r = e;\n return r;`. */
function returns(rng: Rng, e: Expr): Lines {
  return chance(rng, 0.75) ? [`return ${e.code};`] : [`const ${R} = ${e.code};`, `return ${R};`];
}

function numTerm(rng: Rng, name: string, pOp = 0.6): { e: Expr; desc: string } {
  if (!chance(rng, pOp)) return { e: id(name), desc: name };
  const op = numOp(rng);
  return { e: op.code(id(name)), desc: `${name} ${op.desc}` };
}

// ---- numbers ---------------------------------------------------------------------------------------

const arith: Family = {
  name: 'arith', split: 'train', weight: 3,
  make(rng) {
    const n = int(rng, 1, 3);
    const names = NAMES.params.slice(0, n);
    let { e, desc } = numTerm(rng, names[0], n === 1 ? 1 : 0.6);
    if (n === 1 && chance(rng, 0.5)) { const op = numOp(rng, ['times', 'plus', 'minus', 'mod', 'abs', 'atLeast', 'atMost']); e = op.code(e); desc = `${desc} ${op.desc}`; }
    for (const name of names.slice(1)) {
      const t = numTerm(rng, name, 0.4);
      switch (rng.int(5)) {
        case 0: e = bin(e, '+', t.e); desc = `${desc} plus ${t.desc}`; break;
        case 1: e = bin(e, '-', t.e); desc = `${desc} minus ${t.desc}`; break;
        case 2: e = bin(e, '*', t.e); desc = `${desc} times ${t.desc}`; break;
        case 3: e = call('Math.max', [e, t.e]); desc = `max of ${desc} and ${t.desc}`; break;
        default: e = call('Math.min', [e, t.e]); desc = `min of ${desc} and ${t.desc}`; break;
      }
    }
    return { params: names.map((p) => param(p, 'num')), body: returns(rng, e), message: desc };
  },
};

const compare: Family = {
  name: 'compare', split: 'train', weight: 1,
  make(rng) {
    const two = chance(rng, 0.6);
    const p1 = numPred(rng);
    let e = p1.code(id(A));
    let desc = `${A} ${p1.desc}`;
    if (two) {
      if (chance(rng, 0.5)) {
        const op = pick(rng, ['>', '<', '===', '!=='] as const);
        const words2 = { '>': 'greater than', '<': 'less than', '===': 'is', '!==': 'not' }[op];
        const t = numTerm(rng, B, 0.4);
        e = bin(id(A), op, t.e); desc = `${A} ${words2} ${t.desc}`;
      } else {
        const p2 = numPred(rng);
        const and = chance(rng, 0.5);
        e = bin(e, and ? '&&' : '||', p2.code(id(B))); desc = `${desc} ${and ? 'and' : 'or'} ${B} ${p2.desc}`;
      }
    }
    return { params: (two ? [A, B] : [A]).map((p) => param(p, 'num')), body: returns(rng, e), message: `is ${desc}` };
  },
};

/** `if (c) { return y; } return n;` or a ternary (the subset's body ends with a top-level return). */
function branchBody(rng: Rng, cond: Expr, yes: Expr, no: Expr): Lines {
  return chance(rng, 0.6)
    ? [...block(`if (${cond.code})`, [`return ${yes.code};`]), `return ${no.code};`]
    : [`return ${ternary(cond, yes, no).code};`];
}

const numBranch: Family = {
  name: 'num-branch', split: 'train', weight: 2,
  make(rng) {
    const two = chance(rng, 0.5);
    let cond: Expr; let cdesc: string;
    if (two) {
      const op = pick(rng, ['>', '<', '>='] as const);
      cond = bin(id(A), op, id(B)); cdesc = `${A} ${{ '>': 'greater than', '<': 'less than', '>=': 'not less than' }[op]} ${B}`;
    } else {
      const p = numPred(rng); cond = p.code(id(A)); cdesc = `${A} ${p.desc}`;
    }
    const names = two ? [A, B] : [A];
    const yes = numTerm(rng, pick(rng, names), 0.8);
    const no = numTerm(rng, pick(rng, names), 0.8);
    return { params: names.map((p) => param(p, 'num')), body: branchBody(rng, cond, yes.e, no.e), message: `${yes.desc} if ${cdesc} else ${no.desc}` };
  },
};

const flagSwitch: Family = {
  name: 'flag-switch', split: 'train', weight: 1,
  make(rng) {
    const type = pick(rng, ['num', 'str', 'nums'] as const);
    let yes: Op; let no: Op;
    if (type === 'num') { yes = numOps(rng, 1); no = numOps(rng, 1); }
    else if (type === 'str') { yes = strOp(rng, pick(rng, STR_OP_KINDS)); no = chance(rng, 0.3) ? { code: (e) => e, desc: 'same' } : strOp(rng, pick(rng, STR_OP_KINDS)); }
    else {
      const [s1] = makeSteps(rng, [pick(rng, ['sort', 'reverse', 'slice', 'sum', 'count'] as const)], 'num');
      const [s2] = makeSteps(rng, [pick(rng, ['sort', 'reverse', 'slice'] as const)], 'num');
      const keepsArray = s1.kind !== 'sum' && s1.kind !== 'count';
      yes = { code: s1.apply, desc: s1.desc };
      no = keepsArray ? { code: s2.apply, desc: s2.desc } : { code: (e) => prop(e, 'length'), desc: 'count' };
    }
    if (yes.desc === no.desc) return flagSwitch.make(rng);
    const body = branchBody(rng, id(B), yes.code(id(A)), no.code(id(A)));
    return { params: [param(A, type), param(B, 'bool')], body, message: `${yes.desc} if ${B} else ${no.desc}` };
  },
};

// ---- loops -----------------------------------------------------------------------------------------

const countLoop: Family = {
  name: 'count-loop', split: 'train', weight: 3,
  make(rng) {
    const bound = param(A, 'num', smallInt(0, 7));
    const start = chance(rng, 0.7) ? 0 : 1;
    const cmp = chance(rng, 0.7) ? '<' : '<=';
    const head = `for (let ${I} = ${start}; ${I} ${cmp} ${A}; ${I}++)`;
    const range = `${start ? 'one' : 'zero'} to ${A}${cmp === '<=' ? ' inclusive' : ''}`;
    switch (rng.int(4)) {
      case 0: case 1: {
        const op = chance(rng, 0.3) ? { code: (e: Expr) => e, desc: '' } : numOps(rng, 1);
        const opDesc = op.desc ? `${I} ${op.desc}` : I;
        const add = chance(rng, 0.6) ? `${R} += ${op.code(id(I)).code};` : `${R} = ${bin(id(R), '+', op.code(id(I))).code};`;
        return { params: [bound], body: [`let ${R} = 0;`, ...block(head, [add]), `return ${R};`], message: `sum ${opDesc} for ${I} ${range}` };
      }
      case 2: {
        const k = int(rng, 2, 3);
        return { params: [param(A, 'num', smallInt(0, 6))], body: [`let ${R} = 1;`, ...block(`for (let ${I} = 0; ${I} < ${A}; ${I}++)`, [`${R} *= ${k};`]), `return ${R};`], message: `${words(k)} pow ${A}` };
      }
      default: {
        const piece = chance(rng, 0.5);
        const body = piece ? `${R} += ${B};` : `${R} += ${I};`;
        const params = piece ? [param(A, 'num', smallInt(0, 4)), param(B, 'str', word(1, 3))] : [param(A, 'num', smallInt(0, 9))];
        return { params, body: [`let ${R} = '';`, ...block(`for (let ${I} = 0; ${I} < ${A}; ${I}++)`, [body]), `return ${R};`], message: piece ? `repeat ${B} ${A} times` : `digits to ${A}` };
      }
    }
  },
};

const indexLoop: Family = {
  name: 'index-loop', split: 'train', weight: 1,
  make(rng) {
    const head = `for (let ${I} = 0; ${I} < ${A}.length; ${I}++)`;
    const ai = index(id(A), id(I));
    const withIndex = pick(rng, [['*', 'times'], ['+', 'plus'], ['-', 'minus']] as const);
    const op = chance(rng, 0.4) ? numOp(rng, ['times', 'plus', 'abs', 'square', 'mod']) : undefined;
    const term = bin(op ? op.code(ai) : ai, withIndex[0], id(I));
    const what = `${op ? `${op.desc} ` : ''}${withIndex[1]} index`;
    switch (rng.int(4)) {
      case 0: return { params: [param(A, 'nums')], body: [`let ${R} = 0;`, ...block(head, [`${R} += ${term.code};`]), `return ${R};`], message: `sum each ${what}` };
      case 1: return { params: [param(A, 'nums')], body: [`const ${R} = [];`, ...block(head, [`${R}.push(${term.code});`]), `return ${R};`], message: `map ${what}` };
      case 2: {
        const cmp = pick(rng, [['>', 'greater than'], ['<', 'less than'], ['===', 'equal to']] as const);
        return { params: [param(A, 'nums', numList(0, 6, -2, 8))], body: [`let ${R} = 0;`, ...block(head, block(`if (${bin(ai, cmp[0], id(I)).code})`, [`${R} += 1;`])), `return ${R};`], message: `count ${cmp[1]} index` };
      }
      default: {
        const k = int(rng, 0, 1);
        return { params: [param(A, 'strs')], body: [`let ${R} = '';`, ...block(head, [`${R} += ${method(ai, 'charAt', [k ? bin(id(I), '+', k) : id(I)]).code};`]), `return ${R};`], message: `letter at index${k ? ' plus one' : ''} of each word` };
      }
    }
  },
};

const forOf: Family = {
  name: 'for-of', split: 'train', weight: 3,
  make(rng) {
    const head = `for (const ${X} of ${A})`;
    switch (weighted(rng, [[0, 4], [1, 1], [2, 1], [3, 2]] as const)) {
      case 0: {
        const test = chance(rng, 0.6) ? numPred(rng) : undefined;
        const op = chance(rng, 0.5) ? numOps(rng, 1) : undefined;
        const counting = test && chance(rng, 0.3);
        const value = op ? op.code(id(X)) : id(X);
        const add = counting ? `${R} += 1;` : chance(rng, 0.7) ? `${R} += ${value.code};` : `${R} = ${bin(id(R), '+', value).code};`;
        const inner = test ? block(`if (${test.code(id(X)).code})`, [add]) : [add];
        const what = counting ? 'count' : `sum${op ? ` ${op.desc}` : ''}`;
        return { params: [param(A, 'nums')], body: [`let ${R} = 0;`, ...block(head, inner), `return ${R};`], message: test ? `${what} if ${test.desc}` : what };
      }
      case 1: {
        const big = chance(rng, 0.5);
        const init = pick(rng, [0, -9, 9, 100, -100]);
        return { params: [param(A, 'nums')], body: [`let ${R} = ${num(init).code};`, ...block(head, block(`if (${X} ${big ? '>' : '<'} ${R})`, [`${R} = ${X};`])), `return ${R};`], message: `${big ? 'max' : 'min'} or ${words(init)}` };
      }
      case 2: {
        const c = pick(rng, 'aeiost');
        const test = chance(rng, 0.6) ? `${X} === '${c}'` : `${X} !== '${c}'`;
        return { params: [param(A, 'str')], body: [`let ${R} = 0;`, ...block(head, block(`if (${test})`, [`${R} += 1;`])), `return ${R};`], message: `count ${test.includes('!') ? 'not ' : ''}${c}` };
      }
      default: {
        const p = chance(rng, 0.6) ? strPred(rng) : undefined;
        const counting = p && chance(rng, 0.4);
        const add = counting ? `${R} += 1;` : `${R} += ${X}.length;`;
        return { params: [param(A, 'strs')], body: [`let ${R} = 0;`, ...block(head, p ? block(`if (${p.code(id(X)).code})`, [add]) : [add]), `return ${R};`], message: `${counting ? 'count' : 'total length'}${p ? ` if ${p.desc}` : ''}` };
      }
    }
  },
};

const pushLoop: Family = {
  name: 'push-loop', split: 'train', weight: 2,
  make(rng) {
    if (chance(rng, 0.3)) {
      const op = numOps(rng, 1);
      return {
        params: [param(A, 'num', smallInt(0, 6))],
        body: [`const ${R} = [];`, ...block(`for (let ${I} = 0; ${I} < ${A}; ${I}++)`, [`${R}.push(${op.code(id(I)).code});`]), `return ${R};`],
        message: `${I} ${op.desc} for ${I} to ${A}`,
      };
    }
    const words2 = chance(rng, 0.3);
    const test = chance(rng, 0.6) ? (words2 ? strPred(rng) : numPred(rng)) : undefined;
    const op = words2 ? strOp(rng, pick(rng, ['upper', 'slice', 'append', 'repeat'] as const)) : numOps(rng, 1);
    const push = `${R}.push(${op.code(id(X)).code});`;
    return {
      params: [param(A, words2 ? 'strs' : 'nums')],
      body: [`const ${R} = [];`, ...block(`for (const ${X} of ${A})`, test ? block(`if (${test.code(id(X)).code})`, [push]) : [push]), `return ${R};`],
      message: `${test ? `filter ${test.desc} ` : ''}map ${op.desc}`,
    };
  },
};

// ---- array pipelines -------------------------------------------------------------------------------

/** A random list of step kinds for a pipeline over `elem` elements. */
function randomKinds(rng: Rng, elem: Elem, allowConcat: boolean): PlannedKind[] {
  const kinds: PlannedKind[] = [];
  const n = weighted(rng, [[1, 4], [2, 4], [3, 1]] as const);
  let e = elem;
  for (let i = 0; i < n; i++) {
    const choices: StepKind[] = stagesFor(e);
    if (i === 0 && allowConcat) choices.push('concat');
    const k = pick(rng, choices);
    if (k === 'map' && e === 'str' && chance(rng, 0.3)) { kinds.push('map-length'); e = 'num'; } else kinds.push(k);
  }
  if (chance(rng, 0.55)) kinds.push(pick(rng, terminalsFor(e)));
  return kinds;
}

function pipelineSketch(rng: Rng, elem: Elem, kinds: readonly PlannedKind[], ternaryMap = false): Sketch {
  const type: VType = elem === 'num' ? 'nums' : 'strs';
  const needsList = kinds[0] === 'concat';
  const looksFor = kinds.some((k) => k === 'includes' || k === 'indexOf');
  const other = needsList ? { name: B, elem } : looksFor && chance(rng, 0.4) ? { name: B, elem } : undefined;
  const params = [param(A, type)];
  if (other) params.push(needsList ? param(B, type, elem === 'num' ? numList(0, 3) : wordList(0, 3)) : param(B, elem === 'num' ? 'num' : 'str', elem === 'num' ? smallInt(-2, 9) : word(1, 2)));
  const steps = makeSteps(rng, kinds, elem, { other, ternaryMap });
  return { params, body: renderPipeline(rng, A, steps), message: describe(steps) };
}

function trainPipeline(elem: Elem): Family['make'] {
  return (rng) => {
    for (;;) {
      const kinds = randomKinds(rng, elem, true);
      if (pairsOf(kinds).some((p) => HELD_OUT_PAIRS.has(p))) continue;
      return pipelineSketch(rng, elem, kinds);
    }
  };
}

const numsPipeline: Family = { name: 'nums-pipeline', split: 'train', weight: 6, make: trainPipeline('num') };
const wordsPipeline: Family = { name: 'words-pipeline', split: 'train', weight: 3, make: trainPipeline('str') };

// ---- strings ---------------------------------------------------------------------------------------

const HELD_OUT_STR_PAIRS: ReadonlySet<string> = new Set(['reverse>upper', 'upper>reverse', 'slice>repeat', 'repeat>slice']);

function strChain(rng: Rng, kinds: readonly StrOpKind[], query: boolean): Sketch {
  const ops = kinds.map((k) => strOp(rng, k));
  let e: Expr = id(A);
  for (const op of ops) e = op.code(e);
  const descs = ops.map((o) => o.desc);
  let rest = ops.slice(1).map((o) => o.code);
  if (query) { const q = strQuery(rng); e = q.code(e); descs.push(q.desc); rest = [...rest, q.code]; }
  const body = ops.length >= 2 && chance(rng, 0.3)
    ? [`const ${T} = ${ops[0].code(id(A)).code};`, `return ${rest.reduce((x, code) => code(x), id(T)).code};`]
    : returns(rng, e);
  return { params: [param(A, 'str')], body, message: descs.join(' ') };
}

const strOps: Family = {
  name: 'str-ops', split: 'train', weight: 2,
  make(rng) {
    if (chance(rng, 0.3)) { const q = strQuery(rng); return { params: [param(A, 'str')], body: returns(rng, q.code(id(A))), message: q.desc }; }
    return strChain(rng, [pick(rng, STR_OP_KINDS)], chance(rng, 0.3));
  },
};

const strChainTrain: Family = {
  name: 'str-chain', split: 'train', weight: 2,
  make(rng) {
    for (;;) {
      const a = pick(rng, STR_OP_KINDS);
      const b = pick(rng, STR_OP_KINDS.filter((k) => k !== a));
      if (HELD_OUT_STR_PAIRS.has(`${a}>${b}`)) continue;
      return strChain(rng, [a, b], chance(rng, 0.2));
    }
  },
};

const strPair: Family = {
  name: 'str-pair', split: 'train', weight: 1,
  make(rng) {
    const opA = chance(rng, 0.4) ? strOp(rng, pick(rng, ['upper', 'slice', 'repeat', 'reverse'] as const)) : undefined;
    const a = opA ? opA.code(id(A)) : id(A);
    const b = id(B);
    const options: [Expr, string][] = [
      [bin(a, '+', b), `${A} plus ${B}`],
      [bin(bin(a, '+', str('-')), '+', b), `${A} dash ${B}`],
      [bin(b, '+', a), `${B} plus ${A}`],
      [method(a, 'includes', [b]), `${A} includes ${B}`],
      [method(a, 'indexOf', [b]), `index of ${B} in ${A}`],
      [bin(prop(a, 'length'), '+', prop(b, 'length')), 'total length'],
      [bin(a, '===', b), `is ${A} ${B}`],
    ];
    const [e, message] = pick(rng, options);
    return { params: [param(A, 'str'), param(B, 'str', word(0, 3))], body: returns(rng, e), message: opA ? `${A} ${opA.desc} then ${message}` : message };
  },
};

const strLoop: Family = {
  name: 'str-loop', split: 'train', weight: 2,
  make(rng) {
    const head = `for (const ${X} of ${A})`;
    switch (rng.int(3)) {
      case 0: return { params: [param(A, 'str')], body: [`let ${R} = '';`, ...block(head, [`${R} = ${X} + ${R};`]), `return ${R};`], message: 'reverse' };
      case 1: {
        const c = pick(rng, 'aeiost');
        const to = pick(rng, ['-', '', 'x', 'z', c + c]);
        switch (rng.int(3)) {
          case 0: return { params: [param(A, 'str')], body: [`let ${R} = '';`, ...block(head, block(`if (${X} !== '${c}')`, [`${R} += ${X};`])), `return ${R};`], message: `without ${c}` };
          case 1: return { params: [param(A, 'str')], body: [`let ${R} = '';`, ...block(head, block(`if (${X} === '${c}')`, [`${R} += '${to}';`], [`${R} += ${X};`])), `return ${R};`], message: to === '' ? `without ${c}` : `replace ${c} with ${to === '-' ? 'dash' : to}` };
          default: { const sep = pick(rng, ['', '-', 'x']); return { params: [param(A, 'str')], body: [`let ${R} = '';`, ...block(head, [`${R} += ${X} + ${sep ? `'${sep}'` : X};`]), `return ${R};`], message: sep ? `each letter plus ${sep === '-' ? 'dash' : sep}` : 'double each letter' }; }
        }
      }
      default: {
        const even = chance(rng, 0.5);
        return {
          params: [param(A, 'str')],
          body: [`let ${R} = '';`, ...block(`for (let ${I} = 0; ${I} < ${A}.length; ${I}++)`, block(`if (${I} % 2 === ${even ? 0 : 1})`, [`${R} += ${A}[${I}];`])), `return ${R};`],
          message: `letters at ${even ? 'even' : 'odd'} index`,
        };
      }
    }
  },
};

// ---- held-out families -----------------------------------------------------------------------------

function heldOutPipeline(elemOf: (rng: Rng) => Elem, core: (rng: Rng, elem: Elem) => PlannedKind[], ternaryMap = false): Family['make'] {
  return (rng) => {
    const elem = elemOf(rng);
    return pipelineSketch(rng, elem, core(rng, elem), ternaryMap);
  };
}

const prefix = (rng: Rng, elem: Elem): StepKind[] => (chance(rng, 0.35) ? [pick(rng, elem === 'num' ? ['sort', 'reverse', 'concat'] as const : ['reverse', 'concat'] as const)] : []);

const filterReduce: Family = {
  name: 'filter-reduce', split: 'heldout', weight: 1,
  make: heldOutPipeline(() => 'num', (rng, e) => [...prefix(rng, e), 'filter', pick(rng, REDUCERS)]),
};
const filterCount: Family = {
  name: 'filter-count', split: 'heldout', weight: 1,
  make: heldOutPipeline((rng) => (chance(rng, 0.6) ? 'num' : 'str'), (rng, e) => [...prefix(rng, e), 'filter', 'count']),
};
const mapFilter: Family = {
  name: 'map-filter', split: 'heldout', weight: 1,
  make: heldOutPipeline(() => 'num', (rng) => ['map', 'filter', ...(chance(rng, 0.3) ? [pick(rng, ['reverse', 'slice', 'count'] as const)] : [])]),
};
const sliceReduce: Family = {
  name: 'slice-reduce', split: 'heldout', weight: 1,
  make: heldOutPipeline(() => 'num', (rng) => [...(chance(rng, 0.5) ? [pick(rng, ['sort', 'reverse'] as const)] : []), 'slice', pick(rng, REDUCERS)]),
};
const mapTernary: Family = {
  name: 'map-ternary', split: 'heldout', weight: 1,
  make: heldOutPipeline(() => 'num', (rng) => ['map', ...(chance(rng, 0.3) ? [pick(rng, ['sum', 'reverse', 'slice'] as const)] : [])], true),
};
const mapJoin: Family = {
  name: 'map-join', split: 'heldout', weight: 1,
  make: heldOutPipeline((rng) => (chance(rng, 0.7) ? 'str' : 'num'), (rng) => [...(chance(rng, 0.25) ? ['reverse' as const] : []), 'map', 'join']),
};

const strReverseCase: Family = {
  name: 'str-reverse-case', split: 'heldout', weight: 1,
  make(rng) {
    const core: StrOpKind[] = chance(rng, 0.5) ? ['reverse', 'upper'] : ['upper', 'reverse'];
    const extra = chance(rng, 0.3) ? [pick(rng, ['slice', 'append', 'prepend'] as const)] : [];
    return strChain(rng, chance(rng, 0.5) ? [...core, ...extra] : [...extra, ...core], chance(rng, 0.15));
  },
};

const strSliceRepeat: Family = {
  name: 'str-slice-repeat', split: 'heldout', weight: 1,
  make(rng) {
    const core: StrOpKind[] = chance(rng, 0.5) ? ['slice', 'repeat'] : ['repeat', 'slice'];
    const extra = chance(rng, 0.3) ? [pick(rng, ['append', 'prepend', 'replace'] as const)] : [];
    return strChain(rng, [...core, ...extra], chance(rng, 0.15));
  },
};

const strBranch: Family = {
  name: 'str-branch', split: 'heldout', weight: 1,
  make(rng) {
    const test = strPred(rng);
    const yes = strOp(rng, pick(rng, STR_OP_KINDS));
    const no = chance(rng, 0.3) ? { code: (e: Expr) => e, desc: 'same' } : strOp(rng, pick(rng, STR_OP_KINDS));
    return { params: [param(A, 'str')], body: branchBody(rng, test.code(id(A)), yes.code(id(A)), no.code(id(A))), message: `${yes.desc} if ${test.desc} else ${no.desc}` };
  },
};

const loopBranch: Family = {
  name: 'loop-branch', split: 'heldout', weight: 1,
  make(rng) {
    const test = numPred(rng);
    const k = int(rng, 1, 3);
    const yes = chance(rng, 0.5) ? { e: id(I), desc: I } : { e: bin(id(I), '*', k + 1), desc: `${I} times ${words(k + 1)}` };
    const no = chance(rng, 0.5) ? { e: num(-k), desc: `minus ${words(k)}` } : { e: neg(id(I)), desc: `minus ${I}` };
    // A ternary, not if/else: the if/else form of this loop is longer than the program cap.
    return {
      params: [param(A, 'num', smallInt(0, 8))],
      body: [`let ${R} = 0;`, ...block(`for (let ${I} = 0; ${I} < ${A}; ${I}++)`, [`${R} += ${ternary(test.code(id(I)), yes.e, no.e).code};`]), `return ${R};`],
      message: `sum ${yes.desc} if ${I} ${test.desc} else ${no.desc}`,
    };
  },
};

const findFirst: Family = {
  name: 'find-first', split: 'heldout', weight: 1,
  make(rng) {
    const words2 = chance(rng, 0.35);
    const test = words2 ? strPred(rng) : numPred(rng);
    const t = test.code(id(X)).code;
    switch (rng.int(3)) {
      case 0: {
        const none = words2 ? str('') : num(pick(rng, [-1, 0]));
        return {
          params: [param(A, words2 ? 'strs' : 'nums')],
          body: [...block(`for (const ${X} of ${A})`, block(`if (${t})`, [`return ${X};`])), `return ${none.code};`],
          message: `find ${test.desc} or ${words2 ? 'empty' : words(Number(none.code))}`,
        };
      }
      case 1: {
        const ai = index(id(A), id(I));
        return {
          params: [param(A, words2 ? 'strs' : 'nums')],
          body: [...block(`for (let ${I} = 0; ${I} < ${A}.length; ${I}++)`, block(`if (${test.code(ai).code})`, [`return ${I};`])), 'return -1;'],
          message: `find index ${test.desc} or minus one`,
        };
      }
      default: {
        const every = chance(rng, 0.5);
        const cond = every ? not(test.code(id(X))).code : t;
        return {
          params: [param(A, words2 ? 'strs' : 'nums')],
          body: [...block(`for (const ${X} of ${A})`, block(`if (${cond})`, [`return ${!every};`])), `return ${every};`],
          message: every ? `all ${test.desc}` : `some ${test.desc}`,
        };
      }
    }
  },
};

export const FAMILIES: readonly Family[] = [
  arith, compare, numBranch, flagSwitch, countLoop, indexLoop, forOf, pushLoop, numsPipeline, wordsPipeline,
  strOps, strChainTrain, strPair, strLoop,
  filterReduce, filterCount, mapFilter, sliceReduce, mapTernary, mapJoin, strReverseCase, strSliceRepeat, strBranch, loopBranch, findFirst,
];

export const TRAIN_FAMILIES: readonly Family[] = FAMILIES.filter((f) => f.split === 'train');
export const HELD_OUT_FAMILIES: readonly Family[] = FAMILIES.filter((f) => f.split === 'heldout');

export function familiesOf(split: Split): readonly Family[] {
  return split === 'train' ? TRAIN_FAMILIES : HELD_OUT_FAMILIES;
}

export function familyByName(name: string): Family {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f) throw new Error(`unknown family ${name}`);
  return f;
}

/** Draws a family of the split by weight. */
export function pickFamily(rng: Rng, split: Split): Family {
  return weighted(rng, familiesOf(split).map((f) => [f, f.weight] as const));
}

