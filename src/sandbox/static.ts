/**
 * Static checks on the parsed program (acorn, never regular expressions over source). They state the
 * policy and give a precise message; the sandbox does not depend on them for safety — QuickJS has no
 * host access, Math.random is reseeded per run so the two-run check catches evasions, and Date,
 * Promise and Proxy are absent from the context.
 */
import { parse, type Node } from 'acorn';
import type { VerdictReason } from './types';

export type StaticResult = { ok: true } | { ok: false; reason: Extract<VerdictReason, 'syntax' | 'forbidden'>; message: string };

/** Globals that reach outside the function, break determinism, or defer work past the run. */
export const FORBIDDEN_GLOBALS: ReadonlySet<string> = new Set([
  'Date',
  'eval',
  'Function',
  'globalThis',
  'window',
  'self',
  'global',
  'require',
  'module',
  'exports',
  'process',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'queueMicrotask',
  'Promise',
  'Proxy',
  'Reflect',
  'Symbol',
  'WeakRef',
  'FinalizationRegistry',
  'Atomics',
  'SharedArrayBuffer',
  'WebAssembly',
  'fetch',
  'importScripts',
  'postMessage',
  'performance',
]);

/** Property names whose access (dot, computed string, or destructuring) reaches prototypes or accessors. */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  'getPrototypeOf',
  'setPrototypeOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * `new` is allowed only on these. Data structures, and errors because throwing is a legitimate way
 * for `f` to fail; everything else (`new Date`, `new Function`, `new Proxy`, user classes, which
 * are useless without `this`) is refused.
 */
export const NEW_ALLOWED: ReadonlySet<string> = new Set(['Array', 'Map', 'Set', 'Object', 'Error', 'TypeError', 'RangeError']);

type AnyNode = Node & Record<string, unknown>;

class Forbidden extends Error {}

export function checkProgram(program: string, maxProgramChars: number): StaticResult {
  if (program.length > maxProgramChars) {
    return { ok: false, reason: 'forbidden', message: `program is ${program.length} characters; the cap is ${maxProgramChars}` };
  }
  let ast: AnyNode;
  try {
    ast = parse(program, { ecmaVersion: 'latest', sourceType: 'script', locations: true }) as unknown as AnyNode;
  } catch (error) {
    return { ok: false, reason: 'syntax', message: error instanceof Error ? error.message : String(error) };
  }
  const body = ast.body as AnyNode[];
  if (body.length === 0) return { ok: false, reason: 'forbidden', message: 'the program must define a function f; it is empty' };
  const first = body[0];
  if (first.type !== 'FunctionDeclaration') {
    return { ok: false, reason: 'forbidden', message: `the program must be one function declaration named f; it starts with a ${first.type}${at(first)}` };
  }
  const name = (first.id as AnyNode | null)?.name;
  if (name !== 'f') return { ok: false, reason: 'forbidden', message: `the function must be named f, not ${String(name)}${at(first)}` };
  if (body.length > 1) {
    return { ok: false, reason: 'forbidden', message: `only the function f may be at top level; found a ${body[1].type} after it${at(body[1])}` };
  }
  try {
    walk(first, undefined, undefined);
  } catch (error) {
    if (error instanceof Forbidden) return { ok: false, reason: 'forbidden', message: error.message };
    throw error;
  }
  return { ok: true };
}

function at(node: AnyNode): string {
  const loc = node.loc;
  return loc ? ` at line ${loc.start.line}, column ${loc.start.column + 1}` : '';
}

function forbid(node: AnyNode, what: string): never {
  throw new Forbidden(`${what} is forbidden${at(node)}`);
}

/** The name a member access or pattern key spells statically: `a.b`, `a['b']`, ``a[`b`]``. */
function staticName(key: AnyNode, computed: boolean): string | undefined {
  if (!computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  if (key.type === 'TemplateLiteral' && (key.expressions as unknown[]).length === 0) {
    const quasis = key.quasis as AnyNode[];
    return (quasis[0].value as { cooked?: string }).cooked;
  }
  return undefined;
}

/** An identifier in a position where it names a property or label, not a variable. */
function isNonReference(parent: AnyNode | undefined, key: string | undefined): boolean {
  if (!parent) return false;
  switch (parent.type) {
    case 'MemberExpression':
      return key === 'property' && !parent.computed;
    case 'Property':
    case 'MethodDefinition':
    case 'PropertyDefinition':
      return key === 'key' && !parent.computed;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return key === 'label';
    default:
      return false;
  }
}

function walk(node: AnyNode, parent: AnyNode | undefined, parentKey: string | undefined): void {
  check(node, parent, parentKey);
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue;
    const child = node[key];
    if (Array.isArray(child)) {
      for (const item of child) if (isNode(item)) walk(item, node, key);
    } else if (isNode(child)) {
      walk(child, node, key);
    }
  }
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function check(node: AnyNode, parent: AnyNode | undefined, parentKey: string | undefined): void {
  switch (node.type) {
    case 'Identifier':
      if (FORBIDDEN_GLOBALS.has(node.name as string) && !isNonReference(parent, parentKey)) forbid(node, `\`${node.name as string}\``);
      return;
    case 'ThisExpression':
      return forbid(node, '`this`');
    case 'WithStatement':
      return forbid(node, '`with`');
    case 'DebuggerStatement':
      return forbid(node, '`debugger`');
    case 'ImportExpression':
      return forbid(node, '`import()`');
    case 'MetaProperty':
      return forbid(node, `\`${(node.meta as AnyNode).name as string}.${(node.property as AnyNode).name as string}\``);
    case 'YieldExpression':
      return forbid(node, '`yield`');
    case 'AwaitExpression':
      return forbid(node, '`await`');
    case 'ForOfStatement':
      if (node.await) forbid(node, '`for await`');
      return;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (node.async) forbid(node, 'an async function');
      if (node.generator) forbid(node, 'a generator function');
      return;
    case 'MemberExpression': {
      const name = staticName(node.property as AnyNode, node.computed as boolean);
      if (name !== undefined && FORBIDDEN_MEMBERS.has(name)) forbid(node, `access to \`${name}\``);
      const object = node.object as AnyNode;
      if (name === 'random' && object.type === 'Identifier' && object.name === 'Math') forbid(node, '`Math.random`');
      return;
    }
    case 'Property': {
      const name = staticName(node.key as AnyNode, node.computed as boolean);
      if (name === undefined) return;
      if (parent?.type === 'ObjectPattern' && FORBIDDEN_MEMBERS.has(name)) forbid(node, `destructuring \`${name}\``);
      if (parent?.type === 'ObjectExpression' && name === '__proto__' && !node.computed && !node.shorthand && !node.method) {
        forbid(node, 'setting a prototype with `__proto__:`');
      }
      return;
    }
    case 'NewExpression': {
      const callee = node.callee as AnyNode;
      if (callee.type !== 'Identifier' || !NEW_ALLOWED.has(callee.name as string)) {
        const what = callee.type === 'Identifier' ? `\`new ${callee.name as string}\`` : '`new` of a computed constructor';
        forbid(node, `${what} (allowed: ${[...NEW_ALLOWED].join(', ')})`);
      }
      return;
    }
    default:
      return;
  }
}
