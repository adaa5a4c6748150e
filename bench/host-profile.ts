// Where the host (the JS thread) spends a piece of work: V8's sampling profiler (node:inspector) around
// one call, summarised as self time per function and per package. On a real GPU, WebGPU steps are bound
// by host work per dispatch (bench/RESULTS.md "Real GPU"): this says whose work it is — tfjs's program
// and bind-group bookkeeping, the `webgpu` binding's native calls, V8's GC, or waiting for the device.
import { Session } from 'node:inspector/promises';
import { round } from './harness';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface HostProfile {
  wallMs: number;
  sampledMs: number;
  /** Self time by where the code lives: an npm package, a file of ours, or V8/native ("(program)", GC, idle). */
  byPackage: { where: string; ms: number; share: number }[];
  top: { fn: string; where: string; ms: number; share: number }[];
}

function where(url: string): string {
  if (!url) return '(native)';
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const parts = url.slice(i + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = url.indexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, '');
}

/** Runs `f` under the sampling profiler (100 µs interval) and summarises its self time. */
export async function profileHost(f: () => Promise<unknown>, topN = 25): Promise<HostProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const t0 = performance.now();
  let failed: { error: unknown } | undefined;
  try {
    await f();
  } catch (error) {
    failed = { error };
  }
  const wallMs = performance.now() - t0;
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  if (failed) throw failed.error;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  const byWhere = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)!.callFrame;
    // The inspector session's own message handling (starting and stopping the profiler) is not the work.
    if (frame.url === '' && (frame.functionName === 'dispatch' || frame.functionName === '(root)')) continue;
    const w = where(frame.url);
    const fn = frame.functionName || '(anonymous)';
    const key = `${fn}@${w}:${frame.lineNumber}`;
    const entry = byFn.get(key) ?? { fn, where: `${w}:${frame.lineNumber + 1}`, us: 0 };
    entry.us += us;
    byFn.set(key, entry);
    byWhere.set(w, (byWhere.get(w) ?? 0) + us);
    total += us;
  }
  const share = (us: number) => round(us / Math.max(total, 1), 3);
  return {
    wallMs: round(wallMs),
    sampledMs: round(total / 1000),
    byPackage: [...byWhere].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([w, us]) => ({ where: w, ms: round(us / 1000), share: share(us) })),
    top: [...byFn.values()].sort((a, b) => b.us - a.us).slice(0, topN).map((e) => ({ fn: e.fn, where: e.where, ms: round(e.us / 1000), share: share(e.us) })),
  };
}
