// Building JavaScript source text with correct parentheses: every expression carries its precedence,
// and an operand is parenthesised only when its precedence is lower than its position needs. Functions
// come out in the house layout: `function f(a, b) {\n  …\n}` with 2-space indentation.

export interface Expr { code: string; prec: number }

/** Operator precedence, as in the ECMAScript table (higher binds tighter). */
export const PREC = { arrow: 2, ternary: 3, or: 4, and: 5, equality: 9, relational: 10, additive: 12, multiplicative: 13, unary: 15, postfix: 17, atom: 20 } as const;

const BINARY: Record<string, number> = {
  '||': PREC.or, '&&': PREC.and,
  '===': PREC.equality, '!==': PREC.equality,
  '<': PREC.relational, '<=': PREC.relational, '>': PREC.relational, '>=': PREC.relational,
  '+': PREC.additive, '-': PREC.additive,
  '*': PREC.multiplicative, '%': PREC.multiplicative, '/': PREC.multiplicative,
};

export function paren(e: Expr, min: number): string {
  return e.prec < min ? `(${e.code})` : e.code;
}

export const id = (name: string): Expr => ({ code: name, prec: PREC.atom });

export function num(n: number): Expr {
  return n < 0 ? { code: `-${-n}`, prec: PREC.unary } : { code: String(n), prec: PREC.atom };
}

export const str = (s: string): Expr => ({ code: `'${s}'`, prec: PREC.atom });

export function lit(v: number | string | boolean): Expr {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return str(v);
  return id(String(v));
}

/** A left-associative binary operation. */
export function bin(left: Expr, op: string, right: Expr | number): Expr {
  const p = BINARY[op];
  if (p === undefined) throw new Error(`unknown operator ${op}`);
  const r = typeof right === 'number' ? num(right) : right;
  return { code: `${paren(left, p)} ${op} ${paren(r, p + 1)}`, prec: p };
}

export function neg(e: Expr): Expr {
  // `--x` would read as a decrement.
  const inner = e.code.startsWith('-') ? `(${e.code})` : paren(e, PREC.unary);
  return { code: `-${inner}`, prec: PREC.unary };
}

export function not(e: Expr): Expr {
  return { code: `!${paren(e, PREC.unary)}`, prec: PREC.unary };
}

export function call(callee: string, args: readonly Expr[]): Expr {
  return { code: `${callee}(${args.map((a) => paren(a, PREC.arrow)).join(', ')})`, prec: PREC.postfix };
}

export function method(object: Expr, name: string, args: readonly Expr[] = []): Expr {
  return { code: `${paren(object, PREC.postfix)}.${name}(${args.map((a) => paren(a, PREC.arrow)).join(', ')})`, prec: PREC.postfix };
}

export function prop(object: Expr, name: string): Expr {
  return { code: `${paren(object, PREC.postfix)}.${name}`, prec: PREC.postfix };
}

export function index(object: Expr, i: Expr | number): Expr {
  const e = typeof i === 'number' ? num(i) : i;
  return { code: `${paren(object, PREC.postfix)}[${e.code}]`, prec: PREC.postfix };
}

export function ternary(cond: Expr, yes: Expr, no: Expr): Expr {
  return { code: `${paren(cond, PREC.or)} ? ${paren(yes, PREC.arrow)} : ${paren(no, PREC.arrow)}`, prec: PREC.ternary };
}

export function arrow(params: readonly string[], body: Expr): Expr {
  const head = params.length === 1 ? params[0] : `(${params.join(', ')})`;
  return { code: `${head} => ${paren(body, PREC.arrow)}`, prec: PREC.arrow };
}

export const array = (items: readonly Expr[]): Expr => ({ code: `[${items.map((e) => e.code).join(', ')}]`, prec: PREC.atom });

/** A block body: its lines, each already indented relative to the block. */
export type Lines = string[];

export function indent(lines: Lines): Lines {
  return lines.map((l) => `  ${l}`);
}

export function block(head: string, body: Lines, elseBody?: Lines): Lines {
  const out = [`${head} {`, ...indent(body)];
  if (elseBody) out.push('} else {', ...indent(elseBody));
  out.push('}');
  return out;
}

export function renderFunction(params: readonly string[], body: Lines): string {
  return `function f(${params.join(', ')}) {\n${indent(body).join('\n')}\n}`;
}
