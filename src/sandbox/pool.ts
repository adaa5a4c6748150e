/**
 * Several sandbox workers as one executor. A batch is cut into small chunks; each worker takes the
 * next chunk when it has answered its last, so a chunk full of timeouts holds up one worker, not the
 * batch. A verdict is a function of (program, input), whatever worker gives it: validation demands
 * that two runs agree. Only the watchdog's `timeout` can depend on load, as with one worker. On a
 * machine with spare cores the check and validate phases of a self-play step (the trainer waits on
 * them) then run on all of them.
 */
import type { SandboxExecutor } from './client';
import type { RunRequest, Verdict } from './types';

/** Requests per chunk: small enough to balance, large enough that a round trip per chunk is noise. */
export const POOL_CHUNK = 16;

/**
 * Sandbox workers for a machine with `cores` logical cores: one per core beyond the one that trains,
 * at most 4, at least 1.
 */
export function poolSizeFor(cores: number): number {
  return Math.max(1, Math.min(4, Math.floor(cores) - 1));
}

/** `size` executors made by `make`, answering batches together in order; one executor is returned as is. */
export function createExecutorPool(make: () => SandboxExecutor, size: number, chunk = POOL_CHUNK): SandboxExecutor {
  if (!(size > 1)) return make();
  const members = Array.from({ length: Math.floor(size) }, make);
  return {
    async runBatch(requests: RunRequest[]): Promise<Verdict[]> {
      const verdicts: Verdict[] = new Array(requests.length);
      let next = 0;
      const worker = async (member: SandboxExecutor) => {
        while (next < requests.length) {
          const first = next;
          next = Math.min(requests.length, next + chunk);
          const answered = await member.runBatch(requests.slice(first, next));
          for (let i = 0; i < answered.length; i++) verdicts[first + i] = answered[i];
        }
      };
      await Promise.all(members.slice(0, Math.ceil(requests.length / chunk)).map(worker));
      return verdicts;
    },
    killWorker: () => members.map((m) => m.killWorker()).some((killed) => killed),
    async dispose(): Promise<void> {
      await Promise.all(members.map((m) => m.dispose()));
    },
  };
}
