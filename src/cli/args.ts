// Flag handling shared by the model CLIs (selfplay, pretrain, eval): strict flags, `--help`, and one
// way to refuse — a one-line message on stderr and exit code 2, never a stack trace.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BackendName } from '../model/tf';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O & typeof HELP; strict: true }>>['values'];

export type Fail = (message: string) => never;

export function failer(command: string): Fail {
  return (message) => {
    process.stderr.write(`${command}: ${message}\n`);
    process.exit(2);
  };
}

/** The flags' values, or undefined after printing the usage for `--help`; an unknown flag is refused. */
export function parseFlags<O extends Options>(options: O, usage: string, fail: Fail): Values<O> | undefined {
  let values: Values<O>;
  try {
    values = parseArgs({ options: { ...options, ...HELP }, strict: true }).values as Values<O>;
  } catch (e) {
    fail(`${(e as Error).message}\n\n${usage}`);
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(usage);
    return undefined;
  }
  return values;
}

/** `--backend`: a Node backend, or undefined to let the chooser pick. */
export function backendFlag(value: string | undefined, fail: Fail): BackendName | undefined {
  if (value !== undefined && !['cpu', 'wasm', 'webgpu'].includes(value)) fail('--backend must be cpu, wasm or webgpu');
  return value as BackendName | undefined;
}
