// The Node product helper thread: wiring only. Its link (shared memory and control words) comes in
// workerData; the loop (./product-threads) blocks until the caller stops it.
import { workerData } from 'node:worker_threads';
import { serveProductHelper, type ProductLink } from './product-threads';

serveProductHelper(workerData as ProductLink);
