// The wasm backend's own kernels (./wasm-kernels) against tfjs's built-in ops on the same inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from './node-backend';
import { tf } from './tf';
import { gatherRows, scatterAddRows, unstackBlocks } from './wasm-kernels';

beforeAll(async () => {
  await initNodeBackend('wasm');
});
afterAll(async () => {
  await initNodeBackend('cpu');
});

const table = () => tf.tensor2d(Array.from({ length: 5 * 3 }, (_, i) => i * 0.5 - 2), [5, 3]);

describe('wasm kernels', () => {
  it('gatherRows copies rows by index, repeats included, like tf.gather', () => {
    expect(tf.getBackend()).toBe('wasm');
    tf.tidy(() => {
      const ids = tf.tensor1d([4, 0, 4, 2], 'int32');
      expect(gatherRows(table(), ids).arraySync()).toEqual(tf.gather(table(), ids).arraySync());
    });
  });

  it('scatterAddRows sums the rows of repeated ids and leaves untouched rows at zero', () => {
    tf.tidy(() => {
      const dy = tf.tensor2d([[1, 2], [10, 20], [100, 200], [0.5, 0.25]], [4, 2]);
      const ids = tf.tensor1d([3, 0, 3, 3], 'int32');
      expect(scatterAddRows(dy, ids, 5).arraySync()).toEqual([[10, 20], [0, 0], [0, 0], [101.5, 202.25], [0, 0]]);
    });
  });

  it('both refuse an index outside the table instead of reading or writing past it, leaking nothing', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(() => gatherRows(table(), tf.tensor1d([5], 'int32'))).toThrow(/outside/);
      expect(() => scatterAddRows(tf.ones([1, 3]) as tf.Tensor2D, tf.tensor1d([-1], 'int32'), 5)).toThrow(/outside/);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('unstackBlocks splits [G, R, C] like tf.unstack and leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i), [4, 2, 3]);
      const ours = unstackBlocks(x).map((b) => b.arraySync());
      expect(ours).toEqual(tf.unstack(x).map((b) => b.arraySync()));
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
