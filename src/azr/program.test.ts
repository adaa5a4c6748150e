import { describe, expect, it } from 'vitest';
import { functionArity, operationNovelty, programComplexity, programOperations } from './program';

describe('program facts from the AST', () => {
  it('arity and complexity', () => {
    expect(functionArity('function f(a, b) {\n  return a + b;\n}')).toBe(2);
    expect(functionArity('const g = 1;')).toBeUndefined();
    expect(programComplexity('function f(a) {\n  return a.map(x => x > 1 ? x : 0);\n}')).toBe(2);
    expect(programComplexity('function f(')).toBe(0);
  });

  it('operations: methods, Math, length, indexing, loops, branches and operators', () => {
    const ops = programOperations([
      'function f(a, b) {',
      '  let r = 0;',
      '  for (const x of a) { if (x % 2 === 0) r += Math.max(x, b[0]); }',
      '  return a.filter((x) => x > r).length ? `${r}` : [r, -r];',
      '}',
    ].join('\n'));
    expect([...ops].sort()).toEqual(['%', '+=', '.filter', '.length', '===', '>', '?:', 'Math.max', '[]', '[…]', '`…`', '=>', 'for-of', 'if', 'unary-'].sort());
    expect(programOperations('function f(a) {\n  return a;\n}').size).toBe(0);
    expect(programOperations('function f( {').size).toBe(0);
  });

  it('novelty: the mean rarity of a program\'s operations among earlier programs', () => {
    const earlier = [new Set(['?:', '+']), new Set(['?:', '-']), new Set(['?:', '+']), new Set(['.map'])];
    // '?:' is used by 3 of 4 earlier programs (rarity 0.25), '.filter' by none (rarity 1).
    expect(operationNovelty(new Set(['?:', '.filter']), earlier)).toBeCloseTo((0.25 + 1) / 2, 12);
    expect(operationNovelty(new Set(['?:']), earlier)).toBeCloseTo(0.25, 12);
    expect(operationNovelty(new Set(['.reduce']), earlier)).toBe(1);
    expect(operationNovelty(new Set(), earlier)).toBe(0);
    expect(operationNovelty(new Set(['+']), [])).toBe(1);
  });
});
