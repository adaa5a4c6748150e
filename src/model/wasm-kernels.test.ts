// The wasm backend's own kernels (./wasm-kernels) against tfjs's built-in ops on the same inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from './node-backend';
import { tf } from './tf';
import { expNonPositive, gatherRows, layerNormBackward, logSoftmaxWithProbs, scatterAddRows, softmaxCrossEntropy, unstackBlocks } from './wasm-kernels';

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

  it('expNonPositive matches Math.exp to float32 precision over [−100, 0] and underflows to 0 like float32', () => {
    let worst = 0;
    for (let i = 0; i <= 200_000; i++) {
      const x = -100 * (i / 200_000) ** 2; // denser near 0, where the softmax's mass is
      worst = Math.max(worst, Math.abs(expNonPositive(x) - Math.exp(x)) / Math.exp(x));
    }
    expect(worst).toBeLessThan(1e-7);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-104)).toBeCloseTo(Math.exp(-104), 50);
    expect(expNonPositive(-1e9)).toBe(0);
  });

  it('softmaxCrossEntropy gives the loss and the logits gradient that tfjs ops give', () => {
    const N = 7;
    const V = 11;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      // Logits spread over ±30 (one row far out), weights with zeros and a non-unit value.
      const values = Array.from({ length: N * V }, (_, i) => Math.sin(i * 1.7) * (i < V ? 30 : 4));
      const z = tf.tensor2d(values, [N, V]);
      const targets = tf.tensor1d([0, 3, 10, 5, 5, 1, 9], 'int32');
      const weights = tf.tensor1d([1, 0, 1, 2.5, 1, 0, 1]);
      const scale = 0.37;
      const reference = (x: tf.Tensor2D) => tf.mul(tf.sum(tf.mul(tf.sum(tf.mul(tf.logSoftmax(x), tf.oneHot(targets, V)), -1), weights)), -scale) as tf.Scalar;
      const [loss, grad] = softmaxCrossEntropy(z, targets, weights, scale)!;
      expect(loss.shape).toEqual([]);
      expect(loss.dataSync()[0]).toBeCloseTo(reference(z).dataSync()[0], 5);
      // d/dz of −scale·Σ w·log softmax(z)[t] = scale·w·(softmax(z) − one-hot(t)).
      const expected = tf.mul(tf.sub(tf.softmax(z), tf.oneHot(targets, V)), tf.mul(tf.reshape(weights, [-1, 1]), scale)).dataSync();
      const ours = grad.dataSync();
      for (let i = 0; i < N * V; i++) expect(ours[i]).toBeCloseTo(expected[i], 6);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('softmaxCrossEntropy refuses a target outside the vocabulary, leaking nothing', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      expect(() => softmaxCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0, 3], 'int32'), tf.ones([2]) as tf.Tensor1D, 1)).toThrow(/outside/);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('layerNormBackward computes what the LayerNorm gradient formulas as tfjs ops compute', () => {
    const N = 5;
    const d = 9;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const wave = (n: number, f: number, a: number, c = 0) => Array.from({ length: n }, (_, i) => c + a * Math.sin(i * f));
      const x = tf.tensor2d(wave(N * d, 0.9, 3, 0.5), [N, d]);
      const gain = tf.tensor1d(wave(d, 1.3, 0.5, 1));
      const dy = tf.tensor2d(wave(N * d, 0.7, 1), [N, d]);
      const mean = tf.mean(x, -1, true);
      const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(tf.sub(x, mean)), -1, true), 1e-5));
      const xhat = tf.mul(tf.sub(x, mean), rstd);
      const dxhat = tf.mul(dy, gain);
      const dx = tf.mul(rstd, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true))));
      const expected = [dx, tf.sum(tf.mul(dy, xhat), 0), tf.sum(dy, 0)];
      const ours = layerNormBackward(dy, xhat as tf.Tensor2D, rstd as tf.Tensor2D, gain)!;
      ours.forEach((t, i) => {
        expect(t.shape).toEqual(expected[i].shape);
        const [a, b] = [t.dataSync(), expected[i].dataSync()];
        for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 5);
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('logSoftmaxWithProbs matches tf.logSoftmax and its exp, masked entries included', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const values = Array.from({ length: 4 * 6 }, (_, i) => (i % 5 === 0 ? -1e9 : Math.cos(i * 2.3) * 12));
      const z = tf.tensor2d(values, [4, 6]);
      const [logp, p] = logSoftmaxWithProbs(z)!;
      const expected = tf.logSoftmax(z);
      const [a, b, q] = [logp.dataSync(), expected.dataSync(), p.dataSync()];
      for (let i = 0; i < a.length; i++) {
        if (values[i] === -1e9) {
          expect(q[i]).toBe(0);
          expect(a[i]).toBeLessThan(-1e8);
        } else {
          expect(a[i]).toBeCloseTo(b[i], 5);
          expect(q[i]).toBeCloseTo(Math.exp(b[i]), 6);
        }
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
