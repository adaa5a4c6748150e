import { tf } from './tf';
import { initNodeBackend } from './node-backend';
await initNodeBackend('wasm');
function time(label: string, f: () => tf.Tensor | tf.Tensor[]) {
  for (let i = 0; i < 3; i++) tf.dispose(f());
  const n = 10; const t0 = performance.now();
  for (let i = 0; i < n; i++) { const r = f(); (Array.isArray(r) ? r[0] : r).dataSync(); tf.dispose(r); }
  const ms = (performance.now() - t0) / n;
  console.log(label.padEnd(60), ms.toFixed(3), 'ms');
}
for (const [G, T] of [[64, 64], [160, 200]]) {
  const x3 = tf.randomNormal([G, T, 32]);
  const x4 = tf.reshape(x3, [G, 1, T, 32]);
  const idx = Array.from({ length: G }, (_, g) => tf.tensor1d([g], 'int32'));
  time(`G=${G} T=${T}: gathers`, () => idx.map((i) => tf.gather(x3, i, 0)));
  time(`G=${G} T=${T}: strided slices`, () => idx.map((_, g) => tf.stridedSlice(x4, [g, 0, 0, 0], [g + 1, 1, T, 32], [1, 2, 1, 1])));
  time(`G=${G} T=${T}: slices`, () => idx.map((_, g) => tf.slice(x3, [g, 0, 0], [1, T, 32])));
  const parts = idx.map((i) => tf.reshape(tf.gather(x3, i, 0), [T, 32]));
  time(`G=${G} T=${T}: concat ${G} parts`, () => tf.concat(parts, 0));
  time(`G=${G} T=${T}: transpose whole`, () => tf.transpose(x3, [0, 2, 1]));
}
