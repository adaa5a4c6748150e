// The grammars of AZR Lab's responses, as machines for the engine: the proposable JavaScript subset
// (one `function f`), literal values and argument lists, and induction messages.
//
// Program subset: `function f(p1, …, p4) { … return e; }` — one to four parameters, and the body ends
// with a top-level `return`. Statements: `let`/`const` with one initialised declarator; assignment
// (`= += -= *= /= %=`) to a let/parameter name, to `x[i]` or to `x.key`; `x++`/`x--`; method-call
// statements (`out.push(v);`); `if`/`else` with blocks or single statements (no declaration as a
// single statement); `for (let i = …; cond; update)`, `for (const|let x of e)`; `while`; `return`,
// `break`/`continue` (in loops only). Expressions: number, string, boolean and null literals;
// declared names; array literals (with spread) and object literals (name or string keys); `? :`;
// binary `+ - * / % ** === !== == != < > <= >= && ||`; unary `- ! typeof`; `.length` and `.key`;
// indexing; calls of array/string methods from a fixed set (spread allowed), `Math.*` (max min abs
// floor ceil round sign sqrt pow trunc), `String(x)`, `Number(x)`, `Array.isArray/from(x)`,
// `Object.keys/values/entries(x)`, and `f(…)` itself; arrow functions with expression bodies as
// method-call arguments (`x => …`, `(a, b) => …`, `() => …`, up to three parameters).
// Left out: `var`, destructuring, default/rest parameters, template literals, regexes, comments,
// `new`, `in`/`instanceof`, `??`/`?.`, `switch`, `do`, labels, bitwise operators, block-bodied
// arrows, assignments inside expressions, prefix `++`, bare blocks, members of number literals.
// Names are declared before use and never shadow a visible name (so `(a` can only open arrow
// parameters when `a` is fresh, and no temporal-dead-zone read can happen). A string literal in code
// never spells a member the executor forbids (`x['constructor']`), nor `<` (so no text spells a
// special token). Formatting is free where JavaScript allows whitespace (spaces; newlines only
// between statements, before `}` and `else`), at most three whitespace tokens in a row.

import { VOCAB, VOCAB_GROUPS, tokenId } from '../tokenizer';
import {
  A_ARROW_OPEN, A_ARROW_PARAM, A_COMMIT, A_FN_OPEN, A_NONE, A_PARAM, A_PEND_CONST, A_PEND_LET,
  A_POP_SCOPE, A_PUSH_LOOP, A_PUSH_SCOPE, A_STR_CHAR, A_STR_OPEN, ANY, DYN_CONST, DYN_FRESH, DYN_MUT,
  DYN_READ, G_HAS_FRESH, G_IN_LOOP, GLUED, Machine, type State, type TokenClass,
} from './engine';

/** Caps that keep every construct bounded (the length cap does the rest). */
export const LIMITS = {
  params: 4,
  arrowParams: 3,
  /** Number pieces (0–99) in the integer part and in the fraction. */
  intPieces: 5,
  fracPieces: 4,
  /** Pieces inside one string literal. */
  stringPieces: 16,
} as const;

const cls = (name: string, texts: readonly string[]): TokenClass => ({ name, ids: texts.map(tokenId) });
export const tk = (text: string): TokenClass => cls(text, [text]);
const dyn = (name: string, d: number): TokenClass => ({ name, dyn: d });

const READ = dyn('read', DYN_READ);
const MUT = dyn('mutable', DYN_MUT);
const CONST = dyn('const', DYN_CONST);
const FRESH = dyn('fresh', DYN_FRESH);

const METHOD_NAMES = VOCAB_GROUPS.members.filter((m) => m !== 'length');
const MATH_FNS = ['max', 'min', 'abs', 'floor', 'ceil', 'round', 'sign', 'sqrt', 'pow', 'trunc'];
const METHODS = cls('method', METHOD_NAMES);
/** Property names read with `.name`: `length`, and object keys (the declarable names). */
const PROPS = cls('prop', ['length', ...VOCAB_GROUPS.locals]);
const KEYS = cls('key', VOCAB_GROUPS.locals);
const BINOPS = ['+', '-', '*', '/', '%', '===', '!==', '==', '!=', '<', '>', '<=', '>=', '&&', '||'];
const BINOP = cls('binop', [...BINOPS, '**']);
const BINOP_NO_POW = cls('binop-no-pow', BINOPS);
const UNARY = cls('unary', ['-', '!', 'typeof']);
const ASSIGN = cls('assign', ['=', '+=', '-=', '*=', '/=', '%=']);
const UPDATE = cls('update', ['++', '--']);
const D0 = cls('digit0', ['0']);
const D1 = cls('digit1-9', ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
const D2 = cls('digits10-99', Array.from({ length: 90 }, (_, i) => String(i + 10)));

const SPECIAL_TEXTS = new Set<string>(VOCAB_GROUPS.special);
/** Tokens that may appear inside a string literal quoted with `quote`: no quote, backslash, newline
 * or `<` (so the text never spells a special token). */
const stringContent = (quote: string): TokenClass =>
  cls(
    `string-content${quote}`,
    VOCAB.filter((t) => !SPECIAL_TEXTS.has(t) && !/[\\\n<]/.test(t) && !t.includes(quote)),
  );
const WORD = cls('message-word', VOCAB.filter((t) => !SPECIAL_TEXTS.has(t) && /^[a-z]+$/.test(t)));

type ExprVariant = 'normal' | 'noParen' | 'parenRest' | 'arrowBody';

/** Builds machines on demand; one instance per compiled grammar. */
export class JsGrammar {
  private readonly cache = new Map<string, Machine>();

  /** The machine named `name`, built on first use (registered before it is built, so machines can
   * refer to each other recursively). */
  private once(name: string, build: (m: Machine) => void, popScopeOnExit = false): Machine {
    let m = this.cache.get(name);
    if (!m) {
      m = new Machine(name, popScopeOnExit);
      this.cache.set(name, m);
      build(m);
    }
    return m;
  }

  /** A number literal without sign, written with canonical (greedy) pieces and no leading zeros. */
  number(): Machine {
    return this.once('number', (m) => {
      const frac = m.state();
      const exp = m.state();
      const expSign = m.state();
      const expDone = m.state(true);
      const fracEnd = m.state(true);
      // An accepting state after the integer or fraction, which may continue with `.`/`e` as given.
      const tails = (s: State, dot: boolean): State => {
        if (dot) s.t(tk('.'), frac, { policy: GLUED });
        return s.t(tk('e'), exp, { policy: GLUED });
      };
      const intEnd = tails(m.state(true), true);
      const intCont: State[] = [];
      for (let k = 1; k <= LIMITS.intPieces; k++) intCont.push(tails(m.state(true), true));
      for (let k = 1; k < LIMITS.intPieces; k++) {
        // A single nonzero digit ends the digits (greedy encoding would have taken two).
        intCont[k - 1].t(D0, intCont[k], { policy: GLUED }).t(D2, intCont[k], { policy: GLUED }).t(D1, intEnd, { policy: GLUED });
      }
      m.start.t(D0, intEnd).t(D1, intEnd).t(D2, intCont[0]);
      tails(fracEnd, false);
      const fracCont: State[] = [];
      for (let k = 1; k <= LIMITS.fracPieces; k++) fracCont.push(tails(m.state(true), false));
      frac.t(D0, fracCont[0], { policy: GLUED }).t(D2, fracCont[0], { policy: GLUED }).t(D1, fracEnd, { policy: GLUED });
      for (let k = 1; k < LIMITS.fracPieces; k++) {
        fracCont[k - 1].t(D0, fracCont[k], { policy: GLUED }).t(D2, fracCont[k], { policy: GLUED }).t(D1, fracEnd, { policy: GLUED });
      }
      exp.t(tk('-'), expSign, { policy: GLUED });
      for (const d of [D0, D1, D2]) {
        exp.t(d, expDone, { policy: GLUED });
        expSign.t(d, expDone, { policy: GLUED });
      }
    });
  }

  /** A string literal. In code (`checked`), its text never equals a forbidden string such as
   * `'constructor'`, which `x['constructor']` would reach. */
  string(quote: "'" | '"', checked: boolean): Machine {
    return this.once(`string${quote}${checked ? ':code' : ''}`, (m) => {
      const q = tk(quote);
      const content = stringContent(quote);
      const char = { policy: GLUED, action: checked ? A_STR_CHAR : A_NONE } as const;
      const done = m.state(true);
      let s = m.state();
      m.start.t(q, s, { action: checked ? A_STR_OPEN : A_NONE });
      for (let k = 0; k < LIMITS.stringPieces; k++) {
        const next = m.state();
        s.t(q, done, { policy: GLUED }).t(content, next, char);
        s = next;
      }
      s.t(q, done, { policy: GLUED });
    });
  }

  // ---- Literal values (answers and inputs): what a strict literal parser accepts.

  value(): Machine {
    return this.once('value', (m) => {
      const done = m.state(true);
      const neg = m.state();
      m.start.t(tk('-'), neg).call(this.number(), done);
      neg.call(this.number(), done, { policy: GLUED });
      m.start.call(this.string("'", false), done).call(this.string('"', false), done);
      for (const w of ['true', 'false', 'null']) m.start.t(tk(w), done);
      const a0 = m.state();
      const a1 = m.state();
      const a2 = m.state();
      m.start.t(tk('['), a0);
      a0.t(tk(']'), done, { policy: GLUED }).call(this.value(), a1);
      a1.t(tk(','), a2, { policy: GLUED }).t(tk(']'), done, { policy: GLUED });
      a2.call(this.value(), a1);
      const o0 = m.state();
      const oKey = m.state();
      const oVal = m.state();
      const o1 = m.state();
      const o2 = m.state();
      m.start.t(tk('{'), o0);
      o0.t(tk('}'), done).call(this.string("'", false), oKey).call(this.string('"', false), oKey);
      oKey.t(tk(':'), oVal, { policy: GLUED });
      oVal.call(this.value(), o1);
      o1.t(tk(','), o2, { policy: GLUED }).t(tk('}'), done);
      o2.call(this.string("'", false), oKey).call(this.string('"', false), oKey);
    });
  }

  /** A comma-separated list of `arity` literals, or of one or more when `arity` is undefined. */
  argList(arity?: number): Machine {
    return this.once(`args${arity ?? ''}`, (m) => {
      if (arity === undefined) {
        const more = m.state(true);
        const next = m.state();
        m.start.call(this.value(), more);
        more.t(tk(','), next, { policy: GLUED });
        next.call(this.value(), more);
        return;
      }
      let s = m.start;
      for (let k = 1; k <= arity; k++) {
        const after = m.state(k === arity);
        s.call(this.value(), after);
        if (k < arity) {
          const next = m.state();
          after.t(tk(','), next, { policy: GLUED });
          s = next;
        }
      }
    });
  }

  /** Lowercase words separated by single spaces, at most `maxTokens` tokens. */
  message(maxTokens: number): Machine {
    return this.once(`message${maxTokens}`, (m) => {
      // afterWord[k] / afterSpace[k]: k tokens written, the last a word / a space (a space needs
      // room for a word after it).
      const afterWord: State[] = [m.start];
      const afterSpace: State[] = [m.start];
      for (let k = 1; k <= maxTokens; k++) afterWord.push(m.state(true));
      for (let k = 1; k < maxTokens; k++) afterSpace.push(m.state());
      for (let k = 0; k < maxTokens; k++) {
        afterSpace[k].t(WORD, afterWord[k + 1], { policy: GLUED });
        if (k >= 1) afterWord[k].t(WORD, afterWord[k + 1], { policy: GLUED });
        if (k >= 1 && k + 1 < maxTokens) afterWord[k].t(tk(' '), afterSpace[k + 1], { policy: GLUED });
      }
    });
  }

  // ---- Expressions.

  expr(v: ExprVariant = 'normal'): Machine {
    return this.once(`expr:${v}`, (m) => {
      const e1 = m.state(true);
      const e2 = m.state();
      const e3 = m.state();
      const e4 = m.state();
      const done = m.state(true);
      m.start.call(this.binary(v), e1);
      e1.t(tk('?'), e2);
      e2.call(this.expr(), e3);
      e3.t(tk(':'), e4);
      e4.call(this.expr(), done);
    });
  }

  /** Operands joined by binary operators. A unary operand cannot be the left side of `**`. */
  private binary(v: ExprVariant): Machine {
    return this.once(`binary:${v}`, (m) => {
      const operand = m.state();
      const unary = m.state();
      const after = m.state(true);
      const afterUnary = m.state(true);
      if (v !== 'parenRest') m.start.t(UNARY, unary);
      m.start.call(this.postfix(v), after);
      operand.t(UNARY, unary).call(this.postfix('normal'), after);
      unary.t(UNARY, unary).call(this.postfix('normal'), afterUnary);
      after.t(BINOP, operand);
      afterUnary.t(BINOP_NO_POW, operand);
    });
  }

  /** A primary expression with member accesses, indexing and method calls after it. */
  private postfix(v: ExprVariant): Machine {
    return this.once(`postfix:${v}`, (m) => {
      const chain = m.state(true); // may be followed by `.x`, `[i]`, `.m(…)`
      const plain = m.state(true); // number literals, true/false/null: nothing follows
      const s = m.start;
      const g = { policy: GLUED } as const;
      if (v === 'parenRest') {
        const close = m.state();
        s.call(this.expr(), close);
        close.t(tk(')'), chain, g);
      } else {
        s.call(this.number(), plain);
        s.call(this.string("'", true), chain).call(this.string('"', true), chain);
        for (const w of ['true', 'false', 'null']) s.t(tk(w), plain);
        s.t(READ, chain);
        if (v !== 'noParen') {
          const inner = m.state();
          const close = m.state();
          s.t(tk('('), inner);
          inner.call(this.expr(), close);
          close.t(tk(')'), chain, g);
        }
        s.call(this.arrayLiteral(), chain);
        if (v !== 'arrowBody') s.call(this.objectLiteral(), chain);
        // Math.fn(a, …), Array.isArray(x) / Array.from(x), Object.keys(x) / values / entries.
        const call1 = (callee: State, min: 'one' | 'some' | 'any'): void => {
          const open = m.state();
          const close = m.state();
          callee.t(tk('('), open, g);
          if (min === 'any') open.t(tk(')'), chain, g);
          if (min === 'one') open.call(this.expr(), close);
          else open.call(this.plainArgs(), close);
          close.t(tk(')'), chain, g);
        };
        const dotted = (obj: string, fns: string[]): void => {
          const dot = m.state();
          const name = m.state();
          const fn = m.state();
          s.t(tk(obj), dot);
          dot.t(tk('.'), name, g);
          name.t(cls(`${obj}-fn`, fns), fn, g);
          call1(fn, obj === 'Math' ? 'some' : 'one');
        };
        dotted('Math', MATH_FNS);
        dotted('Array', ['isArray', 'from']);
        dotted('Object', ['keys', 'values', 'entries']);
        for (const conv of ['String', 'Number']) {
          const callee = m.state();
          s.t(tk(conv), callee);
          call1(callee, 'one');
        }
        const self = m.state();
        s.t(tk('f'), self);
        call1(self, 'any');
      }
      // The chain after a primary.
      const dot = m.state();
      const method = m.state();
      const args = m.state();
      const argsClose = m.state();
      const index = m.state();
      const indexClose = m.state();
      chain.t(tk('.'), dot, g).t(tk('['), index, g);
      dot.t(PROPS, chain, g).t(METHODS, method, g);
      method.t(tk('('), args, g);
      args.t(tk(')'), chain, g).call(this.callbackArgs(), argsClose);
      argsClose.t(tk(')'), chain, g);
      index.call(this.expr(), indexClose);
      indexClose.t(tk(']'), chain, g);
    });
  }

  /** Arguments of `Math.*` and `f`: expressions or spreads, at least one. */
  private plainArgs(): Machine {
    return this.once('plainArgs', (m) => {
      const more = m.state(true);
      const next = m.state();
      const spread = m.state();
      for (const s of [m.start, next]) s.t(tk('...'), spread).call(this.expr(), more);
      spread.call(this.expr(), more, { policy: GLUED });
      more.t(tk(','), next, { policy: GLUED });
    });
  }

  /** Arguments of a method call: expressions, spreads and arrow functions, at least one. */
  private callbackArgs(): Machine {
    return this.once('callbackArgs', (m) => {
      const more = m.state(true);
      const next = m.state();
      m.start.call(this.argItem(), more);
      more.t(tk(','), next, { policy: GLUED });
      next.call(this.argItem(), more);
    });
  }

  /** One argument: `x => …`, `(a, b) => …`, `() => …`, `(expr)…`, `...e` or any other expression.
   * A fresh name after `(` or alone can only start arrow parameters (declared names never shadow). */
  private argItem(): Machine {
    return this.once('argItem', (m) => {
      const done = m.state(true);
      const arrow = m.state();
      const paren = m.state();
      const spread = m.state();
      m.start.t(FRESH, arrow, { action: A_ARROW_PARAM });
      m.start.t(tk('('), paren);
      m.start.t(tk('...'), spread);
      m.start.call(this.expr('noParen'), done);
      spread.call(this.expr(), done, { policy: GLUED });
      arrow.call(this.arrowTail(), done);
      paren.t(tk(')'), arrow, { policy: GLUED });
      paren.call(this.expr('parenRest'), done);
      let s = paren;
      for (let k = 1; k <= LIMITS.arrowParams; k++) {
        const after = m.state();
        s.t(FRESH, after, { action: A_ARROW_PARAM });
        after.t(tk(')'), arrow, { policy: GLUED });
        if (k < LIMITS.arrowParams) {
          const next = m.state();
          after.t(tk(','), next, { policy: GLUED, guard: G_HAS_FRESH });
          s = next;
        }
      }
    });
  }

  /** `=> body`; its frame closes the parameters' scope when the body ends. */
  private arrowTail(): Machine {
    return this.once('arrowTail', (m) => {
      const body = m.state();
      m.start.t(tk('=>'), body, { action: A_ARROW_OPEN });
      body.call(this.expr('arrowBody'), m.state(true));
    }, true);
  }

  private arrayLiteral(): Machine {
    return this.once('array', (m) => {
      const done = m.state(true);
      const first = m.state();
      const more = m.state();
      const next = m.state();
      const spread = m.state();
      m.start.t(tk('['), first);
      first.t(tk(']'), done, { policy: GLUED });
      for (const s of [first, next]) s.t(tk('...'), spread).call(this.expr(), more);
      spread.call(this.expr(), more, { policy: GLUED });
      more.t(tk(','), next, { policy: GLUED }).t(tk(']'), done, { policy: GLUED });
    });
  }

  private objectLiteral(): Machine {
    return this.once('object', (m) => {
      const done = m.state(true);
      const first = m.state();
      const key = m.state();
      const val = m.state();
      const more = m.state();
      const next = m.state();
      m.start.t(tk('{'), first);
      first.t(tk('}'), done);
      for (const s of [first, next]) s.t(KEYS, key).call(this.string("'", true), key).call(this.string('"', true), key);
      key.t(tk(':'), val, { policy: GLUED });
      val.call(this.expr(), more);
      more.t(tk(','), next, { policy: GLUED }).t(tk('}'), done);
    });
  }

  // ---- Statements.

  /**
   * `top`: a statement of the function body (its closing `return` is the body's own);
   * `block`: inside `{ }`; `branch`: the single-statement body of if/else/for/while (no declarations).
   */
  private statement(v: 'top' | 'block' | 'branch'): Machine {
    return this.once(`stmt:${v}`, (m) => {
      const s = m.start;
      const done = m.state(true);
      const semi = m.state();
      const g = { policy: GLUED } as const;
      semi.t(tk(';'), done, g);
      const any = { policy: ANY } as const;
      if (v !== 'branch') {
        const name = m.state();
        const nameC = m.state();
        const eq = m.state();
        const init = m.state();
        s.t(tk('let'), name, { ...any, guard: G_HAS_FRESH });
        s.t(tk('const'), nameC, { ...any, guard: G_HAS_FRESH });
        name.t(FRESH, eq, { action: A_PEND_LET });
        nameC.t(FRESH, eq, { action: A_PEND_CONST });
        eq.t(tk('='), init);
        const end = m.state();
        init.call(this.expr(), end);
        end.t(tk(';'), done, { policy: GLUED, action: A_COMMIT });
      }
      // Assignments, updates and method-call statements, starting with a declared name.
      const mut = m.state();
      const con = m.state();
      const lvalue = m.state(); // x[i] or x.p: assignable whatever x's binding is
      const dot = m.state();
      const method = m.state();
      const args = m.state();
      const argsClose = m.state();
      const called = m.state();
      const index = m.state();
      const indexClose = m.state();
      const rhs = m.state();
      s.t(MUT, mut, any).t(CONST, con, any);
      for (const st of [mut, lvalue]) st.t(ASSIGN, rhs).t(UPDATE, semi, g);
      for (const st of [mut, con, lvalue, called]) st.t(tk('['), index, g).t(tk('.'), dot, g);
      rhs.call(this.expr(), semi);
      index.call(this.expr(), indexClose);
      indexClose.t(tk(']'), lvalue, g);
      dot.t(PROPS, lvalue, g).t(METHODS, method, g);
      method.t(tk('('), args, g);
      args.t(tk(')'), called, g).call(this.callbackArgs(), argsClose);
      argsClose.t(tk(')'), called, g);
      called.t(tk(';'), done, g);
      // if / else
      const ifOpen = m.state();
      const ifCond = m.state();
      const ifClose = m.state();
      const ifBody = m.state();
      const ifElse = m.state(true);
      const elseBody = m.state();
      s.t(tk('if'), ifOpen, any);
      ifOpen.t(tk('('), ifCond);
      ifCond.call(this.expr(), ifClose);
      ifClose.t(tk(')'), ifBody, g);
      this.body(ifBody, ifElse);
      ifElse.t(tk('else'), elseBody, any);
      this.body(elseBody, done);
      s.call(this.forStatement(), done, any);
      s.call(this.whileStatement(), done, any);
      if (v !== 'top') {
        const ret = m.state();
        s.t(tk('return'), ret, any);
        ret.call(this.expr(), semi);
      }
      s.t(tk('break'), semi, { ...any, guard: G_IN_LOOP });
      s.t(tk('continue'), semi, { ...any, guard: G_IN_LOOP });
    });
  }

  /** The body of if/else/for/while: a block or a single statement. */
  private body(from: State, to: State): void {
    from.call(this.block(), to).call(this.statement('branch'), to);
  }

  private block(): Machine {
    return this.once('block', (m) => {
      const list = m.state();
      m.start.t(tk('{'), list, { action: A_PUSH_SCOPE });
      list.call(this.statement('block'), list);
      list.t(tk('}'), m.state(true), { policy: ANY, action: A_POP_SCOPE });
    });
  }

  /** `for (let i = 0; i < n; i++) …` and `for (const x of xs) …`; the loop's scope closes on exit. */
  private forStatement(): Machine {
    return this.once('for', (m) => {
      const open = m.state();
      const decl = m.state();
      const nameLet = m.state();
      const nameConst = m.state();
      const afterLet = m.state();
      const afterConst = m.state();
      const init = m.state();
      const initEnd = m.state();
      const cond = m.state();
      const condEnd = m.state();
      const update = m.state();
      const updateOp = m.state();
      const updateRhs = m.state();
      const close = m.state();
      const iterable = m.state();
      const iterableEnd = m.state();
      const body = m.state();
      const done = m.state(true);
      const g = { policy: GLUED } as const;
      m.start.t(tk('for'), open, { guard: G_HAS_FRESH, action: A_PUSH_LOOP });
      open.t(tk('('), decl);
      decl.t(tk('let'), nameLet).t(tk('const'), nameConst);
      nameLet.t(FRESH, afterLet, { action: A_PEND_LET });
      nameConst.t(FRESH, afterConst, { action: A_PEND_CONST });
      afterLet.t(tk('='), init);
      init.call(this.expr(), initEnd);
      initEnd.t(tk(';'), cond, { policy: GLUED, action: A_COMMIT });
      cond.call(this.expr(), condEnd);
      condEnd.t(tk(';'), update, g);
      update.t(MUT, updateOp);
      updateOp.t(UPDATE, close, g).t(ASSIGN, updateRhs);
      updateRhs.call(this.expr(), close);
      close.t(tk(')'), body, g);
      for (const st of [afterLet, afterConst]) st.t(tk('of'), iterable);
      iterable.call(this.expr(), iterableEnd);
      iterableEnd.t(tk(')'), body, { policy: GLUED, action: A_COMMIT });
      this.body(body, done);
    }, true);
  }

  private whileStatement(): Machine {
    return this.once('while', (m) => {
      const open = m.state();
      const cond = m.state();
      const close = m.state();
      const body = m.state();
      const done = m.state(true);
      m.start.t(tk('while'), open, { action: A_PUSH_LOOP });
      open.t(tk('('), cond);
      cond.call(this.expr(), close);
      close.t(tk(')'), body, { policy: GLUED });
      this.body(body, done);
    }, true);
  }

  /** Statements, then the closing `return e;` and `}`. */
  private functionBody(): Machine {
    return this.once('functionBody', (m) => {
      const ret = m.state();
      const end = m.state();
      const close = m.state();
      m.start.call(this.statement('top'), m.start);
      m.start.t(tk('return'), ret, { policy: ANY });
      ret.call(this.expr(), end);
      end.t(tk(';'), close, { policy: GLUED });
      close.t(tk('}'), m.state(true), { policy: ANY });
    });
  }

  /**
   * Adds `function f(…) { … }` to `m` from `from`, with `arity` parameters when given (else 1 to
   * LIMITS.params); after the body, a program with k parameters goes on at `after(k)` (so what follows
   * can depend on the arity).
   */
  program(m: Machine, from: State, after: (arity: number) => State, arity?: number): void {
    const g = { policy: GLUED } as const;
    const name = m.state();
    const open = m.state();
    const firstParam = m.state();
    from.t(tk('function'), name, g);
    name.t(tk('f'), open);
    open.t(tk('('), firstParam, { policy: GLUED, action: A_FN_OPEN });
    const most = arity ?? LIMITS.params;
    let s = firstParam;
    for (let k = 1; k <= most; k++) {
      const afterParam = m.state();
      s.t(FRESH, afterParam, { action: A_PARAM });
      if (arity === undefined || k === arity) {
        const brace = m.state();
        const body = m.state();
        afterParam.t(tk(')'), brace, g);
        brace.t(tk('{'), body);
        body.call(this.functionBody(), after(k));
      }
      if (k < most) {
        const next = m.state();
        afterParam.t(tk(','), next, { policy: GLUED, guard: G_HAS_FRESH });
        s = next;
      }
    }
  }
}
