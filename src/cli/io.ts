/**
 * Shared plumbing of the JSON Lines CLIs (`validate`, `check`): limit flags and `--help`, reading
 * stdin in batches, checking each line's keys, writing one line per line in. A bad line gets a
 * one-line `{"id"?, "error"}` naming the problem; the exit code says whether any line was bad.
 */
import { createInterface } from 'node:readline';
import { createNodeExecutor, nodePoolSize } from '../sandbox/node';
import type { SandboxExecutor } from '../sandbox/client';
import { DEFAULT_LIMITS, type ExecutorLimits } from '../sandbox/types';

interface Flag {
  key: keyof ExecutorLimits | 'batch';
  min: number;
  max: number;
  /** Flag value × scale = the limit's unit. */
  scale: number;
  help: string;
}

const FLAGS: Record<string, Flag> = {
  '--budget': { key: 'budget', min: 1, max: 10_000_000, scale: 1, help: 'interrupt-handler calls per run (not ms: verdicts do not depend on load)' },
  '--memory-mb': { key: 'memoryBytes', min: 1, max: 1024, scale: 1024 * 1024, help: 'QuickJS memory limit per run, MB' },
  '--stack-kb': { key: 'stackBytes', min: 16, max: 384, scale: 1024, help: 'QuickJS stack limit, KB (above 384 a guest overflows the host)' },
  '--deadline-ms': { key: 'deadlineMs', min: 100, max: 600_000, scale: 1, help: 'wall-clock backstop per program, ms (worker killed, verdict timeout)' },
  '--max-output': { key: 'maxOutputChars', min: 16, max: 1_000_000, scale: 1, help: 'cap on the canonical output, characters' },
  '--max-program': { key: 'maxProgramChars', min: 1, max: 100_000, scale: 1, help: 'cap on the program, characters' },
  '--max-input': { key: 'maxInputChars', min: 1, max: 1_000_000, scale: 1, help: 'cap on the input (argument list), characters' },
  '--batch': { key: 'batch', min: 1, max: 100_000, scale: 1, help: 'lines per executor round trip' },
};

export const DEFAULT_BATCH = 256;

export interface CliOptions {
  limits: Partial<ExecutorLimits>;
  batch: number;
}

export type ArgsResult = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export function parseArgs(argv: string[]): ArgsResult {
  const options: CliOptions = { limits: {}, batch: DEFAULT_BATCH };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const flag = FLAGS[name];
    if (!flag) return { kind: 'error', message: `unknown argument ${JSON.stringify(arg)} (see --help)` };
    const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    const value = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < flag.min || value > flag.max) {
      return { kind: 'error', message: `${name} must be an integer from ${flag.min} to ${flag.max}, got ${JSON.stringify(text ?? null)}` };
    }
    if (flag.key === 'batch') options.batch = value;
    else options.limits[flag.key] = value * flag.scale;
  }
  return { kind: 'run', options };
}

const DEFAULT_SHOWN: Record<string, number> = {
  '--budget': DEFAULT_LIMITS.budget,
  '--memory-mb': DEFAULT_LIMITS.memoryBytes / (1024 * 1024),
  '--stack-kb': DEFAULT_LIMITS.stackBytes / 1024,
  '--deadline-ms': DEFAULT_LIMITS.deadlineMs,
  '--max-output': DEFAULT_LIMITS.maxOutputChars,
  '--max-program': DEFAULT_LIMITS.maxProgramChars,
  '--max-input': DEFAULT_LIMITS.maxInputChars,
  '--batch': DEFAULT_BATCH,
};

export function usage(command: string, body: string): string {
  const flags = Object.entries(FLAGS).map(([name, flag]) => `  ${`${name} N`.padEnd(17)} ${flag.help} (default ${DEFAULT_SHOWN[name]})`);
  return [
    `usage: npm run -s ${command} [-- flags] < in.jsonl > out.jsonl`,
    '',
    body,
    '',
    'A bad line (malformed JSON, unknown or missing keys, wrong types) gets {"id"?, "error": "..."} and the',
    'other lines are still answered; blank lines are skipped. Exit code: 0 if every line was well-formed,',
    '1 if any was bad, 2 for bad flags.',
    '',
    'flags (limits; defaults are the executor\'s contract):',
    ...flags,
    '',
  ].join('\n');
}

export type Id = string | number;

export type LineResult<T> = { ok: true; id?: Id; value: T } | { ok: false; id?: Id; error: string };

/** Parses one line as a JSON object whose keys are exactly `required` plus any of `optional` (and `id`). */
export function parseObjectLine(line: string): LineResult<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, error: `malformed JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `a line must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}` };
  }
  const object = value as Record<string, unknown>;
  if (!Object.hasOwn(object, 'id')) return { ok: true, value: object };
  const id = object.id;
  if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return { ok: true, id, value: object };
  return { ok: false, error: '"id" must be a string or a number' };
}

/** The first problem with an object's keys: an unknown one or a missing one (`id` is allowed where `withId`). */
export function keyProblem(object: Record<string, unknown>, required: readonly string[], where = '', withId = true): string | undefined {
  const allowed = new Set(withId ? [...required, 'id'] : required);
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) return `unknown key ${JSON.stringify(key)}${where} (allowed: ${[...allowed].join(', ')})`;
  }
  for (const key of required) {
    if (!Object.hasOwn(object, key)) return `missing key ${JSON.stringify(key)}${where}`;
  }
  return undefined;
}

export function stringProblem(object: Record<string, unknown>, keys: readonly string[], where = ''): string | undefined {
  for (const key of keys) {
    if (typeof object[key] !== 'string') return `${JSON.stringify(key)}${where} must be a string`;
  }
  return undefined;
}

/** An answer line: the id first when there is one. */
export function answerLine(id: Id | undefined, fields: Record<string, unknown>): string {
  return JSON.stringify(id === undefined ? fields : { id, ...fields });
}

/**
 * Reads stdin as JSON Lines and answers in order. Lines are handed to `answer` in batches: up to
 * `batch` lines, or whatever has arrived when input pauses, so a slow writer still gets replies.
 * Returns whether every line was well-formed.
 */
export async function serveJsonLines(
  options: CliOptions,
  answer: (executor: SandboxExecutor, lines: string[]) => Promise<{ lines: string[]; bad: number }>,
): Promise<boolean> {
  const executor = createNodeExecutor({ ...options.limits, workers: nodePoolSize() });
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let pending: string[] = [];
  let scheduled = false;
  let chain: Promise<void> = Promise.resolve();
  let bad = 0;
  const flush = () => {
    scheduled = false;
    while (pending.length > 0) {
      const lines = pending.slice(0, options.batch);
      pending = pending.slice(options.batch);
      chain = chain.then(async () => {
        const answered = await answer(executor, lines);
        bad += answered.bad;
        if (answered.lines.length > 0) await write(`${answered.lines.join('\n')}\n`);
      });
    }
  };
  input.on('line', (line) => {
    if (line.trim() === '') return;
    pending.push(line);
    if (pending.length >= options.batch) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  await new Promise<void>((resolve) => input.once('close', resolve));
  flush();
  try {
    await chain;
  } finally {
    await executor.dispose();
  }
  return bad === 0;
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

/** Runs a CLI's main: flags, `--help`, exit code; any unexpected failure is one line on stderr, never a stack. */
export function runCli(command: string, body: string, main: (options: CliOptions) => Promise<boolean>): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const args = parseArgs(process.argv.slice(2));
  if (args.kind === 'help') {
    process.stdout.write(usage(command, body));
    return;
  }
  if (args.kind === 'error') {
    process.stderr.write(`${command}: ${args.message}\n`);
    process.exitCode = 2;
    return;
  }
  main(args.options).then(
    (allGood) => {
      process.exitCode = allGood ? 0 : 1;
    },
    (error: unknown) => {
      process.stderr.write(`${command}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
