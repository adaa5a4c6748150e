import { describe, expect, it } from 'vitest';
import { createRng } from '../azr/rng';
import { renderFunction } from './code';
import { heldOutFeatures } from './features';
import { FAMILIES } from './families';

describe('held-out features', () => {
  it('appear in every held-out program and in no train program', () => {
    const rng = createRng(99);
    for (const f of FAMILIES) {
      for (let i = 0; i < 400; i++) {
        const s = f.make(rng);
        const program = renderFunction(s.params.map((p) => p.name), s.body);
        const found = [...heldOutFeatures(program)];
        if (f.split === 'train') expect({ program, found }).toEqual({ program, found: [] });
        else expect(found.length, program).toBeGreaterThan(0);
      }
    }
  });

  it('see a composition through an intermediate const and in either chain style', () => {
    const chained = 'function f(a) {\n  return a.filter(x => x > 1).reduce((acc, x) => acc + x, 0);\n}';
    const split = 'function f(a) {\n  const t = a.filter(x => x > 1);\n  return t.reduce((acc, x) => acc + x, 0);\n}';
    expect([...heldOutFeatures(chained)]).toEqual(['pair:filter>reduce']);
    expect([...heldOutFeatures(split)]).toEqual(['pair:filter>reduce']);
    expect([...heldOutFeatures("function f(a) {\n  return a.split('').reverse().join('').toUpperCase();\n}")]).toEqual(['pair:strReverse>toUpperCase']);
    expect([...heldOutFeatures('function f(a) {\n  return a.reverse().join(\'\');\n}')]).toEqual([]);
  });
});
