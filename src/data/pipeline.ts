// Array pipelines: a list of stages (map, filter, sort, reverse, slice, concat) applied to a parameter,
// optionally ending in a terminal (sum, product, max, min, count, includes, indexOf, join), written
// as a method chain. Element types are tracked (numbers or words; `map` may turn words into numbers).
//
// Which ADJACENT stage pairs a pipeline may contain decides its split: the held-out families are built
// around the pairs in HELD_OUT_PAIRS, and train pipelines never contain one (see families.ts).
import type { Rng } from '../azr/rng';
import { array, arrow, bin, call, id, method, num, prop, str, ternary, type Expr, type Lines } from './code';
import { NAMES } from './names';
import { callback, numOps, numPred, strOp, strPred, words, type Op } from './ops';
import { chance, int, pick } from './rand';

export type Elem = 'num' | 'str';
export type StageKind = 'map' | 'filter' | 'sort' | 'reverse' | 'slice' | 'concat';
export type TerminalKind = 'sum' | 'product' | 'max' | 'min' | 'count' | 'includes' | 'indexOf' | 'join';
export type StepKind = StageKind | TerminalKind;
/** A step as planned: `map-length` is a `map` that turns words into their lengths (numbers). */
export type PlannedKind = StepKind | 'map-length';

export const STAGES: readonly StageKind[] = ['map', 'filter', 'sort', 'reverse', 'slice', 'concat'];
export const REDUCERS: readonly TerminalKind[] = ['sum', 'product', 'max', 'min'];

/** Adjacent pairs (`first>second`) that only held-out families contain. */
export const HELD_OUT_PAIRS: ReadonlySet<string> = new Set([
  ...REDUCERS.map((r) => `filter>${r}`), 'filter>count', 'map>filter', ...REDUCERS.map((r) => `slice>${r}`), 'map>join',
]);

export function pairsOf(planned: readonly PlannedKind[]): string[] {
  const kinds = planned.map((k) => (k === 'map-length' ? 'map' : k));
  return kinds.slice(1).map((k, i) => `${kinds[i]}>${k}`);
}

export interface Step { kind: StepKind; apply: (e: Expr) => Expr; desc: string; elem: Elem }

/** Which step kinds may follow, given the element type. `concat` only starts a pipeline. */
export function stagesFor(elem: Elem): StageKind[] {
  return elem === 'num' ? ['map', 'filter', 'sort', 'reverse', 'slice'] : ['map', 'filter', 'reverse', 'slice'];
}
export function terminalsFor(elem: Elem): TerminalKind[] {
  return elem === 'num' ? ['sum', 'product', 'max', 'min', 'count', 'includes', 'indexOf', 'join'] : ['count', 'includes', 'indexOf', 'join'];
}

const reduceWith = (body: (acc: Expr, x: Expr) => Expr, init: number) => (e: Expr) =>
  method(e, 'reduce', [arrow([NAMES.acc, NAMES.item], body(id(NAMES.acc), id(NAMES.item))), num(init)]);

export interface StepContext {
  /** The second parameter when the pipeline uses one (`concat`'s list, or a value to look for). */
  other?: { name: string; elem: Elem };
  /** Map callbacks as ternaries (held-out family `map-ternary`). */
  ternaryMap?: boolean;
}

function ternaryCallback(rng: Rng): Op {
  const test = numPred(rng);
  const yes = numOps(rng, 1);
  const keep = chance(rng, 0.4);
  const no = keep ? { code: (e: Expr) => e, desc: 'same' } : numOps(rng, 1);
  return {
    code: (e) => ternary(test.code(e), yes.code(e), no.code(e)),
    desc: `${yes.desc} if ${test.desc} else ${no.desc}`,
  };
}

/** Draws one step of the given kind for elements of type `elem`. */
export function makeStep(rng: Rng, kind: PlannedKind, elem: Elem, ctx: StepContext = {}): Step {
  const lookFor = (): { e: Expr; desc: string } => {
    if (ctx.other && ctx.other.elem === elem && chance(rng, 0.5)) return { e: id(ctx.other.name), desc: ctx.other.name };
    if (elem === 'num') { const k = int(rng, 0, 9); return { e: num(k), desc: words(k) }; }
    const w = pick(rng, ['a', 'e', 'ab', 'to', 'it', 'is', 'no', 'me']);
    return { e: str(w), desc: w };
  };
  switch (kind) {
    case 'map-length':
      return { kind: 'map', elem: 'num', apply: (e) => method(e, 'map', [callback({ code: (x) => prop(x, 'length'), desc: '' })]), desc: 'map length' };
    case 'map': {
      if (elem === 'num') {
        const op = ctx.ternaryMap ? ternaryCallback(rng) : numOps(rng);
        return { kind, elem: 'num', apply: (e) => method(e, 'map', [arrow([NAMES.item], op.code(id(NAMES.item)))]), desc: `map ${op.desc}` };
      }
      const op = pick(rng, [0, 1, 2, 3]) === 0
        ? { code: (x: Expr) => method(x, 'charAt', [num(0)]), desc: 'first' }
        : strOp(rng, pick(rng, ['upper', 'reverse', 'slice', 'repeat', 'append'] as const));
      return { kind, elem: 'str', apply: (e) => method(e, 'map', [callback(op)]), desc: `map ${op.desc}` };
    }
    case 'filter': {
      const p = elem === 'num' ? numPred(rng) : strPred(rng);
      return { kind, elem, apply: (e) => method(e, 'filter', [callback(p)]), desc: `filter ${p.desc}` };
    }
    case 'sort': {
      const up = chance(rng, 0.6);
      const [x, y] = [id(NAMES.item), id(NAMES.other)];
      return { kind, elem, apply: (e) => method(e, 'sort', [arrow([NAMES.item, NAMES.other], up ? bin(x, '-', y) : bin(y, '-', x))]), desc: up ? 'sort' : 'sort max first' };
    }
    case 'reverse': return { kind, elem, apply: (e) => method(e, 'reverse'), desc: 'reverse' };
    case 'slice': {
      switch (rng.int(3)) {
        case 0: { const k = int(rng, 1, 4); return { kind, elem, apply: (e) => method(e, 'slice', [num(0), num(k)]), desc: `first ${words(k)}` }; }
        case 1: { const k = int(rng, 1, 3); return { kind, elem, apply: (e) => method(e, 'slice', [num(k)]), desc: `slice ${words(k)}` }; }
        default: { const k = int(rng, 1, 3); return { kind, elem, apply: (e) => method(e, 'slice', [num(-k)]), desc: `last ${words(k)}` }; }
      }
    }
    case 'concat': {
      if (ctx.other && ctx.other.elem === elem) {
        const other = ctx.other.name;
        return { kind, elem, apply: (e) => method(e, 'concat', [id(other)]), desc: `with ${other}` };
      }
      const extra = elem === 'num' ? String(int(rng, 0, 9)) : pick(rng, ['a', 'no', 'it']);
      const item = elem === 'num' ? num(Number(extra)) : str(extra);
      return { kind, elem, apply: (e) => method(e, 'concat', [array([item])]), desc: `with ${elem === 'num' ? words(Number(extra)) : extra}` };
    }
    case 'sum': return { kind, elem, apply: reduceWith((acc, x) => bin(acc, '+', x), 0), desc: 'sum' };
    case 'product': return { kind, elem, apply: reduceWith((acc, x) => bin(acc, '*', x), 1), desc: 'product' };
    case 'max': return { kind, elem, apply: reduceWith((acc, x) => call('Math.max', [acc, x]), 0), desc: 'max' };
    case 'min': return { kind, elem, apply: reduceWith((acc, x) => call('Math.min', [acc, x]), 0), desc: 'min' };
    case 'count': return { kind, elem, apply: (e) => prop(e, 'length'), desc: 'count' };
    case 'includes': { const v = lookFor(); return { kind, elem, apply: (e) => method(e, 'includes', [v.e]), desc: `includes ${v.desc}` }; }
    case 'indexOf': { const v = lookFor(); return { kind, elem, apply: (e) => method(e, 'indexOf', [v.e]), desc: `index ${v.desc}` }; }
    case 'join': {
      const sep = pick(rng, ['', '-', ' ', ',']);
      return { kind, elem, apply: (e) => method(e, 'join', [str(sep)]), desc: 'join' };
    }
  }
}

/** Builds the steps for a list of kinds, tracking the element type through maps. */
export function makeSteps(rng: Rng, kinds: readonly PlannedKind[], elem: Elem, ctx: StepContext = {}): Step[] {
  const steps: Step[] = [];
  let e = elem;
  for (const k of kinds) {
    const s = makeStep(rng, k, e, ctx);
    steps.push(s);
    e = s.elem;
  }
  return steps;
}

/** Element type after the stages (map may turn words into numbers). */
export function elemAfter(steps: readonly Step[], elem: Elem): Elem {
  return steps.length ? steps[steps.length - 1].elem : elem;
}

/**
 * The pipeline as statements in one of three styles: one `return` of the whole chain; an intermediate
 * `const` holding the first part of the chain; or the whole chain in a `const` that is returned.
 */
export function renderPipeline(rng: Rng, source: string, steps: readonly Step[]): Lines {
  const chain = (from: Expr, part: readonly Step[]) => part.reduce((e, s) => s.apply(e), from);
  const style = rng.int(steps.length >= 2 ? 3 : 2);
  if (style === 0) return [`return ${chain(id(source), steps).code};`];
  if (style === 1) return [`const ${NAMES.result} = ${chain(id(source), steps).code};`, `return ${NAMES.result};`];
  const k = int(rng, 1, steps.length - 1);
  return [`const ${NAMES.temp} = ${chain(id(source), steps.slice(0, k)).code};`, `return ${chain(id(NAMES.temp), steps.slice(k)).code};`];
}

export function describe(steps: readonly Step[]): string {
  return steps.map((s) => s.desc).join(' ');
}

