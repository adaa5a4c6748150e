// What every bench section shares: its arguments, a timer, and how it hands its result to ./run.ts.
// Each section runs in its own process (a fresh tfjs backend, a clean heap, its own environment for
// WebGPU) and writes one JSON object to the file named by `--out`.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { round, timeRuns, type Timing } from './lib';

export interface SectionArgs {
  quick: boolean;
  /** Free-form options of the section (`--opt key=value`). */
  opts: Record<string, string>;
}

/** Runs a section's body and writes its result (or its error) where the orchestrator reads it. */
export async function runSection(body: (args: SectionArgs) => Promise<unknown>): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, quick: { type: 'boolean', default: false }, opt: { type: 'string', multiple: true } },
    strict: true,
  });
  const opts: Record<string, string> = {};
  for (const kv of values.opt ?? []) {
    const eq = kv.indexOf('=');
    opts[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  let result: unknown;
  try {
    result = await body({ quick: values.quick ?? false, opts });
  } catch (e) {
    result = { error: e instanceof Error ? `${e.message}` : String(e) };
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  }
  const text = JSON.stringify(result);
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(`${text}\n`);
  // Worker threads, WebGPU devices and timers may linger; the result is written, so leave.
  process.exit(0);
}

export function log(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/** CPU time this process has used, ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Times `f` `runs` times after `warmup` untimed calls; the median wall time and this process's mean CPU time. */
export async function timeIt(runs: number, f: () => unknown, warmup = 1): Promise<Required<Timing>> {
  const t = await timeRuns(runs, f, warmup, processCpuMs);
  return { ...t, cpuMs: t.cpuMs! };
}

export { round };
