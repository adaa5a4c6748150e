// Independent checks of what the grammars produce, with acorn (used by the tests): a program is one
// `function f` whose every name is declared before it is read, which never assigns a const, and
// which uses none of the constructs the executor forbids; a literal is data a strict parser accepts.

import { parse, parseExpressionAt } from 'acorn';

interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && typeof (x as AstNode).type === 'string';

const ALLOWED_NODES = new Set([
  'Program', 'FunctionDeclaration', 'BlockStatement', 'VariableDeclaration', 'VariableDeclarator',
  'ExpressionStatement', 'IfStatement', 'ForStatement', 'ForOfStatement', 'WhileStatement',
  'ReturnStatement', 'BreakStatement', 'ContinueStatement', 'Identifier', 'Literal', 'ArrayExpression',
  'ObjectExpression', 'Property', 'SpreadElement', 'MemberExpression', 'CallExpression',
  'ArrowFunctionExpression', 'BinaryExpression', 'LogicalExpression', 'UnaryExpression',
  'UpdateExpression', 'AssignmentExpression', 'ConditionalExpression',
]);
const GLOBALS = new Set(['Math', 'String', 'Number', 'Array', 'Object', 'f']);
const FORBIDDEN_PROPS = new Set(['constructor', 'prototype', '__proto__', 'random', 'call', 'apply', 'bind']);

type Binding = 'let' | 'const' | 'param';

class Scope {
  readonly vars = new Map<string, Binding>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

/** Returns the reasons a program breaks the rules (empty when it is fine). */
export function checkProgram(source: string): string[] {
  const problems: string[] = [];
  let ast: AstNode;
  try {
    ast = parse(source, { ecmaVersion: 2022, sourceType: 'script' }) as unknown as AstNode;
    parse(source, { ecmaVersion: 2022, sourceType: 'module' }); // strict mode too
  } catch (e) {
    return [`syntax: ${(e as Error).message}`];
  }
  const body = ast.body as AstNode[];
  if (body.length !== 1 || body[0].type !== 'FunctionDeclaration') return ['not exactly one top-level function'];
  const fn = body[0];
  if ((fn.id as AstNode).name !== 'f') problems.push('function not named f');
  if (fn.async || fn.generator) problems.push('async or generator');

  const declare = (scope: Scope, id: AstNode, kind: Binding): void => {
    const name = id.name as string;
    if (scope.lookup(name) !== undefined) problems.push(`'${name}' shadows or redeclares a visible name`);
    scope.vars.set(name, kind);
  };
  const target = (node: AstNode, scope: Scope): void => {
    if (node.type === 'Identifier') {
      const b = scope.lookup(node.name as string);
      if (b === undefined) problems.push(`assignment to undeclared '${String(node.name)}'`);
      if (b === 'const') problems.push(`assignment to const '${String(node.name)}'`);
    } else visit(node, scope);
  };
  const visit = (node: AstNode, scope: Scope): void => {
    if (!ALLOWED_NODES.has(node.type)) {
      problems.push(`construct ${node.type}`);
      return;
    }
    switch (node.type) {
      case 'Identifier': {
        const name = node.name as string;
        if (scope.lookup(name) === undefined && !GLOBALS.has(name)) problems.push(`read of undeclared '${name}'`);
        return;
      }
      case 'Literal':
        if (node.regex || node.bigint) problems.push('regex or bigint literal');
        return;
      case 'BlockStatement': {
        const inner = new Scope(scope);
        for (const s of node.body as AstNode[]) visit(s, inner);
        return;
      }
      case 'VariableDeclaration':
        for (const d of node.declarations as AstNode[]) {
          if (d.init) visit(d.init as AstNode, scope);
          else problems.push('declaration without initialiser');
          declare(scope, d.id as AstNode, node.kind === 'const' ? 'const' : 'let');
        }
        return;
      case 'ForStatement': {
        const inner = new Scope(scope);
        for (const k of ['init', 'test', 'update', 'body']) if (node[k]) visit(node[k] as AstNode, inner);
        return;
      }
      case 'ForOfStatement': {
        const inner = new Scope(scope);
        visit(node.right as AstNode, scope);
        const decl = node.left as AstNode;
        for (const d of decl.declarations as AstNode[]) declare(inner, d.id as AstNode, decl.kind === 'const' ? 'const' : 'let');
        visit(node.body as AstNode, inner);
        return;
      }
      case 'ArrowFunctionExpression': {
        const inner = new Scope(scope);
        for (const p of node.params as AstNode[]) {
          if (p.type !== 'Identifier') problems.push('pattern parameter');
          else declare(inner, p, 'param');
        }
        if (node.async) problems.push('async arrow');
        visit(node.body as AstNode, inner);
        return;
      }
      case 'MemberExpression':
        visit(node.object as AstNode, scope);
        if (node.computed) visit(node.property as AstNode, scope);
        else if (FORBIDDEN_PROPS.has((node.property as AstNode).name as string)) problems.push(`property ${String((node.property as AstNode).name)}`);
        return;
      case 'Property':
        if (node.computed || node.kind !== 'init' || node.method || node.shorthand) problems.push('unusual property');
        visit(node.value as AstNode, scope);
        return;
      case 'AssignmentExpression':
        target(node.left as AstNode, scope);
        visit(node.right as AstNode, scope);
        return;
      case 'UpdateExpression':
        target(node.argument as AstNode, scope);
        return;
      case 'UnaryExpression':
        if (!['-', '!', 'typeof'].includes(node.operator as string)) problems.push(`unary ${String(node.operator)}`);
        visit(node.argument as AstNode, scope);
        return;
      default:
        for (const [key, value] of Object.entries(node)) {
          if (key === 'type') continue;
          if (Array.isArray(value)) for (const v of value) if (isNode(v)) visit(v, scope);
          if (isNode(value)) visit(value, scope);
        }
    }
  };
  const fnScope = new Scope();
  for (const p of fn.params as AstNode[]) {
    if (p.type !== 'Identifier') problems.push('pattern parameter');
    else declare(fnScope, p, 'param');
  }
  for (const s of (fn.body as AstNode).body as AstNode[]) visit(s, fnScope);
  return problems;
}

/** The number of parameters of the program's `f`. */
export function arityOf(source: string): number {
  const ast = parse(source, { ecmaVersion: 2022 }) as unknown as AstNode;
  return ((ast.body as AstNode[])[0].params as AstNode[]).length;
}

/**
 * Checks an argument list (`a, b, …`) or one value as a strict literal parser would: numbers (finite,
 * optionally negated), strings in either quote, true/false/null, arrays, objects with string keys.
 * Returns the values' count, or throws.
 */
export function checkLiterals(text: string): number {
  const expr = parseExpressionAt(`[${text}]`, 0, { ecmaVersion: 2022 }) as unknown as AstNode;
  if (expr.end !== text.length + 2) throw new Error('trailing text');
  const value = (n: AstNode): void => {
    switch (n.type) {
      case 'Literal':
        if (n.regex || n.bigint) throw new Error('not a plain literal');
        if (typeof n.value === 'number' && !Number.isFinite(n.value)) throw new Error('non-finite number');
        return;
      case 'UnaryExpression':
        if (n.operator !== '-' || (n.argument as AstNode).type !== 'Literal' || typeof (n.argument as AstNode).value !== 'number') {
          throw new Error('only numbers may be negated');
        }
        return;
      case 'ArrayExpression':
        for (const e of n.elements as (AstNode | null)[]) {
          if (!e) throw new Error('hole');
          value(e);
        }
        return;
      case 'ObjectExpression':
        for (const p of n.properties as AstNode[]) {
          if (p.type !== 'Property' || p.computed || p.shorthand || p.method || (p.key as AstNode).type !== 'Literal' || typeof (p.key as AstNode).value !== 'string') {
            throw new Error('object keys must be strings');
          }
          value(p.value as AstNode);
        }
        return;
      default:
        throw new Error(`not a literal: ${n.type}`);
    }
  };
  const elements = expr.elements as AstNode[];
  for (const e of elements) value(e);
  return elements.length;
}
