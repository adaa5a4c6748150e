import { describe, expect, it } from 'vitest';
import { createBuffers, IDENTITY_SEED, splitInductionPairs } from './buffers';
import { createRng } from './rng';

const triplet = (n: number) => ({ program: `function f(a) {\n  return a + ${n};\n}`, input: '1', output: String(1 + n) });

describe('task buffers', () => {
  it('appends valid tasks with their provenance and drops exact duplicates when asked', () => {
    const b = createBuffers();
    const seed = b.deduction.add(IDENTITY_SEED, 'seed', 0, true);
    expect(seed?.source).toBe('seed');
    expect(b.deduction.add(IDENTITY_SEED, 'seeding', 0, true)).toBeUndefined();
    expect(b.deduction.duplicatesDropped).toBe(1);
    expect(b.deduction.add(IDENTITY_SEED, 'seeding', 0, false)).toBeDefined();
    expect(b.deduction.size).toBe(2);
  });

  it('gives ids unique across the three buffers', () => {
    const b = createBuffers();
    const d = b.deduction.add(triplet(1), 'seed', 0, true);
    const a = b.abduction.add(triplet(1), 'seed', 0, true);
    expect(d?.id).not.toBe(a?.id);
  });

  it('samples K distinct references, or all when fewer', () => {
    const b = createBuffers();
    for (let i = 0; i < 10; i++) b.deduction.add(triplet(i), 'seeding', 0, true);
    const refs = b.deduction.references(3, createRng(1));
    expect(new Set(refs.map((r) => r.id)).size).toBe(3);
    expect(b.deduction.references(20, createRng(1))).toHaveLength(10);
    expect(b.deduction.references(0, createRng(1))).toHaveLength(0);
  });

  it('builds the solver batch from this step\'s tasks first, newest first, then uniformly from the buffer', () => {
    const b = createBuffers();
    const old = Array.from({ length: 6 }, (_, i) => b.abduction.add(triplet(i), 'seeding', 0, true)!);
    const fresh = [b.abduction.add(triplet(100), 'self-play', 1, true)!, b.abduction.add(triplet(101), 'self-play', 1, true)!];
    const batch = b.abduction.solverBatch(4, fresh, createRng(2));
    expect(batch.slice(0, 2).map((t) => t.id)).toEqual([fresh[1].id, fresh[0].id]);
    expect(batch).toHaveLength(4);
    expect(new Set(batch.map((t) => t.id)).size).toBe(4);
    for (const t of batch.slice(2)) expect(old.map((o) => o.id)).toContain(t.id);
  });

  it('repeats tasks when the buffer is smaller than the batch', () => {
    const b = createBuffers();
    b.deduction.add(IDENTITY_SEED, 'seed', 0, true);
    expect(b.deduction.solverBatch(3, [], createRng(0))).toHaveLength(3);
  });

  it('keeps a per-task solve history', () => {
    const b = createBuffers();
    const t = b.deduction.add(IDENTITY_SEED, 'seed', 0, true)!;
    b.deduction.recordSolves(t.id, 1, 4, 3);
    b.deduction.recordSolves(t.id, 2, 1, 0);
    expect(b.deduction.get(t.id)).toMatchObject({ attempts: 5, solved: 3, history: [{ step: 1, attempts: 4, solved: 3 }, { step: 2, attempts: 1, solved: 0 }] });
  });

  it('shows the first half of the induction pairs and holds out the rest', () => {
    const pairs = [1, 2, 3, 4, 5, 6].map((i) => ({ input: String(i), output: String(i * 2) }));
    const { shown, heldOut } = splitInductionPairs(pairs);
    expect(shown.map((p) => p.input)).toEqual(['1', '2', '3']);
    expect(heldOut.map((p) => p.input)).toEqual(['4', '5', '6']);
  });
});

describe('rng', () => {
  it('replays the same stream from the same seed and differs across seeds', () => {
    const a = createRng(7); const b = createRng(7); const c = createRng(8);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
    for (const x of sa) { expect(x).toBeGreaterThanOrEqual(0); expect(x).toBeLessThan(1); }
  });
});
