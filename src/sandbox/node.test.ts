import { afterAll, describe, expect, it } from 'vitest';
import { createExecutorClient, type SandboxExecutor } from './client';
import { createNodeExecutor, spawnNodeWorker } from './node';

// A short wall-clock deadline keeps the watchdog tests fast; nothing here asserts a duration.
const executor = createNodeExecutor({ deadlineMs: 1_500 });
afterAll(() => executor.dispose());

const NATIVE_LOOP = 'function f() { const a = []; a.length = 4294967295; return a.indexOf(1); }';

describe('Node executor (worker_threads)', () => {
  it('validates a batch in a worker thread; an infinite loop times out every time', async () => {
    const loop = { program: 'function f() { while (true) {} }', input: '' };
    const verdicts = await executor.runBatch([{ program: 'function f(a, b) { return a.map((x) => x * b); }', input: '[1, 2], 3' }, loop, loop]);
    expect(verdicts[0]).toEqual({ ok: true, output: '[3,6]' });
    expect(verdicts[1]).toMatchObject({ ok: false, reason: 'timeout', message: expect.stringMatching(/interrupt-handler calls/) });
    expect(verdicts[2]).toEqual(verdicts[1]);
  });

  it('stops native-heavy bombs and still runs the next program in the batch', async () => {
    const verdicts = await executor.runBatch([
      { program: "function f() { return 'x'.repeat(1e9); }", input: '' },
      { program: 'function f() { return new Array(1e8).fill(0).join(); }', input: '' },
      { program: NATIVE_LOOP, input: '' },
      { program: 'function f() { const a = []; while (true) a.push(new Array(1000).fill(1)); }', input: '' },
      { program: 'function f(a) { return a + 1; }', input: '41' },
    ]);
    for (const v of verdicts.slice(0, 4)) expect(v.ok ? 'ok' : v.reason).toMatch(/^(timeout|memory)$/);
    // One long native call never reaches the interrupt handler: only the watchdog stops it.
    expect(verdicts[2]).toMatchObject({ reason: 'timeout', message: expect.stringMatching(/wall-clock deadline/) });
    expect(verdicts[4]).toEqual({ ok: true, output: '42' });
  });

  it('answers sandbox-crash when the worker dies under a running program, and goes on', async () => {
    const restarts: string[] = [];
    // The worker is killed as soon as program 0 is answered, i.e. while the native loop (program 1) runs.
    const client: SandboxExecutor = createExecutorClient(
      (events) =>
        spawnNodeWorker({
          message: (message) => {
            events.message(message);
            if (message.type === 'verdict' && message.index === 0) setImmediate(() => client.killWorker());
          },
          exit: events.exit,
        }),
      { deadlineMs: 60_000, onRestart: (m) => restarts.push(m) },
    );
    try {
      const verdicts = await client.runBatch([
        { program: 'function f() { return 1; }', input: '' },
        { program: NATIVE_LOOP, input: '' },
        { program: 'function f() { return 3; }', input: '' },
      ]);
      expect(verdicts).toEqual([
        { ok: true, output: '1' },
        { ok: false, reason: 'sandbox-crash', message: 'the sandbox worker was killed' },
        { ok: true, output: '3' },
      ]);
      expect(restarts).toEqual(['the sandbox worker was killed; program 1 of the batch was running']);
    } finally {
      await client.dispose();
    }
  });
});
