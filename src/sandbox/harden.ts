/**
 * A reusable guest context whose runs are as isolated as runs in fresh contexts.
 *
 * A fresh QuickJS context per run is two thirds of a run's cost (≈ 0.1 of ≈ 0.17 ms). A reused
 * context is isolated only if no run can leave a trace for the next one. `buildHardenSource()` makes
 * one. It is run once, before any program.
 *
 * 1. Every object reachable from the global object is frozen: the global object's properties become
 *    read-only, and so do the hidden intrinsics (iterator and generator prototypes, %ThrowTypeError%).
 *    A run cannot change any of them, and cannot add a global either: strict mode already refuses an
 *    undeclared assignment, and the global object no longer takes new properties.
 * 2. The one writable global is `f`. It has the attributes a script's `function f` declaration gives
 *    it in a fresh context, and each program's declaration replaces it before any of its code runs.
 * 3. A frozen object is observable where a fresh one is not, and the runner must not let that through:
 *    - A write to a built-in throws a TypeError where a fresh context allows it. Uncaught, it fails the
 *      run, and the runner then runs the program again in a fresh context. Caught, it would change the
 *      result silently, so a program with a `try` never runs here (`mayReuseContext`).
 *    - Frozenness can be read, and new code (with its own `try`) compiled, only through a few built-ins:
 *      `Object.isFrozen`, `isSealed`, `isExtensible`, `getOwnPropertyDescriptor(s)`,
 *      `Object.prototype.__lookupGetter__` and `__lookupSetter__`, and the function constructors (the
 *      only way to the global object, `eval` and `Reflect` in strict code; the static checks also refuse
 *      those names, and the globals `globalThis`, `Reflect`, `eval` and `Function` are watched too, so
 *      this does not rest on them). Each becomes an accessor that *taints* the run when it is read. The
 *      runner throws a tainted run's result away, runs the program in a fresh context, and replaces the
 *      reused one (a tainted run may have declared a global lexical binding through `Function`).
 * 4. A program must be one `function f` declaration and nothing else, as `checkProgram` ensures on the
 *    way in (`validate`): a top-level `let` would outlive its run in the global lexical scope.
 *
 * So a run that finishes without an error and without a taint gives what a fresh context would give.
 * Every other run is answered by a fresh context. The runner also replaces a reused context after a
 * run that ran out of budget, memory or stack, or that failed to load.
 */

/**
 * Whether a program may run in a reused context: it has no `try` statement. The test is textual and
 * errs on the safe side: `try` inside a string or a comment also sends a program to a fresh context.
 */
export function mayReuseContext(program: string): boolean {
  return !/\btry\b/.test(program);
}

/**
 * The source of a function `(random, taint) => number`. It installs `random` as `Math.random` (as a
 * fresh context's run does), turns the observation points into tainting accessors, defines `f`,
 * freezes everything, and returns how many objects it froze.
 */
export function buildHardenSource(): string {
  return `(function (random, taint) {
  'use strict';
  const O = Object, getProto = O.getPrototypeOf, getDesc = O.getOwnPropertyDescriptor, defineProp = O.defineProperty;
  const ownKeys = Reflect.ownKeys, freeze = O.freeze, preventExtensions = O.preventExtensions;
  const isObject = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  defineProp(Math, 'random', { value: random, writable: false, enumerable: false, configurable: true });

  const hidden = [];
  const reach = (make) => { try { const v = make(); if (isObject(v)) { hidden.push(v); return v; } } catch (e) { /* not in this build */ } return undefined; };
  const functionPrototypes = [Function.prototype];
  for (const make of [() => getProto(function* () {}), () => getProto(async function () {}), () => getProto(async function* () {})]) {
    const proto = reach(make);
    if (proto !== undefined) functionPrototypes.push(proto);
  }
  reach(() => getProto(function* () {}).prototype);
  reach(() => getProto(async function* () {}).prototype);
  reach(() => getProto([][Symbol.iterator]()));
  reach(() => getProto(getProto([][Symbol.iterator]())));
  reach(() => getProto(''[Symbol.iterator]()));
  reach(() => getProto(new Map()[Symbol.iterator]()));
  reach(() => getProto(new Set()[Symbol.iterator]()));
  reach(() => getProto(/a/g[Symbol.matchAll]('a')));
  reach(() => getProto([].values().map((x) => x)));
  reach(() => getProto(Iterator.from({ next() { return { done: true }; } })));
  reach(() => getDesc(function () { 'use strict'; return arguments; }(), 'callee').get);

  const watched = [
    [O, 'isFrozen'], [O, 'isSealed'], [O, 'isExtensible'], [O, 'getOwnPropertyDescriptor'], [O, 'getOwnPropertyDescriptors'],
    [O.prototype, '__lookupGetter__'], [O.prototype, '__lookupSetter__'],
    [globalThis, 'globalThis'], [globalThis, 'Reflect'], [globalThis, 'eval'], [globalThis, 'Function'],
  ];
  for (const proto of functionPrototypes) watched.push([proto, 'constructor']);
  for (const [object, key] of watched) {
    const d = getDesc(object, key);
    if (d === undefined || !('value' in d)) continue;
    const value = d.value;
    const get = getDesc({ get [key]() { taint(); return value; } }, key).get;
    defineProp(object, key, { get, enumerable: d.enumerable, configurable: d.configurable });
  }

  defineProp(globalThis, 'f', { value: undefined, writable: true, enumerable: true, configurable: false });
  const seen = new Set();
  const stack = [globalThis, ...hidden];
  let frozen = 0;
  while (stack.length > 0) {
    const o = stack.pop();
    if (!isObject(o) || seen.has(o)) continue;
    seen.add(o);
    stack.push(getProto(o));
    for (const k of ownKeys(o)) {
      if (o === globalThis && k === 'f') continue;
      const d = getDesc(o, k);
      if ('value' in d) stack.push(d.value);
      else stack.push(d.get, d.set);
      if (o === globalThis) defineProp(o, k, 'value' in d ? { writable: false, configurable: false } : { configurable: false });
    }
    if (o === globalThis) preventExtensions(o);
    else freeze(o);
    frozen++;
  }
  return frozen;
})`;
}
