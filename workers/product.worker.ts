// Product helper worker (browser): wiring only. The trainer worker posts the link (a shared memory and
// control words; the page is cross-origin isolated) and the loop (src/model/product-threads) serves the
// wasm backend's big products until the trainer stops it.
import { serveProductHelper, type ProductLink } from '../src/model/product-threads';

addEventListener('message', (event: MessageEvent<ProductLink>) => serveProductHelper(event.data), { once: true });
