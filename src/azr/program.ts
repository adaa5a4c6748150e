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

