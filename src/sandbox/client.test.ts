import { describe, expect, it } from 'vitest';
import { createExecutorClient, type SpawnWorker, type WorkerEvents } from './client';
import type { ToSandbox } from './protocol';
import type { RunRequest, Verdict } from './types';

/**
 * A scripted stand-in for the sandbox worker. Each program's text says what the worker does with it:
 * `ok:<output>` answers, `hang` never answers (long native work), `die` kills the worker.
 * `start: 'never'` never loads; `start: 'fatal'` reports that QuickJS could not load.
 */
function fakeWorkers(start: 'ready' | 'never' | 'fatal' = 'ready') {
  const spawned: { terminated: boolean; hanging: boolean; sent: ToSandbox[] }[] = [];
  const spawn: SpawnWorker = (events: WorkerEvents) => {
    const me = { terminated: false, hanging: false, sent: [] as ToSandbox[] };
    spawned.push(me);
    const later = (fn: () => void) => setTimeout(() => !me.terminated && fn(), 0);
    if (start === 'ready') later(() => events.message({ type: 'ready' }));
    if (start === 'fatal') later(() => events.message({ type: 'fatal', message: 'QuickJS failed to load: no wasm' }));
    return {
      post: (message) => {
        me.sent.push(message);
        if (start !== 'ready') return;
        let at = 0;
        const step = () => {
          if (at >= message.requests.length) return;
          const index = message.first + at;
          const program = message.requests[at++].program;
          if (program === 'hang') {
            me.hanging = true;
            return;
          }
          if (program === 'die') return events.exit('exit code 1');
          events.message({ type: 'verdict', batch: message.batch, index, verdict: { ok: true, output: program.slice(3) } });
          later(step);
        };
        later(step);
      },
      terminate: () => {
        me.terminated = true;
      },
    };
  };
  return { spawn, spawned };
}

const batch = (...programs: string[]): RunRequest[] => programs.map((program) => ({ program, input: '' }));
const ok = (output: string): Verdict => ({ ok: true, output });

describe('executor client', () => {
  it('sends a batch to one worker and answers in order', async () => {
    const { spawn, spawned } = fakeWorkers();
    const client = createExecutorClient(spawn);
    expect(await client.runBatch(batch('ok:1', 'ok:2', 'ok:3'))).toEqual([ok('1'), ok('2'), ok('3')]);
    expect(await client.runBatch([])).toEqual([]);
    expect(await client.runBatch(batch('ok:4'))).toEqual([ok('4')]);
    expect(spawned.length).toBe(1);
    await client.dispose();
  });

  it('answers timeout for a program past the deadline, replaces the worker and runs the rest', async () => {
    const { spawn, spawned } = fakeWorkers();
    const restarts: string[] = [];
    const client = createExecutorClient(spawn, { deadlineMs: 30, onRestart: (m) => restarts.push(m) });
    const verdicts = await client.runBatch(batch('ok:1', 'hang', 'ok:3', 'hang', 'ok:5'));
    expect(verdicts[0]).toEqual(ok('1'));
    expect(verdicts[1]).toMatchObject({ ok: false, reason: 'timeout', message: expect.stringMatching(/program 1 .*30 ms/) });
    expect(verdicts[2]).toEqual(ok('3'));
    expect(verdicts[3]).toMatchObject({ ok: false, reason: 'timeout' });
    expect(verdicts[4]).toEqual(ok('5'));
    expect(spawned.length).toBe(3);
    expect(spawned[0].terminated && spawned[1].terminated).toBe(true);
    expect(spawned[1].sent[0]).toMatchObject({ first: 2 });
    expect(restarts).toHaveLength(2);
    await client.dispose();
  });

  it('answers sandbox-crash for the program running when the worker dies, and goes on', async () => {
    const { spawn, spawned } = fakeWorkers();
    const client = createExecutorClient(spawn);
    const verdicts = await client.runBatch(batch('ok:1', 'die', 'ok:3'));
    expect(verdicts).toEqual([ok('1'), { ok: false, reason: 'sandbox-crash', message: expect.stringMatching(/died: exit code 1/) }, ok('3')]);
    expect(spawned.length).toBe(2);
    await client.dispose();
  });

  it('kills the worker on request: the running program gets sandbox-crash', async () => {
    const { spawn, spawned } = fakeWorkers();
    const restarts: string[] = [];
    const client = createExecutorClient(spawn, { deadlineMs: 60_000, onRestart: (m) => restarts.push(m) });
    expect(client.killWorker()).toBe(false);
    const pending = client.runBatch(batch('ok:1', 'hang', 'ok:3'));
    await expect.poll(() => spawned.some((w) => w.hanging), { interval: 5 }).toBe(true);
    expect(client.killWorker()).toBe(true);
    const verdicts = await pending;
    expect(verdicts[0]).toEqual(ok('1'));
    expect(verdicts[1]).toMatchObject({ reason: 'sandbox-crash', message: expect.stringMatching(/killed/) });
    expect(verdicts[2]).toEqual(ok('3'));
    expect(restarts).toHaveLength(1);
    await client.dispose();
  });

  it('restarts a worker killed before it started without charging any program', async () => {
    const { spawn, spawned } = fakeWorkers('never');
    const client = createExecutorClient(spawn);
    const pending = client.runBatch(batch('ok:1'));
    await expect.poll(() => spawned.length, { interval: 5 }).toBe(1);
    expect(client.killWorker()).toBe(true);
    expect(spawned.length).toBe(2);
    expect(spawned[1].sent[0]).toMatchObject({ first: 0 });
    await client.dispose();
    expect(await pending).toMatchObject([{ reason: 'sandbox-crash', message: expect.stringMatching(/disposed/) }]);
  });

  it('fails the batch, without throwing, when a worker cannot start', async () => {
    const never = createExecutorClient(fakeWorkers('never').spawn, { startTimeoutMs: 20 });
    expect(await never.runBatch(batch('ok:1', 'ok:2'))).toEqual([
      { ok: false, reason: 'sandbox-crash', message: expect.stringMatching(/did not start/) },
      { ok: false, reason: 'sandbox-crash', message: expect.stringMatching(/did not start/) },
    ]);
    const fatal = fakeWorkers('fatal');
    const broken = createExecutorClient(fatal.spawn);
    expect(await broken.runBatch(batch('ok:1'))).toEqual([{ ok: false, reason: 'sandbox-crash', message: 'QuickJS failed to load: no wasm' }]);
    expect(await broken.runBatch(batch('ok:1'))).toMatchObject([{ reason: 'sandbox-crash' }]);
    expect(fatal.spawned.length).toBe(2);
    const throwing = createExecutorClient(() => {
      throw new Error('no workers here');
    });
    expect(await throwing.runBatch(batch('ok:1'))).toEqual([{ ok: false, reason: 'sandbox-crash', message: expect.stringMatching(/no workers here/) }]);
    await Promise.all([never.dispose(), broken.dispose(), throwing.dispose()]);
  });

  it('runs overlapping batches one after the other', async () => {
    const { spawn } = fakeWorkers();
    const client = createExecutorClient(spawn);
    const [a, b] = await Promise.all([client.runBatch(batch('ok:a1', 'ok:a2')), client.runBatch(batch('ok:b1'))]);
    expect(a).toEqual([ok('a1'), ok('a2')]);
    expect(b).toEqual([ok('b1')]);
    await client.dispose();
  });

  it('answers sandbox-crash once disposed, for the batch in flight and any later one', async () => {
    const { spawn, spawned } = fakeWorkers();
    const client = createExecutorClient(spawn, { deadlineMs: 60_000 });
    const pending = client.runBatch(batch('hang', 'ok:2'));
    await client.dispose();
    expect(await pending).toMatchObject([{ reason: 'sandbox-crash' }, { reason: 'sandbox-crash' }]);
    expect(await client.runBatch(batch('ok:1'))).toMatchObject([{ reason: 'sandbox-crash', message: expect.stringMatching(/disposed/) }]);
    expect(spawned.every((w) => w.terminated)).toBe(true);
  });
});
