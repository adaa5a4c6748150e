import { describe, expect, it } from 'vitest';
import type { SandboxExecutor } from './client';
import { createNodeExecutor } from './node';
import { createExecutorPool, poolSizeFor } from './pool';
import type { RunRequest, Verdict } from './types';

/** A stand-in worker that answers each program with its own name and records what it was sent. */
function recordingMember(name: string, log: { member: string; size: number }[]): SandboxExecutor {
  return {
    runBatch: async (requests: RunRequest[]) => {
      log.push({ member: name, size: requests.length });
      // The first member is slow: the others must take the chunks it cannot.
      await new Promise((resolve) => setTimeout(resolve, name === 'a' ? 20 : 1));
      return requests.map((r): Verdict => ({ ok: true, output: JSON.stringify(`${r.program}@${r.input}`) }));
    },
    killWorker: () => name === 'b',
    dispose: () => undefined,
  };
}

describe('executor pool', () => {
  it('answers in request order while idle members take the next chunk', async () => {
    const log: { member: string; size: number }[] = [];
    const names = ['a', 'b', 'c'];
    let made = 0;
    const pool = createExecutorPool(() => recordingMember(names[made++], log), 3, 4);
    const requests = Array.from({ length: 37 }, (_, i) => ({ program: `p${i}`, input: `${i}` }));
    const verdicts = await pool.runBatch(requests);
    expect(verdicts).toEqual(requests.map((r) => ({ ok: true, output: JSON.stringify(`${r.program}@${r.input}`) })));
    expect(log.reduce((n, l) => n + l.size, 0)).toBe(37);
    expect(log.every((l) => l.size <= 4)).toBe(true);
    const chunksOf = (m: string) => log.filter((l) => l.member === m).length;
    expect(chunksOf('a')).toBe(1);
    expect(chunksOf('b') + chunksOf('c')).toBe(9);
    expect(pool.killWorker()).toBe(true);
    expect(await pool.runBatch([])).toEqual([]);
  });

  it('gives the same verdicts with two sandbox worker threads as with one', async () => {
    const programs = [
      'function f(a) { return a.map((x) => x * 2); }',
      'function f() { while (true) {} }',
      "function f(s) { return s.split('').reverse().join(''); }",
      'function f(n) { return n.x.y; }',
      'function f(a) { return [...a].sort((x, y) => x - y); }',
    ];
    const inputs = ['[1, 2, 3]', '', "'abc'", '1', '[3, 1, 2]'];
    const requests = Array.from({ length: 40 }, (_, i) => ({ program: programs[i % 5], input: inputs[i % 5] }));
    const one = createNodeExecutor();
    const two = createNodeExecutor({ workers: 2 });
    try {
      const [a, b] = [await one.runBatch(requests), await two.runBatch(requests)];
      expect(b).toEqual(a);
      expect(a.filter((v) => !v.ok && v.reason === 'timeout')).toHaveLength(8);
    } finally {
      await one.dispose();
      await two.dispose();
    }
  });

  it('sizes itself to the cores beyond the trainer\'s, from 1 to 4', () => {
    expect([1, 2, 3, 4, 8, 16].map(poolSizeFor)).toEqual([1, 1, 2, 3, 4, 4]);
  });
});
