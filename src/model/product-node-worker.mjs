// Plain-JavaScript entry of the Node product helper thread (./product-threads): registers tsx's loader
// in this thread (loader hooks of the parent do not reach a worker), then serves.
import { register } from 'tsx/esm/api';

register();
await import('./product-node-worker.ts');
