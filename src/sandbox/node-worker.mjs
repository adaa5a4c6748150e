// Plain-JavaScript entry of the Node sandbox worker: registers tsx's loader in this thread, then loads
// the TypeScript entry. Works the same under tsx, Vitest and plain node.
import { register } from 'tsx/esm/api';

register();
await import('./node-worker.ts');
