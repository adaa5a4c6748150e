// Facts about a program read from its AST (acorn), never from regular expressions over the source.

import * as acorn from 'acorn';

function parse(program: string): acorn.Program | undefined {
  try {
    return acorn.parse(program, { ecmaVersion: 'latest' });
  } catch {
    return undefined;
  }
}

/** How many parameters the top-level `f` takes, or undefined when the program has no such function. */
export function functionArity(program: string): number | undefined {
  const root = parse(program);
  const first = root?.body[0];
  if (first?.type === 'FunctionDeclaration' && first.id?.name === 'f') return first.params.length;
  return undefined;
}

const BRANCHING = new Set(['IfStatement', 'ForStatement', 'ForOfStatement', 'ForInStatement', 'WhileStatement',
  'ConditionalExpression', 'LogicalExpression', 'ArrowFunctionExpression', 'FunctionExpression']);

/** Complexity of a program: its branches, loops, ternaries, logical operators and callbacks, counted on the AST. */
export function programComplexity(program: string): number {
  const root = parse(program);
  if (!root) return 0;
  let count = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(visit); return; }
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: unknown };
    if (typeof n.type === 'string' && BRANCHING.has(n.type)) count++;
    for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value);
  };
  visit(root);
  return count;
}


/**
 * The operations a program uses, read from its AST: method calls (`.map`, `Math.max`), `.length` and
 * indexing, loops, `if`, ternaries, callbacks, literals of arrays/objects/templates, and each binary,
 * logical, unary, assignment and update operator. Empty for a program that does not parse.
 */
export function programOperations(program: string): Set<string> {
  const ops = new Set<string>();
  const root = parse(program);
  if (!root) return ops;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(visit); return; }
    if (!node || typeof node !== 'object') return;
    const n = node as acorn.AnyNode;
    switch (n.type) {
      case 'CallExpression':
        if (n.callee.type === 'MemberExpression' && !n.callee.computed && n.callee.property.type === 'Identifier') {
          const owner = n.callee.object.type === 'Identifier' && n.callee.object.name === 'Math' ? 'Math' : '';
          ops.add(`${owner}.${n.callee.property.name}`);
        }
        break;
      case 'MemberExpression':
        if (n.computed) ops.add('[]');
        else if (n.property.type === 'Identifier' && n.property.name === 'length') ops.add('.length');
        break;
      case 'ForStatement': ops.add('for'); break;
      case 'ForOfStatement': ops.add('for-of'); break;
      case 'ForInStatement': ops.add('for-in'); break;
      case 'WhileStatement': ops.add('while'); break;
      case 'IfStatement': ops.add('if'); break;
      case 'ConditionalExpression': ops.add('?:'); break;
      case 'ArrowFunctionExpression': case 'FunctionExpression': ops.add('=>'); break;
      case 'ArrayExpression': ops.add('[…]'); break;
      case 'ObjectExpression': ops.add('{…}'); break;
      case 'TemplateLiteral': ops.add('`…`'); break;
      case 'BinaryExpression': case 'LogicalExpression': case 'AssignmentExpression': ops.add(n.operator); break;
      case 'UnaryExpression': ops.add(`unary${n.operator}`); break;
      case 'UpdateExpression': ops.add(n.operator); break;
      default: break;
    }
    for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value);
  };
  visit(root);
  return ops;
}

/**
 * How unusual a program's operations are among a set of earlier programs (each given as its operation
 * set): the mean over its operations of 1 − (share of earlier programs that use it). 1 for a program
 * whose every operation is new, 0 for one that uses only operations every earlier program uses, 0 for a
 * program with no operations; with no earlier programs, 1.
 */
export function operationNovelty(ops: ReadonlySet<string>, earlier: readonly ReadonlySet<string>[]): number {
  if (ops.size === 0) return 0;
  if (earlier.length === 0) return 1;
  let sum = 0;
  for (const op of ops) {
    let users = 0;
    for (const e of earlier) if (e.has(op)) users++;
    sum += 1 - users / earlier.length;
  }
  return sum / ops.size;
}
