import { describe, expect, it } from 'vitest';
import { tfjsFlagsFromEnv } from './node-backend';

describe('tfjsFlagsFromEnv', () => {
  it('reads NAME=value pairs as numbers, booleans or strings, and refuses anything else', () => {
    expect(tfjsFlagsFromEnv('')).toEqual({});
    expect(tfjsFlagsFromEnv('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64, WEBGPU_CPU_FORWARD=false,WEBGPU_PRINT_SHADER=matmul')).toEqual({
      WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 64, WEBGPU_CPU_FORWARD: false, WEBGPU_PRINT_SHADER: 'matmul',
    });
    expect(() => tfjsFlagsFromEnv('WEBGPU_CPU_FORWARD')).toThrow(/NAME=value/);
  });
});
