/**
 * The trusted judge, compiled once per runtime in a context no program ever touches. It reads what a
 * program returned or threw — values of another context of the same runtime — with its own captured
 * built-ins, which call no guest code (there is no Proxy; getters and toJSON are detected, never
 * called), and nothing of its context is handed to a program. It answers with a tagged string:
 * `o` + canonical output, or a failure tag + message: `n` output-not-plain, `l` output-too-large,
 * `s` stack, `m` memory, `e` runtime-error. The serialiser is iterative (no guest recursion) and its
 * work is bounded by the output cap.
 */
export function buildTrustedSource(maxOutputChars: number, maxDepth: number): string {
  return `(function () {
  'use strict';
  const O = Object, getProto = O.getPrototypeOf, getDesc = O.getOwnPropertyDescriptor, hasOwn = O.prototype.hasOwnProperty;
  const isArray = Array.isArray, sort = Array.prototype.sort, ownKeys = Reflect.ownKeys, apply = Reflect.apply;
  const quote = JSON.stringify, isFinite = Number.isFinite, Str = String, slice = String.prototype.slice;
  const SetCtor = Set, setHas = Set.prototype.has, setAdd = Set.prototype.add, setDelete = Set.prototype.delete;
  const MAX_OUT = ${maxOutputChars}, MAX_DEPTH = ${maxDepth};

  function isData(d) { return apply(hasOwn, d, ['value']); }
  function own(o, k) { const d = getDesc(o, k); return d !== undefined && isData(d) ? d.value : undefined; }
  function clip(s) { return s.length > 300 ? apply(slice, s, [0, 300]) + '…' : s; }

  function describe(e, internalErrorProto) {
    if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
      const message = own(e, 'message');
      if (getProto(e) === internalErrorProto) {
        if (message === 'stack overflow') return 's' + message;
        if (message === 'out of memory') return 'm' + message;
      }
      let name, p = e;
      for (let k = 0; p !== null && k < 32; k++) {
        const n = own(p, 'name');
        if (typeof n === 'string') { name = n; break; }
        p = getProto(p);
      }
      const text = typeof message === 'string' && message !== '' ? ': ' + message : '';
      return 'e' + clip((name === undefined ? 'a thrown object' : name) + text);
    }
    if (typeof e === 'string') return 'e' + clip('threw ' + quote(e));
    if (typeof e === 'number' || typeof e === 'boolean' || e === null || e === undefined) return 'ethrew ' + Str(e);
    return 'ethrew a ' + typeof e;
  }

  function serialize(root, objectProto, arrayProto) {
    const seen = new SetCtor();
    let out = '', frame = null, depth = 0, v = root;
    for (;;) {
      const t = typeof v;
      if (v === null) out += 'null';
      else if (t === 'boolean') out += v ? 'true' : 'false';
      else if (t === 'number') {
        if (!isFinite(v)) return 'nthe output contains ' + Str(v);
        out += v === 0 ? '0' : Str(v);
      } else if (t === 'string') {
        if (v.length + 2 > MAX_OUT) return 'lthe output contains a string of ' + v.length + ' characters; the cap is ' + MAX_OUT;
        out += quote(v);
      } else if (t === 'object') {
        if (depth >= MAX_DEPTH) return 'lthe output is nested deeper than ' + MAX_DEPTH + ' levels';
        if (apply(setHas, seen, [v])) return 'nthe output is cyclic';
        const arr = isArray(v), proto = getProto(v);
        if (arr ? proto !== arrayProto : proto !== objectProto && proto !== null) {
          return 'n' + (arr ? 'the output contains an array with a changed prototype' : 'the output contains an instance of a class or a built-in object');
        }
        if ('toJSON' in v) return 'nthe output contains an object with toJSON';
        const vals = { __proto__: null };
        let keys, n;
        if (arr) {
          n = v.length;
          if (2 * n + 1 > MAX_OUT) return 'lthe output contains an array of ' + n + ' elements; the cap is ' + MAX_OUT + ' characters';
          if (ownKeys(v).length !== n + 1) return 'nthe output contains an array with holes or extra properties';
          for (let i = 0; i < n; i++) {
            const d = getDesc(v, Str(i));
            if (d === undefined) return 'nthe output contains an array with holes';
            if (!isData(d)) return 'nthe output contains an array element with a getter';
            vals[i] = d.value;
          }
        } else {
          keys = ownKeys(v);
          n = keys.length;
          if (5 * n + 1 > MAX_OUT) return 'lthe output contains an object with ' + n + ' keys; the cap is ' + MAX_OUT + ' characters';
          for (let i = 0; i < n; i++) {
            const k = keys[i];
            if (typeof k !== 'string') return 'nthe output contains an object with a symbol key';
            const d = getDesc(v, k);
            if (!isData(d)) return 'nthe output contains an object with a getter or setter (' + clip(quote(k)) + ')';
            if (!d.enumerable) return 'nthe output contains an object with a non-enumerable property (' + clip(quote(k)) + ')';
          }
          apply(sort, keys, []);
          for (let i = 0; i < n; i++) vals[i] = own(v, keys[i]);
        }
        apply(setAdd, seen, [v]);
        depth++;
        frame = { __proto__: null, up: frame, obj: v, arr: arr, keys: keys, vals: vals, i: 0, n: n };
        out += arr ? '[' : '{';
      } else {
        return 'nthe output contains ' + (t === 'undefined' ? 'undefined' : 'a ' + t);
      }
      if (out.length > MAX_OUT) return 'lthe output is longer than ' + MAX_OUT + ' characters';
      for (;;) {
        if (frame === null) return 'o' + out;
        if (frame.i < frame.n) {
          if (frame.i > 0) out += ',';
          if (!frame.arr) out += quote(frame.keys[frame.i]) + ':';
          v = frame.vals[frame.i];
          frame.i++;
          break;
        }
        out += frame.arr ? ']' : '}';
        apply(setDelete, seen, [frame.obj]);
        depth--;
        frame = frame.up;
      }
    }
  }

  return { serialize: serialize, describe: describe };
})()`;
}
