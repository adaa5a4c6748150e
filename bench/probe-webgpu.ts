// Which WebGPU adapter the `webgpu` package finds in this process's environment: ./run.ts asks with the
// plain environment, then (no hardware adapter) with swiftShaderEnv(), before it plans the WebGPU jobs.
import { installNodeWebGPU } from '../src/model/node-backend';
import { runSection } from './harness';

await runSection(async () => installNodeWebGPU());
