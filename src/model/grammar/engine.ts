// A token-level pushdown automaton for grammar-constrained decoding: grammars are written as
// machines (a recursive transition network) whose transitions consume a token class or call another
// machine. Compilation precomputes, for every state, the minimal number of tokens that completes it
// and the expansion of its first tokens, so one decoding step walks only the top frames of the stack
// and never re-parses the prefix.
//
// Lexical rules live here too, so grammars stay about syntax: whitespace between tokens is optional
// and free (not part of any machine) where a transition's policy allows it; two tokens that would
// fuse into one word (`return` + `x`) need a space between them, and the minimal completion lengths
// count that space; `a - -b` keeps its space so it never reads as `a--b`.
//
// Scope is tracked with the parse: which local names are declared and visible (readable), which of
// them are assignable, and which are still fresh for a new declaration, so programs only read
// declared names and never assign to a const.

import { SPECIAL, VOCAB, vocabSize } from '../tokenizer';
import type { DecodeConstraint } from '../constraint';

/** Where whitespace may come before a token: never (it continues the previous lexeme), spaces, or also newlines. */
export const GLUED = 0;
export const SPACE = 1;
export const ANY = 2;
export type Policy = typeof GLUED | typeof SPACE | typeof ANY;

/** Token classes that depend on the scope (negative ids; static classes are non-negative). */
export const DYN_READ = -1; // declared and visible names
export const DYN_MUT = -2; // visible names that may be assigned (let, parameters)
export const DYN_CONST = -3; // visible names that may not be assigned (const, for-of const)
export const DYN_FRESH = -4; // names from the pool not visible and not being declared

/** Conditions on a transition, checked against the scope. */
export const G_NONE = 0;
export const G_HAS_FRESH = 1; // a fresh name exists (to declare one next)
export const G_IN_LOOP = 2; // inside a loop (break, continue)

/** Scope actions run when a transition's token is consumed; POP_SCOPE also when a machine's frame exits. */
export const A_NONE = 0;
export const A_FN_OPEN = 1;
export const A_PARAM = 2;
export const A_PEND_LET = 3;
export const A_PEND_CONST = 4;
export const A_COMMIT = 5;
export const A_PUSH_SCOPE = 6;
export const A_PUSH_LOOP = 7;
export const A_POP_SCOPE = 8;
export const A_ARROW_PARAM = 9;
export const A_ARROW_OPEN = 10;
/** Opens / extends a string literal whose text must never equal one of the grammar's forbidden strings. */
export const A_STR_OPEN = 11;
export const A_STR_CHAR = 12;

export interface TokenClass {
  readonly name: string;
  /** Token ids of a static class; undefined for a dynamic one. */
  readonly ids?: readonly number[];
  /** One of DYN_* for a dynamic class. */
  readonly dyn?: number;
}

interface TransOptions {
  policy?: Policy;
  action?: number;
  guard?: number;
}

type Trans =
  | { kind: 'term'; cls: TokenClass; next: State; policy: Policy; action: number; guard: number }
  | { kind: 'call'; machine: Machine; next: State; policy: Policy | undefined; guard: number };

export class State {
  readonly trans: Trans[] = [];
  id = -1;
  constructor(
    readonly machine: Machine,
    readonly accepting: boolean,
  ) {}

  /** Consume one token of `cls`, then go to `next`. Default policy SPACE. */
  t(cls: TokenClass, next: State, options: TransOptions = {}): this {
    this.trans.push({
      kind: 'term',
      cls,
      next,
      policy: options.policy ?? SPACE,
      action: options.action ?? A_NONE,
      guard: options.guard ?? G_NONE,
    });
    return this;
  }

  /** Run machine `m` from its start (it must consume at least one token), then go to `next`.
   * `policy` overrides the whitespace policy of the callee's first token. */
  call(m: Machine, next: State, options: { policy?: Policy; guard?: number } = {}): this {
    this.trans.push({ kind: 'call', machine: m, next, policy: options.policy, guard: options.guard ?? G_NONE });
    return this;
  }
}

export class Machine {
  readonly states: State[] = [];
  readonly start: State;
  /** `popScope`: the machine's frame closes a scope when it exits. */
  constructor(
    readonly name: string,
    readonly popScopeOnExit = false,
  ) {
    this.start = this.state();
  }

  state(accepting = false): State {
    const s = new State(this, accepting);
    this.states.push(s);
    return s;
  }
}

const INF = 1 << 28;

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);

/** Per-token lexical facts, shared by every grammar. */
const TOK_WORD_START = new Uint8Array(vocabSize);
const TOK_WORD_END = new Uint8Array(vocabSize);
const TOK_FIRST = new Uint8Array(vocabSize);
const TOK_LAST = new Uint8Array(vocabSize);
/** 0: not whitespace; 1: the single space; 2: newline (+ indentation); 3: indentation only (2+ spaces). */
const TOK_WS = new Uint8Array(vocabSize);
const SPECIAL_COUNT = Object.keys(SPECIAL).length;
for (let id = SPECIAL_COUNT; id < vocabSize; id++) {
  const t = VOCAB[id];
  TOK_WORD_START[id] = isWordChar(t[0]) ? 1 : 0;
  TOK_WORD_END[id] = isWordChar(t[t.length - 1]) ? 1 : 0;
  TOK_FIRST[id] = t.charCodeAt(0);
  TOK_LAST[id] = t.charCodeAt(t.length - 1);
  if (t === ' ') TOK_WS[id] = 1;
  else if (/^\n *$/.test(t)) TOK_WS[id] = 2;
  else if (/^ {2,}$/.test(t)) TOK_WS[id] = 3;
}
const SPACE_ID = VOCAB.indexOf(' ');
const NL_IDS = VOCAB.map((_, id) => id).filter((id) => TOK_WS[id] === 2);
const INDENT_IDS = VOCAB.map((_, id) => id).filter((id) => TOK_WS[id] === 3);

const CH = (c: string): number => c.charCodeAt(0);
/** Two tokens written without space between them that would read as something else. */
function fuses(last: number, first: number): boolean {
  return (
    (last === CH('-') && first === CH('-')) ||
    (last === CH('+') && first === CH('+')) ||
    (last === CH('/') && (first === CH('/') || first === CH('*')))
  );
}
const HAZARD_FIRST = new Set([CH('-'), CH('+'), CH('/'), CH('*')]);

/** A grammar compiled for decoding: flat typed arrays, shared by all constraints built from it. */
export interface CompiledGrammar {
  readonly name: string;
  readonly startState: number;
  /** Minimal tokens for a whole response, end token included. */
  readonly minTokens: number;
  readonly accepting: Uint8Array;
  readonly exitPop: Uint8Array;
  /** min tokens to finish a state's machine: index state*4 + wordEndBefore*2 + wordEndAfter. */
  readonly M: Int32Array;
  readonly entryStart: Int32Array;
  readonly eCls: Int32Array;
  readonly eGuard: Uint8Array;
  readonly ePolicy: Uint8Array;
  readonly eAction: Uint8Array;
  readonly eWordStart: Uint8Array;
  readonly eHazard: Uint8Array;
  readonly eV0: Int32Array;
  readonly eV1: Int32Array;
  readonly eOff: Int32Array;
  readonly eLen: Int32Array;
  readonly pathStates: Int32Array;
  readonly classTokens: readonly Int32Array[];
  readonly classHas: readonly Uint8Array[];
  /** The names that programs may declare. */
  readonly pool: Int32Array;
  /** Texts a checked string literal may not have (e.g. `'constructor'`, which `x[…]` would reach), and their prefixes. */
  readonly forbiddenStrings: ReadonlySet<string>;
  readonly forbiddenPrefixes: ReadonlySet<string>;
  readonly stateNames: readonly string[];
}

interface Entry {
  cls: number;
  wordStart: number;
  wordEnd: number;
  guard: number;
  policy: Policy;
  action: number;
  states: number[];
}

/** Compiles the machines reachable from `top`. `pool` lists the token ids of declarable names. */
export function compile(name: string, top: Machine, pool: readonly number[], forbiddenStrings: readonly string[] = []): CompiledGrammar {
  // Number the states of every reachable machine.
  const machines: Machine[] = [];
  const seen = new Set<Machine>();
  const visit = (m: Machine): void => {
    if (seen.has(m)) return;
    seen.add(m);
    machines.push(m);
    for (const s of m.states) for (const tr of s.trans) if (tr.kind === 'call') visit(tr.machine);
  };
  visit(top);
  const states: State[] = [];
  const stateNames: string[] = [];
  for (const m of machines) {
    m.states.forEach((s, i) => {
      s.id = states.length;
      states.push(s);
      stateNames.push(`${m.name}#${i}`);
    });
  }
  const n = states.length;

  // Split static classes into subclasses of tokens with the same word-start/word-end flags, so every
  // transition has exact lexical costs.
  const classTokens: Int32Array[] = [];
  const classKey = new Map<string, number>();
  const subclasses = (cls: TokenClass): { id: number; ws: number; we: number }[] => {
    if (cls.dyn !== undefined) return [{ id: cls.dyn, ws: 1, we: 1 }];
    const groups = new Map<number, number[]>();
    for (const id of cls.ids ?? []) {
      const k = TOK_WORD_START[id] * 2 + TOK_WORD_END[id];
      const g = groups.get(k) ?? [];
      g.push(id);
      groups.set(k, g);
    }
    if (groups.size === 0) throw new Error(`grammar ${name}: empty token class ${cls.name}`);
    return [...groups.entries()].map(([k, ids]) => {
      const key = `${cls.name}/${k}/${ids.join(',')}`;
      let id = classKey.get(key);
      if (id === undefined) {
        id = classTokens.length;
        classKey.set(key, id);
        classTokens.push(Int32Array.from(ids));
      }
      return { id, ws: k >> 1, we: k & 1 };
    });
  };
  interface FlatTrans {
    term: boolean;
    cls: number;
    ws: number;
    we: number;
    next: number;
    callee: number;
    policy: Policy;
    action: number;
    guard: number;
    override: Policy | undefined;
  }
  const flat: FlatTrans[][] = states.map((s) =>
    s.trans.flatMap((tr): FlatTrans[] =>
      tr.kind === 'term'
        ? subclasses(tr.cls).map((sc) => ({
            term: true, cls: sc.id, ws: sc.ws, we: sc.we, next: tr.next.id, callee: -1,
            policy: tr.policy, action: tr.action, guard: tr.guard, override: undefined,
          }))
        : [{
            term: false, cls: 0, ws: 0, we: 0, next: tr.next.id, callee: tr.machine.start.id,
            policy: SPACE, action: A_NONE, guard: tr.guard, override: tr.policy,
          }],
    ),
  );

  // Minimal completion costs, by fixpoint (all costs are positive, so it converges).
  const M = new Int32Array(n * 4).fill(INF);
  for (let changed = true; changed; ) {
    changed = false;
    for (let s = 0; s < n; s++) {
      for (let wi = 0; wi < 2; wi++) {
        for (let wo = 0; wo < 2; wo++) {
          let best = states[s].accepting && wi === wo ? 0 : INF;
          for (const tr of flat[s]) {
            let v: number;
            if (tr.term) {
              const c = 1 + (tr.policy !== GLUED && wi === 1 && tr.ws === 1 ? 1 : 0);
              v = c + M[tr.next * 4 + tr.we * 2 + wo];
            } else {
              v = Math.min(
                M[tr.callee * 4 + wi * 2] + M[tr.next * 4 + wo],
                M[tr.callee * 4 + wi * 2 + 1] + M[tr.next * 4 + 2 + wo],
              );
            }
            if (v < best) best = v;
          }
          if (best < M[s * 4 + wi * 2 + wo]) {
            M[s * 4 + wi * 2 + wo] = best;
            changed = true;
          }
        }
      }
    }
  }
  for (let s = 0; s < n; s++) {
    if (Math.min(M[s * 4], M[s * 4 + 1]) >= INF) throw new Error(`grammar ${name}: state ${stateNames[s]} cannot complete`);
  }

  // First-token expansion of every state: each entry is a token class with the states it leads to
  // (the state that replaces this frame's, then the frames it pushes).
  const expand = (s: number, prefix: number[], override: Policy | undefined, guard: number, depth: number, out: Entry[]): void => {
    if (depth > 48) throw new Error(`grammar ${name}: left recursion through ${stateNames[s]}`);
    for (const tr of flat[s]) {
      if (tr.guard !== G_NONE && guard !== G_NONE && tr.guard !== guard) {
        throw new Error(`grammar ${name}: two guards on one path at ${stateNames[s]}`);
      }
      const g = tr.guard !== G_NONE ? tr.guard : guard;
      if (tr.term) {
        out.push({
          cls: tr.cls, wordStart: tr.ws, wordEnd: tr.we, guard: g, policy: override ?? tr.policy,
          action: tr.action, states: [...prefix, tr.next],
        });
      } else {
        expand(tr.callee, [...prefix, tr.next], override ?? tr.override, g, depth + 1, out);
      }
    }
  };
  const entries: Entry[] = [];
  const entryStart = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) {
    entryStart[s] = entries.length;
    const out: Entry[] = [];
    expand(s, [], undefined, G_NONE, 0, out);
    checkDeterministic(name, stateNames[s], out, classTokens, pool);
    entries.push(...out);
  }
  entryStart[n] = entries.length;

  const ne = entries.length;
  const eV0 = new Int32Array(ne);
  const eV1 = new Int32Array(ne);
  const eOff = new Int32Array(ne);
  const eLen = new Int32Array(ne);
  const pathStates: number[] = [];
  entries.forEach((e, i) => {
    // Cost of the frames the entry leaves, innermost first, as a function of the last word flag.
    let x0 = e.wordEnd === 0 ? 0 : INF;
    let x1 = e.wordEnd === 1 ? 0 : INF;
    for (let j = e.states.length - 1; j >= 0; j--) {
      const q = e.states[j] * 4;
      const y0 = Math.min(x0 + M[q], x1 + M[q + 2]);
      const y1 = Math.min(x0 + M[q + 1], x1 + M[q + 3]);
      x0 = Math.min(y0, INF);
      x1 = Math.min(y1, INF);
    }
    eV0[i] = x0;
    eV1[i] = x1;
    eOff[i] = pathStates.length;
    eLen[i] = e.states.length;
    pathStates.push(...e.states);
  });

  const start = top.start.id;
  return {
    name,
    startState: start,
    minTokens: Math.min(M[start * 4], M[start * 4 + 1]),
    accepting: Uint8Array.from(states, (s) => (s.accepting ? 1 : 0)),
    exitPop: Uint8Array.from(states, (s) => (s.machine.popScopeOnExit ? 1 : 0)),
    M,
    entryStart,
    eCls: Int32Array.from(entries, (e) => e.cls),
    eGuard: Uint8Array.from(entries, (e) => e.guard),
    ePolicy: Uint8Array.from(entries, (e) => e.policy),
    eAction: Uint8Array.from(entries, (e) => e.action),
    eWordStart: Uint8Array.from(entries, (e) => e.wordStart),
    eHazard: Uint8Array.from(entries, (e) =>
      e.cls >= 0 && classTokens[e.cls].some((id) => HAZARD_FIRST.has(TOK_FIRST[id])) ? 1 : 0,
    ),
    eV0,
    eV1,
    eOff,
    eLen,
    pathStates: Int32Array.from(pathStates),
    classTokens,
    classHas: classTokens.map((ids) => {
      const has = new Uint8Array(vocabSize);
      for (const id of ids) has[id] = 1;
      return has;
    }),
    pool: Int32Array.from(pool),
    forbiddenStrings: new Set(forbiddenStrings),
    forbiddenPrefixes: new Set(forbiddenStrings.flatMap((t) => Array.from({ length: t.length }, (_, i) => t.slice(0, i)))),
    stateNames,
  };
}

/** Refuses a state whose first tokens could be read two ways: the parse must be deterministic. */
function checkDeterministic(name: string, state: string, entries: Entry[], classTokens: Int32Array[], pool: readonly number[]): void {
  const poolSet = new Set(pool);
  const owner = new Map<number, number>();
  const dyn: number[] = [];
  entries.forEach((e, i) => {
    if (e.cls < 0) {
      dyn.push(e.cls);
      return;
    }
    for (const id of classTokens[e.cls]) {
      const prev = owner.get(id);
      if (prev !== undefined && entries[prev].guard === e.guard) {
        throw new Error(`grammar ${name}: token ${JSON.stringify(VOCAB[id])} is ambiguous at ${state}`);
      }
      owner.set(id, i);
    }
  });
  if (dyn.length > 0 && [...owner.keys()].some((id) => poolSet.has(id))) {
    throw new Error(`grammar ${name}: a static class overlaps the declarable names at ${state}`);
  }
  const disjoint = (a: number, b: number): boolean =>
    a === DYN_FRESH || b === DYN_FRESH || (a === DYN_MUT && b === DYN_CONST) || (a === DYN_CONST && b === DYN_MUT);
  for (let i = 0; i < dyn.length; i++) {
    for (let j = i + 1; j < dyn.length; j++) {
      if (!disjoint(dyn[i], dyn[j])) throw new Error(`grammar ${name}: overlapping name classes at ${state}`);
    }
  }
}

/** One response being decoded under a compiled grammar. */
export class GrammarConstraint implements DecodeConstraint {
  private readonly g: CompiledGrammar;
  private readonly maxTokens: number;
  private count = 0;
  private isDone = false;
  // Parse stack: frame states and, per frame, the cost of finishing the frames below it, as a
  // function of whether the frame ends with a word character.
  private frames = new Int32Array(32);
  private below0 = new Int32Array(32);
  private below1 = new Int32Array(32);
  private depth = 1;
  // Lexical state.
  private wordEnd = 0;
  private lastChar = 0;
  private wsRun = 0;
  private wsNewline = false;
  // Scope: declared names in order, scopes as start offsets into them.
  private names: number[] = [];
  private mutable: number[] = [];
  private scopeStart: number[] = [];
  private scopeLoop: boolean[] = [];
  private pending = -1;
  private pendingMutable = false;
  private arrowPending: number[] = [];
  // The text of the checked string literal being written, while it is a prefix of a forbidden string.
  private strText = '';
  private strWatch = false;
  private readonly busy = new Uint8Array(vocabSize);
  private readonly mask = new Uint8Array(vocabSize);
  private maskValid = false;

  constructor(g: CompiledGrammar, maxTokens: number) {
    if (!(maxTokens >= g.minTokens)) {
      throw new RangeError(`grammar ${g.name}: maxTokens ${maxTokens} is below the shortest response (${g.minTokens} tokens)`);
    }
    this.g = g;
    this.maxTokens = maxTokens;
    this.frames[0] = g.startState;
  }

  get done(): boolean {
    return this.isDone;
  }

  /** Tokens consumed so far. */
  get length(): number {
    return this.count;
  }

  allowed(mask: Uint8Array): void {
    if (!this.maskValid) this.compute();
    mask.set(this.mask);
    if (mask.length > vocabSize) mask.fill(0, vocabSize);
  }

  advance(tokenId: number): void {
    if (!this.maskValid) this.compute();
    if (!this.mask[tokenId]) {
      throw new Error(`grammar ${this.g.name}: token ${JSON.stringify(VOCAB[tokenId] ?? tokenId)} is not allowed here`);
    }
    this.maskValid = false;
    if (this.isDone) return;
    if (!this.walk(tokenId)) {
      // Not consumed by the grammar: a whitespace separator.
      this.wsRun++;
      if (TOK_WS[tokenId] === 2) this.wsNewline = true;
      this.wordEnd = 0;
      this.lastChar = 0;
      this.count++;
    }
  }

  /** How many parse paths could consume `tokenId` now (tests: the grammar must be deterministic). */
  matchCount(tokenId: number): number {
    let n = 0;
    this.walk(tokenId, () => {
      n++;
    });
    return n;
  }

  private compute(): void {
    const mask = this.mask;
    mask.fill(0);
    this.maskValid = true;
    if (this.isDone) {
      mask[SPECIAL.pad] = 1;
      return;
    }
    this.walk(-1);
  }

  /**
   * Walks the top frames and their first-token entries. With token -1, fills the mask; otherwise
   * consumes the token on the first entry that accepts it and returns true (or, with `onMatch`,
   * counts every entry that would, consuming nothing).
   */
  private walk(token: number, onMatch?: () => void): boolean {
    const g = this.g;
    const remaining = this.maxTokens - this.count;
    const wsRun = this.wsRun;
    const hazardPrev = wsRun === 0 && (this.lastChar === CH('-') || this.lastChar === CH('+') || this.lastChar === CH('/'));
    let level = this.scopeStart.length;
    let bestSpace = INF;
    let bestNewline = INF;
    for (let k = this.depth - 1; k >= 0; k--) {
      const s = this.frames[k];
      const b0 = this.below0[k];
      const b1 = this.below1[k];
      for (let e = g.entryStart[s], end = g.entryStart[s + 1]; e < end; e++) {
        const guard = g.eGuard[e];
        if (guard !== G_NONE && !this.guardHolds(guard, level)) continue;
        const cost = Math.min(g.eV0[e] + b0, g.eV1[e] + b1);
        if (cost + 1 > remaining) continue;
        const policy = g.ePolicy[e];
        if (policy !== GLUED && cost + 2 <= remaining) {
          if (cost < bestSpace) bestSpace = cost;
          if (policy === ANY && cost < bestNewline) bestNewline = cost;
        }
        let hazard = false;
        if (wsRun > 0) {
          if (policy === GLUED || (this.wsNewline && policy !== ANY)) continue;
        } else if (policy !== GLUED) {
          if (this.wordEnd === 1 && g.eWordStart[e] === 1) continue;
          hazard = hazardPrev && g.eHazard[e] === 1;
        }
        const cls = g.eCls[e];
        const strCheck = this.strWatch && g.eAction[e] === A_STR_CHAR;
        if (token < 0) {
          if (strCheck) this.markStringContent(cls);
          else this.markClass(cls, level, hazard);
        } else if (
          this.classContains(cls, token, level) &&
          !(hazard && fuses(this.lastChar, TOK_FIRST[token])) &&
          !(strCheck && g.forbiddenStrings.has(this.strText + VOCAB[token]))
        ) {
          if (onMatch) onMatch();
          else {
            this.apply(k, e, token);
            return true;
          }
        }
      }
      if (!g.accepting[s]) break;
      if (g.exitPop[s]) level--;
    }
    if (token >= 0) return false;
    // Whitespace separators: allowed where some token that may follow whitespace still fits after one.
    const mask = this.mask;
    if (wsRun === 0) {
      if (bestSpace < INF) mask[SPACE_ID] = 1;
      if (bestNewline < INF) for (const id of NL_IDS) mask[id] = 1;
    } else if (this.wsNewline && wsRun < 3 && bestNewline < INF) {
      for (const id of NL_IDS) mask[id] = 1;
      for (const id of INDENT_IDS) mask[id] = 1;
    }
    return false;
  }

  private apply(k: number, e: number, token: number): void {
    const g = this.g;
    for (let j = this.depth - 1; j > k; j--) if (g.exitPop[this.frames[j]]) this.popScope();
    this.depth = k + 1;
    const off = g.eOff[e];
    const len = g.eLen[e];
    this.frames[k] = g.pathStates[off];
    for (let i = 1; i < len; i++) {
      const d = this.depth;
      if (d === this.frames.length) this.grow();
      const q = this.frames[d - 1] * 4;
      const b0 = this.below0[d - 1];
      const b1 = this.below1[d - 1];
      this.below0[d] = Math.min(g.M[q] + b0, g.M[q + 1] + b1, INF);
      this.below1[d] = Math.min(g.M[q + 2] + b0, g.M[q + 3] + b1, INF);
      this.frames[d] = g.pathStates[off + i];
      this.depth = d + 1;
    }
    this.act(g.eAction[e], token);
    this.wordEnd = TOK_WORD_END[token];
    this.lastChar = TOK_LAST[token];
    this.wsRun = 0;
    this.wsNewline = false;
    this.count++;
    if (token === SPECIAL.eos) this.isDone = true;
  }

  private grow(): void {
    const cap = this.frames.length * 2;
    const f = new Int32Array(cap);
    f.set(this.frames);
    const b0 = new Int32Array(cap);
    b0.set(this.below0);
    const b1 = new Int32Array(cap);
    b1.set(this.below1);
    this.frames = f;
    this.below0 = b0;
    this.below1 = b1;
  }

  private act(action: number, token: number): void {
    switch (action) {
      case A_NONE:
        return;
      case A_FN_OPEN:
      case A_PUSH_SCOPE:
        this.pushScope(false);
        return;
      case A_PUSH_LOOP:
        this.pushScope(true);
        return;
      case A_POP_SCOPE:
        this.popScope();
        return;
      case A_PARAM:
        this.declare(token, true);
        return;
      case A_PEND_LET:
      case A_PEND_CONST:
        this.pending = token;
        this.pendingMutable = action === A_PEND_LET;
        return;
      case A_COMMIT:
        this.declare(this.pending, this.pendingMutable);
        this.pending = -1;
        return;
      case A_ARROW_PARAM:
        this.arrowPending.push(token);
        return;
      case A_ARROW_OPEN:
        this.pushScope(false);
        for (const id of this.arrowPending) this.declare(id, true);
        this.arrowPending.length = 0;
        return;
      case A_STR_OPEN:
        this.strText = '';
        this.strWatch = this.g.forbiddenPrefixes.size > 0;
        return;
      case A_STR_CHAR:
        if (this.strWatch) {
          this.strText += VOCAB[token];
          this.strWatch = this.g.forbiddenPrefixes.has(this.strText);
        }
        return;
      default:
        throw new Error(`grammar: unknown action ${action}`);
    }
  }

  private pushScope(loop: boolean): void {
    this.scopeStart.push(this.names.length);
    this.scopeLoop.push(loop);
  }

  private popScope(): void {
    const start = this.scopeStart.pop() ?? 0;
    this.scopeLoop.pop();
    this.names.length = start;
    this.mutable.length = start;
  }

  private declare(token: number, mutable: boolean): void {
    this.names.push(token);
    this.mutable.push(mutable ? 1 : 0);
  }

  /** Names visible when the scopes from `level` up have been closed. */
  private visibleEnd(level: number): number {
    return level >= this.scopeStart.length ? this.names.length : this.scopeStart[level];
  }

  private guardHolds(guard: number, level: number): boolean {
    if (guard === G_HAS_FRESH) {
      const taken = this.visibleEnd(level) + (this.pending >= 0 ? 1 : 0) + this.arrowPending.length;
      return taken < this.g.pool.length;
    }
    for (let i = 0; i < level; i++) if (this.scopeLoop[i]) return true;
    return false;
  }

  private markClass(cls: number, level: number, hazard: boolean): void {
    const mask = this.mask;
    if (cls >= 0) {
      const ids = this.g.classTokens[cls];
      if (hazard) {
        for (let i = 0; i < ids.length; i++) if (!fuses(this.lastChar, TOK_FIRST[ids[i]])) mask[ids[i]] = 1;
      } else {
        for (let i = 0; i < ids.length; i++) mask[ids[i]] = 1;
      }
      return;
    }
    const end = this.visibleEnd(level);
    if (cls === DYN_FRESH) {
      const busy = this.busy;
      for (let i = 0; i < end; i++) busy[this.names[i]] = 1;
      if (this.pending >= 0) busy[this.pending] = 1;
      for (const id of this.arrowPending) busy[id] = 1;
      const pool = this.g.pool;
      for (let i = 0; i < pool.length; i++) if (!busy[pool[i]]) mask[pool[i]] = 1;
      for (let i = 0; i < end; i++) busy[this.names[i]] = 0;
      if (this.pending >= 0) busy[this.pending] = 0;
      for (const id of this.arrowPending) busy[id] = 0;
      return;
    }
    for (let i = 0; i < end; i++) {
      if (cls === DYN_READ || (cls === DYN_MUT) === (this.mutable[i] === 1)) mask[this.names[i]] = 1;
    }
  }

  private markStringContent(cls: number): void {
    const ids = this.g.classTokens[cls];
    for (let i = 0; i < ids.length; i++) {
      if (!this.g.forbiddenStrings.has(this.strText + VOCAB[ids[i]])) this.mask[ids[i]] = 1;
    }
  }

  private classContains(cls: number, token: number, level: number): boolean {
    if (cls >= 0) return this.g.classHas[cls][token] === 1;
    const end = this.visibleEnd(level);
    if (cls === DYN_FRESH) {
      if (token === this.pending || this.arrowPending.includes(token)) return false;
      for (let i = 0; i < end; i++) if (this.names[i] === token) return false;
      return this.g.pool.includes(token);
    }
    for (let i = 0; i < end; i++) {
      if (this.names[i] === token) return cls === DYN_READ || (cls === DYN_MUT) === (this.mutable[i] === 1);
    }
    return false;
  }
}
