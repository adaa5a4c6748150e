// Grammar-constrained decoding for AZR Lab's response kinds. `createConstraint(kind, maxTokens)`
// returns a DecodeConstraint whose every completed output parses, passes the executor's static
// checks (programs) or the strict literal parser (inputs, outputs), and ends with `<eos>` within
// `maxTokens` tokens (the `<eos>` included).

import type { DecodeConstraint } from '../constraint';
import { VOCAB_GROUPS, tokenId } from '../tokenizer';
import { compile, GLUED, GrammarConstraint, Machine, type CompiledGrammar, type State } from './engine';
import { JsGrammar, LIMITS, tk } from './js';
import { FORBIDDEN_MEMBERS } from '../../sandbox/static';

export { GrammarConstraint, LIMITS };

/**
 * - `program`: `function f(…) { … }` (with `arity` parameters when given) then `<eos>`.
 * - `triplet` (deduction/abduction proposal): a program, `<input>`, its argument list (as many
 *   literals as `f` has parameters), `<eos>`.
 * - `args`: a comma-separated list of literals (`arity` of them when given, else one or more), `<eos>`.
 * - `value`: one literal, `<eos>`.
 * - `induction`: `pairs` argument lists separated by `<sep>`, `<message>`, a message of lowercase
 *   words and single spaces, `<eos>`.
 */
export type ConstraintKind = 'program' | 'triplet' | 'args' | 'value' | 'induction';

export interface ConstraintOptions {
  /** Number of literals in each argument list (`args`, `induction`; 0 or none: one or more), or of
   * parameters of `f` (`program`, `triplet`; 1 to LIMITS.params; none: any). Ignored for `value`. */
  arity?: number;
  /** Number of argument lists of an induction proposal (default 10, as in the paper). */
  pairs?: number;
  /** Most tokens in an induction message (default 16). */
  messageTokens?: number;
}

const cache = new Map<string, CompiledGrammar>();

function build(kind: ConstraintKind, options: ConstraintOptions): Machine {
  const js = new JsGrammar();
  const top = new Machine(kind);
  const end = top.state(true);
  const g = { policy: GLUED } as const;
  const eos = tk('<eos>');
  const then = (from: State, m: Machine): State => {
    const s = top.state();
    from.call(m, s, g);
    return s;
  };
  switch (kind) {
    case 'program': {
      const after = top.state();
      after.t(eos, end, g);
      js.program(top, top.start, () => after, options.arity);
      break;
    }
    case 'triplet': {
      const afterBody: State[] = [];
      for (let k = 1; k <= (options.arity ?? LIMITS.params); k++) {
        const s = top.state();
        const input = top.state();
        s.t(tk('<input>'), input, g);
        then(input, js.argList(k)).t(eos, end, g);
        afterBody.push(s);
      }
      js.program(top, top.start, (k) => afterBody[k - 1], options.arity);
      break;
    }
    case 'args':
      then(top.start, js.argList(options.arity)).t(eos, end, g);
      break;
    case 'value':
      then(top.start, js.value()).t(eos, end, g);
      break;
    case 'induction': {
      let s = then(top.start, js.argList(options.arity));
      for (let i = 1; i < (options.pairs ?? 10); i++) {
        const next = top.state();
        s.t(tk('<sep>'), next, g);
        s = then(next, js.argList(options.arity));
      }
      const msg = top.state();
      s.t(tk('<message>'), msg, g);
      then(msg, js.message(options.messageTokens ?? 16)).t(eos, end, g);
      break;
    }
    default:
      throw new Error(`grammar: unknown kind ${String(kind)}`);
  }
  return top;
}

/** Validates options and drops those a kind does not use (an arity of 0, as of `function f()`,
 * leaves an argument list free: extra arguments are harmless). */
function normalise(kind: ConstraintKind, options: ConstraintOptions): ConstraintOptions {
  const int = (key: keyof ConstraintOptions, lo: number, hi: number): number | undefined => {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= hi)) {
      throw new RangeError(`grammar ${kind}: option ${key} must be an integer in [${lo}, ${hi}], got ${v}`);
    }
    return v;
  };
  switch (kind) {
    case 'program':
    case 'triplet':
      return { arity: int('arity', 1, LIMITS.params) };
    case 'args':
      return { arity: int('arity', 0, 16) || undefined };
    case 'induction':
      return {
        arity: int('arity', 0, 16) || undefined,
        pairs: int('pairs', 1, 32) ?? 10,
        messageTokens: int('messageTokens', 1, 64) ?? 16,
      };
    default:
      return {};
  }
}

/** The compiled grammar of a kind (compiled once per kind and options, then shared). */
export function grammarFor(kind: ConstraintKind, options: ConstraintOptions = {}): CompiledGrammar {
  const o = normalise(kind, options);
  const key = `${kind}:${o.arity ?? ''}:${o.pairs ?? ''}:${o.messageTokens ?? ''}`;
  let g = cache.get(key);
  if (!g) {
    const pool = VOCAB_GROUPS.locals.map(tokenId);
    g = compile(key, build(kind, o), pool, [...FORBIDDEN_MEMBERS]);
    cache.set(key, g);
  }
  return g;
}

/** The fewest tokens a response of this kind can have (`<eos>` included). */
export function minTokens(kind: ConstraintKind, options: ConstraintOptions = {}): number {
  return grammarFor(kind, options).minTokens;
}

/**
 * A fresh constraint for one response. Throws a RangeError if `maxTokens` is below `minTokens`.
 * Once done, it allows only `<pad>` (and `advance(<pad>)` does nothing), so finished rows of a batch
 * need no special case.
 */
export function createConstraint(kind: ConstraintKind, maxTokens: number, options: ConstraintOptions = {}): DecodeConstraint {
  return new GrammarConstraint(grammarFor(kind, options), maxTokens);
}

