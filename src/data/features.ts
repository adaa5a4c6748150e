// The compositions that make a program held-out, read from its AST (acorn). Every held-out family's
// programs have at least one of these features and no train family's program has any (tested on large
// samples), which is what "the splits are disjoint" means here:
//   pair:A>B       method B applied directly to the result of method A (through a `const` too), for
//                  filter>reduce, filter>length, map>filter, slice>reduce, map>join, slice>repeat,
//                  repeat>slice, and string reversal (split→reverse→join) next to toUpperCase
//   map-ternary    a `map` callback whose body is a ternary
//   loop-ternary   a ternary inside a loop
//   loop-return    a `return` inside a loop
//   string-branch  an if/ternary outside loops and callbacks whose test reads a property or method
import * as acorn from 'acorn';

export const HELD_OUT_METHOD_PAIRS: ReadonlySet<string> = new Set([
  'filter>reduce', 'filter>length', 'map>filter', 'slice>reduce', 'map>join', 'slice>repeat', 'repeat>slice',
  'strReverse>toUpperCase', 'toUpperCase>strReverse',
]);

type Node = acorn.AnyNode;

function isCall(n: Node | undefined | null, method?: string): n is acorn.CallExpression & { callee: acorn.MemberExpression } {
  if (!n || n.type !== 'CallExpression' || n.callee.type !== 'MemberExpression' || n.callee.property.type !== 'Identifier') return false;
  return method === undefined || n.callee.property.name === method;
}

function children(n: Node): Node[] {
  const out: Node[] = [];
  for (const [key, value] of Object.entries(n)) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc') continue;
    if (Array.isArray(value)) { for (const v of value) if (v && typeof v === 'object' && typeof v.type === 'string') out.push(v as Node); }
    else if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') out.push(value as Node);
  }
  return out;
}

function containsMember(n: Node): boolean {
  return n.type === 'MemberExpression' || children(n).some(containsMember);
}

/** The held-out features of a program (empty for a program that does not parse). */
export function heldOutFeatures(program: string): Set<string> {
  const found = new Set<string>();
  let root: acorn.Program;
  try { root = acorn.parse(program, { ecmaVersion: 'latest' }); } catch { return found; }
  const consts = new Map<string, Node>();

  /** The last operation an expression applies: a method name, `length`, or `strReverse`. */
  const lastOp = (e: Node | undefined | null, depth = 0): string | undefined => {
    if (!e || depth > 20) return undefined;
    if (e.type === 'Identifier') return lastOp(consts.get(e.name), depth + 1);
    if (e.type === 'MemberExpression' && !e.computed && e.property.type === 'Identifier' && e.property.name === 'length') return 'length';
    if (!isCall(e)) return undefined;
    const name = (e.callee.property as acorn.Identifier).name;
    if (name === 'join' && isCall(e.callee.object as Node, 'reverse') && isCall((e.callee.object as acorn.CallExpression & { callee: acorn.MemberExpression }).callee.object as Node, 'split')) return 'strReverse';
    return name;
  };
  /** What the operation of `e` is applied to: the object, or the string under split→reverse→join. */
  const operand = (e: Node): Node | undefined => {
    if (e.type === 'MemberExpression') return e.object as Node;
    if (!isCall(e)) return undefined;
    if (lastOp(e) === 'strReverse') {
      const reverse = e.callee.object as acorn.CallExpression & { callee: acorn.MemberExpression };
      return (reverse.callee.object as acorn.CallExpression & { callee: acorn.MemberExpression }).callee.object as Node;
    }
    return e.callee.object as Node;
  };
  const visit = (n: Node, inLoop: boolean, inCallback: boolean): void => {
    if (n.type === 'VariableDeclaration' && n.kind === 'const') {
      for (const d of n.declarations) if (d.id.type === 'Identifier' && d.init) consts.set(d.id.name, d.init as Node);
    }
    const op = lastOp(n);
    if (op && n.type !== 'Identifier') {
      const inner = operand(n);
      const prev = inner ? lastOp(inner) : undefined;
      if (prev && HELD_OUT_METHOD_PAIRS.has(`${prev}>${op}`)) found.add(`pair:${prev}>${op}`);
    }
    if (isCall(n, 'map')) {
      const cb = n.arguments[0];
      if (cb?.type === 'ArrowFunctionExpression' && cb.body.type === 'ConditionalExpression') found.add('map-ternary');
    }
    if (n.type === 'ConditionalExpression' && inLoop && !inCallback) found.add('loop-ternary');
    if (n.type === 'ReturnStatement' && inLoop) found.add('loop-return');
    if ((n.type === 'IfStatement' || n.type === 'ConditionalExpression') && !inLoop && !inCallback && containsMember(n.test as Node)) found.add('string-branch');
    const loop = n.type === 'ForStatement' || n.type === 'ForOfStatement' || n.type === 'ForInStatement' || n.type === 'WhileStatement';
    const callback = n.type === 'ArrowFunctionExpression';
    for (const c of children(n)) visit(c, inLoop || loop, inCallback || callback);
  };
  visit(root as Node, false, false);
  return found;
}
