// Fused WebGPU kernels for the ops whose tfjs form is many small dispatches. On a real GPU our steps are
// bound by the host's work per dispatch (bind groups, uniforms, validation, encoding: ≈ 0.13 ms each on
// the H100 machine of bench/RESULTS.md "Real GPU"), not by arithmetic, so a decode step costs what its
// dispatch count does. Each kernel here replaces several:
// - AzrLayerNorm: LayerNorm's forward over the last axis of [N, d] with gain and bias, one workgroup per
//   row (mean and variance by shared-memory reductions), where tfjs's ops are 9 dispatches (two means, a
//   subtraction, a square, an add, an rsqrt and three elementwise products and sums). A decode step of
//   the default model has 9 LayerNorms: 81 of its ≈ 180 dispatches.
// - AzrGelu: x·σ(1.702x) in one elementwise pass instead of three (multiply, sigmoid, multiply).
// - AzrAppendKeys, AzrAppendValues, AzrDecodeAttention: one decode step's attention over the KV cache
//   (./attention `attendWithCache` with one new position per row) in three dispatches instead of twelve
//   (head transposes, a split, the scaling, two concatenations, two batched matmuls, the bias and the
//   softmax): the new key and value are appended to copies of the cache, then one workgroup per
//   (sequence, head) scores the cache, normalises and mixes the values.
// - AzrLayerNormStats, AzrLayerNormGradInput, AzrLayerNormGradParams: LayerNorm's backward in four
//   dispatches (each row's mean and 1/std; dx, one workgroup per row; dgain and dbias, one thread per
//   column) where tfjs's ops take eighteen (recomputing the normalised input, then twelve for the
//   gradient): ≈ 130 of a default training step's dispatches.
// - AzrAdamWWebGPU: one AdamW update of one parameter in three elementwise dispatches (the new weights,
//   first and second moments, each recomputing the moments from the old ones), where tfjs's ops are ≈ 16
//   per parameter: ≈ 560 of a default training step's ≈ 1,130 dispatches. Its step-dependent scalars
//   are uniforms, so one compiled program serves every step.
// - AzrNormProject, AzrDecodeMlp (decoding only, no gradient): for the few rows of a decode step, a
//   LayerNorm and the projection after it in one dispatch (ln1 → qkv), and a block's whole MLP with its
//   residual, x + GELU(LN(x)·w1)·w2, in one instead of four; one workgroup per row, the normalised row
//   and the hidden layer in workgroup memory; the final LayerNorm rides in the logits' projection (the
//   tied embedding read transposed), and the token and position embeddings are one gather-and-add
//   (AzrEmbedSum). A default decode step: 47 → 26 dispatches (countDispatches, in a sampling loop).
// - AzrDecodeEmbed, AzrDecodeBlock, AzrAppendJoined (`decodeStep`, decoding only): a whole decode step in
//   one dispatch per block plus two, where the kernels above take 6 per block plus 2. The first embeds each
//   row's token and writes one packed row [x | LN1(x)·wqkv]; per block, one workgroup per row runs the
//   whole block: attention head by head over the cached keys and the row's own new key, the output
//   projection, the MLP, both residuals, and the next block's LayerNorm and projection (or, after the last
//   block, the final LayerNorm and the logits). Every block's keys and values live in one tensor (the
//   joined cache), so the last dispatch writes all blocks' new keys and values into its room, in place. A
//   block's weights travel as one packed tensor, rebuilt only when the weights change: WebGPU guarantees
//   8 storage buffers per dispatch. A default decode step: 26 → 13 dispatches (a key and a value append per
//   block, each copying its block's cache), then 13 → 6 with the joined cache.
// Only the forward passes are fused; the gradients (./ops) recompute what they need with tfjs ops, and
// decoding needs none.
// The programs are plain objects in the shape of tfjs-backend-webgpu's WebGPUProgram: the backend module
// itself is only imported dynamically (./tf), after `navigator.gpu` exists, so nothing here imports it.
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { LayerCache } from './attention';
import { tf } from './tf';
import type { AdamWScalars } from './wasm-kernels';

const LAYER_NORM = 'AzrLayerNorm';
const GELU = 'AzrGelu';
const APPEND_KEYS = 'AzrAppendKeys';
const APPEND_VALUES = 'AzrAppendValues';
const DECODE_ATTENTION = 'AzrDecodeAttention';
const ADAMW = 'AzrAdamWWebGPU';
const LAYER_NORM_STATS = 'AzrLayerNormStats';
const LAYER_NORM_GRAD_INPUT = 'AzrLayerNormGradInput';
const LAYER_NORM_GRAD_PARAMS = 'AzrLayerNormGradParams';
const NORM_PROJECT = 'AzrNormProject';
const DECODE_MLP = 'AzrDecodeMlp';
const EMBED_SUM = 'AzrEmbedSum';
const DECODE_EMBED = 'AzrDecodeEmbed';
const DECODE_BLOCK = 'AzrDecodeBlock';
const APPEND_JOINED = 'AzrAppendJoined';
const REGROW_JOINED = 'AzrRegrowJoined';

/** Rows up to which a decode step's LayerNorm and projections run as one kernel per row (see normProject). */
const DECODE_MAX_ROWS = 512;
/** Floats of workgroup memory the decode kernels may hold (WebGPU guarantees 16 KB; 64 go to `partial`). */
const DECODE_MAX_SHARED = 3_900;

/** Workgroup size of both kernels: one row per workgroup for LayerNorm, 64 elements per workgroup for GELU. */
const THREADS = 64;
/**
 * Workgroup size of a whole decode step's kernels (`decodeStep`), whose one workgroup per row does a
 * block's every product and its attention: more threads, shorter chains of dependent reads per thread.
 */
const DECODE_THREADS = 128;
/** Blocks whose new keys and values one in-place append writes: 7 rows and the cache fill WebGPU's
 * guaranteed 8 storage buffers. */
const APPEND_MAX_ROWS = 7;
/** The most workgroups one dispatch dimension takes (WebGPU's default maxComputeWorkgroupsPerDimension). */
const MAX_GROUPS = 65535;

const onWebGPU = () => tf.getBackend() === 'webgpu';

/** A dispatch of `groups` workgroups, folded into two dimensions past the per-dimension limit. */
function dispatchOf(groups: number): [number, number, number] {
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const x = Math.ceil(Math.sqrt(groups));
  return [x, Math.ceil(groups / x), 1];
}

/**
 * WGSL: the workgroup's shared `partial` array, and `name(tid)`, which folds it with `combine(a, b)` by
 * halving strides and returns the result to every thread. Threads store their own value in partial[tid]
 * and pass a barrier first; a barrier must follow before partial is written again.
 */
function workgroupReduce(names: Record<string, (a: string, b: string) => string>, threads = THREADS): string {
  return `
    var<workgroup> partial : array<f32, ${threads}>;
    ${Object.entries(names).map(([name, combine]) => `
    fn ${name}(tid : i32) -> f32 {
      for (var stride = ${threads / 2}; stride > 0; stride = stride >> 1) {
        if (tid < stride) {
          partial[tid] = ${combine('partial[tid]', 'partial[tid + stride]')};
        }
        workgroupBarrier();
      }
      return partial[0];
    }`).join('')}`;
}

/**
 * WGSL statements (inside `main`, with `row`, `tid`, `cols` and `inRange` defined, and the sum reduction
 * of `workgroupReduce` and the workgroup variables `rowMean` and `rowRstd` declared) that leave the row's
 * mean and 1 / √(variance + ε) of x in rowMean and rowRstd for every thread.
 */
function rowStatistics(epsilon: number): string {
  return `
      var sum = 0.0;
      if (inRange) {
        for (var col = tid; col < cols; col += ${THREADS}) {
          sum += getX(row, col);
        }
      }
      partial[tid] = sum;
      workgroupBarrier();
      let total = reduceSum(tid);
      if (tid == 0) {
        rowMean = total / f32(cols);
      }
      workgroupBarrier();
      var squares = 0.0;
      if (inRange) {
        for (var col = tid; col < cols; col += ${THREADS}) {
          let c = getX(row, col) - rowMean;
          squares += c * c;
        }
      }
      workgroupBarrier();
      partial[tid] = squares;
      workgroupBarrier();
      let variance = reduceSum(tid) / f32(cols);
      if (tid == 0) {
        rowRstd = inverseSqrt(variance + ${epsilon.toExponential()});
      }
      workgroupBarrier();`;
}

/**
 * A program with one workgroup per row of x [N, d] that first leaves the row's mean and 1/std in
 * rowMean and rowRstd (`rowStatistics`), then runs `write` (WGSL with row, tid, cols, inRange in scope).
 */
function rowStatisticsProgram(variableNames: string[], outputShape: number[], epsilon: number, shaderKey: string, write: string, declarations = ''): WebGPUProgram {
  return {
    variableNames,
    outputShape,
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(outputShape[0]),
    workgroupSize: [THREADS, 1, 1],
    shaderKey: `${shaderKey}_${epsilon}`,
    getUserCode: () => `
    ${workgroupReduce({ reduceSum: (a, b) => `${a} + ${b}` })}
    var<workgroup> rowMean : f32;
    var<workgroup> rowRstd : f32;
    ${declarations}
    fn main(index : i32) {
      let row = index / ${THREADS};
      let tid = i32(localId.x);
      let cols = uniforms.xShape[1];
      let inRange = row < uniforms.outShape[0];
      ${rowStatistics(epsilon)}
      ${write}
    }`,
  };
}

function layerNormProgram(shape: number[], epsilon: number): WebGPUProgram {
  return rowStatisticsProgram(['x', 'gain', 'bias'], shape, epsilon, 'azrLayerNorm', `
      if (inRange) {
        for (var col = tid; col < cols; col += ${THREADS}) {
          setOutputAtCoords(row, col, (getX(row, col) - rowMean) * rowRstd * getGain(col) + getBias(col));
        }
      }`);
}

/**
 * WGSL (inside a row-statistics `main`): the row's LayerNorm output (x − mean)·rstd·gain + bias into the
 * workgroup array `normed`, then a barrier.
 */
const NORMED_ROW = `
      if (inRange) {
        for (var k = tid; k < cols; k += ${THREADS}) {
          normed[k] = (getX(row, k) - rowMean) * rowRstd * getGain(k) + getBias(k);
        }
      }
      workgroupBarrier();`;

/**
 * LayerNorm(x) @ w for a few rows (a decode step's): x [N, d], w [d, n] → [N, n], one workgroup per row
 * holding its normalised row in workgroup memory; each thread sums n / 64 output columns over d.
 */
function normProjectProgram(N: number, d: number, n: number, epsilon: number, transposed: boolean): WebGPUProgram {
  return rowStatisticsProgram(['x', 'gain', 'bias', 'w'], [N, n], epsilon, `azrNormProject_${d}_${transposed ? 'T' : 'N'}`, `
      ${NORMED_ROW}
      if (inRange) {
        for (var col = tid; col < uniforms.outShape[1]; col += ${THREADS}) {
          var acc = 0.0;
          for (var k = 0; k < cols; k++) {
            acc += normed[k] * ${transposed ? 'getW(col, k)' : 'getW(k, col)'};
          }
          setOutputAtCoords(row, col, acc);
        }
      }`, `var<workgroup> normed : array<f32, ${d}>;`);
}

/**
 * A transformer block's MLP with its residual for a few rows: x + GELU(LayerNorm(x) @ w1) @ w2, x [N, d],
 * w1 [d, f], w2 [f, d]; one workgroup per row, the normalised row and the hidden layer in workgroup
 * memory. GELU is x·σ(k·x), as AzrGelu.
 */
function decodeMlpProgram(N: number, d: number, f: number, epsilon: number, k: number): WebGPUProgram {
  return rowStatisticsProgram(['x', 'gain', 'bias', 'w1', 'w2'], [N, d], epsilon, `azrDecodeMlp_${d}_${f}_${k}`, `
      ${NORMED_ROW}
      if (inRange) {
        for (var j = tid; j < ${f}; j += ${THREADS}) {
          var acc = 0.0;
          for (var k = 0; k < cols; k++) {
            acc += normed[k] * getW1(k, j);
          }
          hidden[j] = acc / (1.0 + exp(-${k.toFixed(6)} * acc));
        }
      }
      workgroupBarrier();
      if (inRange) {
        for (var col = tid; col < cols; col += ${THREADS}) {
          var acc = 0.0;
          for (var j = 0; j < ${f}; j++) {
            acc += hidden[j] * getW2(j, col);
          }
          setOutputAtCoords(row, col, getX(row, col) + acc);
        }
      }`, `var<workgroup> normed : array<f32, ${d}>;
    var<workgroup> hidden : array<f32, ${f}>;`);
}

/** Token plus position embeddings of N rows: table[ids[r]] + positionTable[positions[r]] → [N, d]. */
function embedSumProgram(N: number, d: number): WebGPUProgram {
  return {
    variableNames: ['table', 'ids', 'positionTable', 'positions'],
    outputShape: [N, d],
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(Math.ceil((N * d) / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    size: true,
    shaderKey: 'azrEmbedSum',
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let cols = uniforms.outShape[1];
        let row = index / cols;
        let col = index - row * cols;
        setOutputAtIndex(index, getTable(i32(getIds(row)), col) + getPositionTable(i32(getPositions(row)), col));
      }
    }`,
  };
}

/** Each row's mean and 1 / √(variance + ε) of x [N, d] → [N, 2], one workgroup per row. */
function layerNormStatsProgram(N: number, epsilon: number): WebGPUProgram {
  return rowStatisticsProgram(['x'], [N, 2], epsilon, 'azrLayerNormStats', `
      if (tid == 0 && inRange) {
        setOutputAtCoords(row, 0, rowMean);
        setOutputAtCoords(row, 1, rowRstd);
      }`);
}

/**
 * dx of LayerNorm [N, d] from dy, x, the row statistics [N, 2] and the gain: with x̂ = (x − mean)·rstd
 * and g = dy·gain, dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), one workgroup per row.
 */
function layerNormGradInputProgram(shape: number[]): WebGPUProgram {
  return {
    variableNames: ['dy', 'x', 'stats', 'gain'],
    outputShape: shape,
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(shape[0]),
    workgroupSize: [THREADS, 1, 1],
    shaderKey: 'azrLayerNormGradInput',
    getUserCode: () => `
    ${workgroupReduce({ reduceSum: (a, b) => `${a} + ${b}` })}
    fn main(index : i32) {
      let row = index / ${THREADS};
      let tid = i32(localId.x);
      let cols = uniforms.outShape[1];
      let inRange = row < uniforms.outShape[0];
      var mean = 0.0;
      var rstd = 0.0;
      if (inRange) {
        mean = getStats(row, 0);
        rstd = getStats(row, 1);
      }
      var sumG = 0.0;
      var sumGX = 0.0;
      if (inRange) {
        for (var col = tid; col < cols; col += ${THREADS}) {
          let g = getDy(row, col) * getGain(col);
          sumG += g;
          sumGX += g * (getX(row, col) - mean) * rstd;
        }
      }
      partial[tid] = sumG;
      workgroupBarrier();
      let meanG = reduceSum(tid) / f32(cols);
      workgroupBarrier();
      partial[tid] = sumGX;
      workgroupBarrier();
      let meanGX = reduceSum(tid) / f32(cols);
      if (inRange) {
        for (var col = tid; col < cols; col += ${THREADS}) {
          let xhat = (getX(row, col) - mean) * rstd;
          setOutputAtCoords(row, col, rstd * (getDy(row, col) * getGain(col) - meanG - xhat * meanGX));
        }
      }
    }`,
  };
}

/** dgain (Σ over rows of dy·x̂) or dbias (Σ over rows of dy) of LayerNorm, [d], one thread per column. */
function layerNormGradParamsProgram(which: 'gain' | 'bias', d: number): WebGPUProgram {
  return {
    variableNames: which === 'gain' ? ['dy', 'x', 'stats'] : ['dy'],
    outputShape: [d],
    dispatchLayout: { x: [0] },
    dispatch: dispatchOf(Math.ceil(d / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    size: true,
    shaderKey: `azrLayerNormGrad_${which}`,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let rows = uniforms.dyShape[0];
        var acc = 0.0;
        for (var row = 0; row < rows; row++) {
          ${which === 'gain' ? 'acc += getDy(row, index) * (getX(row, index) - getStats(row, 0)) * getStats(row, 1);' : 'acc += getDy(row, index);'}
        }
        setOutputAtIndex(index, acc);
      }
    }`,
  };
}

function geluProgram(shape: number[], k: number): WebGPUProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    variableNames: ['x'],
    outputShape: shape,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: dispatchOf(Math.ceil(size / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    size: true,
    shaderKey: `azrGelu_${k}`,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let v = getXByOutputIndex(index);
        setOutputAtIndex(index, v / (1.0 + exp(-${k.toFixed(6)} * v)));
      }
    }`,
  };
}

/** Heads of one attention call: H heads of width hd over a model width d = H·hd. */
interface HeadAttrs {
  H: number;
  hd: number;
}

/**
 * Columns of a decode step's cache: its keys rounded up to a multiple of CACHE_CHUNK (at most the context
 * length). tfjs's WebGPU buffer pool reuses a freed buffer only for a request of exactly its size and never
 * frees one, so a cache one column longer each step took a new buffer each step and kept every old one:
 * for the default model's 48 rows, ≈ 200 KB × cache length a step, gigabytes a sampling call. With the
 * room, a step's caches have the sizes of the step before's, whose buffers it gets back from the pool.
 */
const CACHE_CHUNK = 32;
function cacheColumns(keys: number, maxKeys: number): number {
  return Math.max(keys, Math.min(maxKeys, Math.ceil(keys / CACHE_CHUNK) * CACHE_CHUNK));
}

/**
 * The cache with this step's keys (`keys`: past kT [B·H, hd, ≥ held] → [B·H, hd, C]) or values (`values`:
 * past v [B·H, ≥ held, hd] → [B·H, C, hd]) written at column `held` (a uniform), read from qkv [B, 3d]:
 * the past's first `held` columns are its keys, columns after the new one are room (zeros, never read:
 * the programs that read a cache take their key count from the bias).
 */
function appendProgram(which: 'keys' | 'values', outShape: number[], { H, hd }: HeadAttrs): WebGPUProgram {
  const size = outShape.reduce((a, b) => a * b, 1);
  const d = H * hd;
  // keys: coords (bh, c, j), the new key at j = Tp; values: coords (bh, j, c), the new value at j = Tp.
  const [j, c, offset] = which === 'keys' ? ['coords.z', 'coords.y', d] : ['coords.y', 'coords.z', 2 * d];
  return {
    variableNames: ['past', 'qkv'],
    outputShape: outShape,
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: dispatchOf(Math.ceil(size / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    size: true,
    uniforms: 'held : i32,',
    shaderKey: `azrAppend_${which}_${H}_${hd}`,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let coords = getCoordsFromIndex(index);
        let held = uniforms.held;
        var value = 0.0;
        if (${j} < held) {
          value = getPast(coords.x, coords.y, coords.z);
        } else if (${j} == held) {
          value = getQkv(coords.x / ${H}, ${offset} + (coords.x % ${H}) * ${hd} + ${c});
        }
        setOutputAtIndex(index, value);
      }
    }`,
  };
}

/**
 * WGSL statements (inside a decode attention `main`, with b, tid, tk, inRange, the workgroup array
 * weights, and the reductions `reduceMax` and `reduceSum` in scope): one head's scores of the new position
 * against its tk keys, `dot(j, init)` (a WGSL expression: init + q·key j) from the bias[b, j], softmaxed
 * into weights[j] up to their sum, which they leave in `total`.
 */
function softmaxOverCache(threads: number, dot: (j: string, init: string) => string): string {
  return `
      var localMax = -3.402823e+38;
      if (inRange) {
        for (var j = tid; j < tk; j += ${threads}) {
          let s = ${dot('j', 'getBias(b, 0, 0, j)')};
          weights[j] = s;
          localMax = max(localMax, s);
        }
      }
      partial[tid] = localMax;
      workgroupBarrier();
      let rowMax = reduceMax(tid);
      workgroupBarrier();
      var localSum = 0.0;
      if (inRange) {
        for (var j = tid; j < tk; j += ${threads}) {
          let e = exp(weights[j] - rowMax);
          weights[j] = e;
          localSum += e;
        }
      }
      partial[tid] = localSum;
      workgroupBarrier();
      let total = reduceSum(tid);`;
}

/**
 * y [B, d] of one new position per sequence over keys kT [B·H, hd, Tk] and values v [B·H, Tk, hd], with
 * q from qkv [B, 3d] and an additive bias [B, 1, 1, Tk]: one workgroup per (sequence, head).
 */
function decodeAttentionProgram(B: number, { H, hd }: HeadAttrs, maxKeys: number): WebGPUProgram {
  return {
    variableNames: ['qkv', 'keys', 'values', 'bias'],
    outputShape: [B, H * hd],
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(B * H),
    workgroupSize: [THREADS, 1, 1],
    shaderKey: `azrDecodeAttention_${H}_${hd}_${maxKeys}`,
    getUserCode: () => `
    var<workgroup> q : array<f32, ${hd}>;
    var<workgroup> weights : array<f32, ${maxKeys}>;
    ${workgroupReduce({ reduceMax: (a, b) => `max(${a}, ${b})`, reduceSum: (a, b) => `${a} + ${b}` })}
    fn keyDot(bh : i32, j : i32, init : f32) -> f32 {
      var s = init;
      for (var c = 0; c < ${hd}; c++) {
        s += q[c] * getKeys(bh, c, j);
      }
      return s;
    }
    fn main(index : i32) {
      let bh = index / ${THREADS};
      let tid = i32(localId.x);
      // Shapes come from uniforms, never from constants: a compiled program is cached by its shaderKey
      // and its inputs' ranks, so one program serves every batch size and cache length.
      let inRange = bh < uniforms.outShape[0] * ${H};
      let b = bh / ${H};
      let h = bh % ${H};
      let tk = uniforms.biasShape[3];
      if (inRange) {
        for (var c = tid; c < ${hd}; c += ${THREADS}) {
          q[c] = getQkv(b, h * ${hd} + c) * ${(1 / Math.sqrt(hd)).toExponential(9)};
        }
      }
      workgroupBarrier();
      ${softmaxOverCache(THREADS, (j, init) => `keyDot(bh, ${j}, ${init})`)}
      if (inRange) {
        for (var c = tid; c < ${hd}; c += ${THREADS}) {
          var acc = 0.0;
          for (var j = 0; j < tk; j++) {
            acc += weights[j] * getValues(bh, j, c);
          }
          setOutputAtCoords(b, h * ${hd} + c, acc / total);
        }
      }
    }`,
  };
}

/**
 * WGSL statements: LayerNorm of the workgroup array `src` (d floats) with the gain and bias read by
 * `gain(k)` and `bias(k)` into the workgroup array `dst`, then a barrier. Every thread of the workgroup runs them
 * (they hold barriers); `partial` is free on entry and on exit.
 */
function sharedLayerNorm(src: string, dst: string, d: number, epsilon: number, gain: (k: string) => string, bias: (k: string) => string): string {
  return `
      {
        var sum = 0.0;
        for (var k = tid; k < ${d}; k += ${DECODE_THREADS}) {
          sum += ${src}[k];
        }
        partial[tid] = sum;
        workgroupBarrier();
        let mean = reduceSum(tid) / f32(${d});
        workgroupBarrier();
        var squares = 0.0;
        for (var k = tid; k < ${d}; k += ${DECODE_THREADS}) {
          let c = ${src}[k] - mean;
          squares += c * c;
        }
        partial[tid] = squares;
        workgroupBarrier();
        let rstd = inverseSqrt(reduceSum(tid) / f32(${d}) + ${epsilon.toExponential()});
        workgroupBarrier();
        for (var k = tid; k < ${d}; k += ${DECODE_THREADS}) {
          ${dst}[k] = (${src}[k] - mean) * rstd * ${gain('k')} + ${bias('k')};
        }
        workgroupBarrier();
      }`;
}

/**
 * WGSL statements that write a decode step's packed row [x | LN(x) @ wqkv] (d + 3d columns) of row `b`
 * from the workgroup arrays `stream` (the residual stream x) and `normed` (its LayerNorm), with wqkv [d, 3d]
 * read by `w(k, col)`.
 */
function packedRowWrite(d: number, w: (k: string, col: string) => string): string {
  return `
      if (inRange) {
        for (var col = tid; col < ${d}; col += ${DECODE_THREADS}) {
          setOutputAtCoords(b, col, stream[col]);
        }
        for (var col = tid; col < ${3 * d}; col += ${DECODE_THREADS}) {
          var acc = 0.0;
          for (var k = 0; k < ${d}; k++) {
            acc += normed[k] * ${w('k', 'col')};
          }
          setOutputAtCoords(b, ${d} + col, acc);
        }
      }`;
}

/**
 * A decode-step program of one workgroup (DECODE_THREADS) per row of its [B, n] output: `declarations`
 * (WGSL at module scope), then `body` inside `main` with the row b, the thread tid and inRange in scope.
 * Shapes come from uniforms, never from constants: one compiled program serves every batch size and
 * cache length.
 */
function decodeRowProgram(variableNames: string[], outputShape: number[], shaderKey: string, declarations: string, body: string, uniforms?: string): WebGPUProgram {
  return {
    variableNames,
    outputShape,
    ...(uniforms ? { uniforms } : {}),
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(outputShape[0]),
    workgroupSize: [DECODE_THREADS, 1, 1],
    shaderKey,
    getUserCode: () => `${declarations}
    fn main(index : i32) {
      let b = index / ${DECODE_THREADS};
      let tid = i32(localId.x);
      let inRange = b < uniforms.outShape[0];${body}
    }`,
  };
}

/**
 * The start of a decode step: the embeddings of each row's token at its position, and the first block's
 * LayerNorm and query/key/value projection, as one packed row [x | qkv] per sequence ([B, 4d]); one
 * workgroup per row.
 */
function decodeEmbedProgram(B: number, d: number, epsilon: number): WebGPUProgram {
  return decodeRowProgram(['table', 'ids', 'positionTable', 'positions', 'gain', 'bias', 'w'], [B, 4 * d], `azrDecodeEmbed_${d}_${epsilon}`, `
    ${workgroupReduce({ reduceSum: (a, b) => `${a} + ${b}` }, DECODE_THREADS)}
    var<workgroup> stream : array<f32, ${d}>;
    var<workgroup> normed : array<f32, ${d}>;`, `
      if (inRange) {
        let token = i32(getIds(b));
        let position = i32(getPositions(b));
        for (var k = tid; k < ${d}; k += ${DECODE_THREADS}) {
          stream[k] = getTable(token, k) + getPositionTable(position, k);
        }
      }
      workgroupBarrier();
      ${sharedLayerNorm('stream', 'normed', d, epsilon, (k) => `getGain(${k})`, (k) => `getBias(${k})`)}
      ${packedRowWrite(d, (k, col) => `getW(${k}, ${col})`)}`);
}

/**
 * Where each weight of one block's decode-step kernel lies in its packed weights (`blockPackNames`, each
 * flattened row-major): the block's output projection wo [d, d], its MLP's LayerNorm (gain, bias) and
 * weights w1 [d, f], w2 [f, d], then the next block's LayerNorm and projection wqkv [d, 3d], or for the last
 * block the final LayerNorm only.
 */
function blockPackOffsets(d: number, f: number) {
  const wo = 0;
  const gainMlp = wo + d * d;
  const biasMlp = gainMlp + d;
  const w1 = biasMlp + d;
  const w2 = w1 + d * f;
  const gain = w2 + f * d;
  const shift = gain + d;
  const wqkv = shift + d;
  return { wo, gainMlp, biasMlp, w1, w2, gain, shift, wqkv };
}

/** The parameter names packed, in order, for block l of n (see blockPackOffsets). */
export function blockPackNames(l: number, n: number): string[] {
  const next = l === n - 1 ? ['lnf.g', 'lnf.b'] : [`h.${l + 1}.ln1.g`, `h.${l + 1}.ln1.b`, `h.${l + 1}.attn.wqkv`];
  return [`h.${l}.attn.wo`, `h.${l}.ln2.g`, `h.${l}.ln2.b`, `h.${l}.mlp.w1`, `h.${l}.mlp.w2`, ...next];
}

/**
 * The rest of one transformer block for one new position per row, from its packed row [x | qkv] ([B, 4d]),
 * the joined cache of every block ([B, W], see JoinedCache; this block's keys at the uniform `keyBase`, its
 * values d·C further, C the uniform `columns`) and the bias [B, 1, 1, Tk]: attention head by head over the
 * Tk − 1 keys the cache holds and the new one, read from the row (the append after the step writes it into
 * the cache), the output projection and its residual, the MLP and its residual, then either the next
 * block's packed row (`next`) or the logits (`logits`: the final LayerNorm, then the tied embedding
 * `table` [V, d] read transposed). The block's weights come as one packed tensor (`blockPackOffsets`):
 * WebGPU guarantees only 8 storage buffers per dispatch. One workgroup per row; every intermediate lives in
 * workgroup memory.
 */
function decodeBlockProgram(B: number, { H, hd }: HeadAttrs, f: number, maxKeys: number, epsilon: number, k: number, tail: 'next' | 'logits', V: number): WebGPUProgram {
  const d = H * hd;
  const groups = DECODE_THREADS / hd;
  const o = blockPackOffsets(d, f);
  const at = (offset: number, index: string) => `getPack(${offset} + ${index})`;
  const write = tail === 'next' ? packedRowWrite(d, (k, col) => at(o.wqkv, `${k} * ${3 * d} + ${col}`)) : `
      if (inRange) {
        for (var col = tid; col < uniforms.outShape[1]; col += ${DECODE_THREADS}) {
          var acc = 0.0;
          for (var k = 0; k < ${d}; k++) {
            acc += normed[k] * getTable(col, k);
          }
          setOutputAtCoords(b, col, acc);
        }
      }`;
  const variableNames = ['row', 'cache', 'bias', 'pack', ...(tail === 'logits' ? ['table'] : [])];
  return decodeRowProgram(variableNames, [B, tail === 'next' ? 4 * d : V], `azrDecodeBlock_${H}_${hd}_${f}_${maxKeys}_${epsilon}_${k}_${tail}`, `
    ${workgroupReduce({ reduceMax: (a, b) => `max(${a}, ${b})`, reduceSum: (a, b) => `${a} + ${b}` }, DECODE_THREADS)}
    var<workgroup> q : array<f32, ${d}>;
    var<workgroup> weights : array<f32, ${maxKeys}>;
    var<workgroup> attended : array<f32, ${d}>;
    var<workgroup> afterAttention : array<f32, ${d}>;
    var<workgroup> normed : array<f32, ${d}>;
    var<workgroup> hidden : array<f32, ${f}>;
    var<workgroup> stream : array<f32, ${d}>;
    var<workgroup> mixed : array<f32, ${DECODE_THREADS}>;
    // Key j of head h for row b, plus init: held keys from the cache ([H·hd, C] from keyBase), the new one
    // from the row's k.
    fn keyDot(b : i32, h : i32, j : i32, init : f32) -> f32 {
      var s = init;
      if (j < uniforms.biasShape[3] - 1) {
        let base = uniforms.keyBase + h * ${hd} * uniforms.columns + j;
        for (var c = 0; c < ${hd}; c++) {
          s += q[h * ${hd} + c] * getCache(b, base + c * uniforms.columns);
        }
      } else {
        for (var c = 0; c < ${hd}; c++) {
          s += q[h * ${hd} + c] * getRow(b, ${2 * d} + h * ${hd} + c);
        }
      }
      return s;
    }
    // Value j of head h, element c: held values from the cache ([H, C, hd] d·C after the keys), the new one
    // from the row's v.
    fn cachedValue(b : i32, h : i32, j : i32, c : i32) -> f32 {
      if (j < uniforms.biasShape[3] - 1) {
        return getCache(b, uniforms.keyBase + ${d} * uniforms.columns + (h * uniforms.columns + j) * ${hd} + c);
      }
      return getRow(b, ${3 * d} + h * ${hd} + c);
    }`, `
      let tk = uniforms.biasShape[3];
      if (inRange) {
        for (var c = tid; c < ${d}; c += ${DECODE_THREADS}) {
          q[c] = getRow(b, ${d} + c) * ${(1 / Math.sqrt(hd)).toExponential(9)};
        }
      }
      workgroupBarrier();
      for (var h = 0; h < ${H}; h++) {
        ${softmaxOverCache(DECODE_THREADS, (j, init) => `keyDot(b, h, ${j}, ${init})`)}
        // The values mixed by ${groups} groups of ${hd} threads, each over every ${groups}th key, then summed.
        var acc = 0.0;
        if (inRange) {
          for (var j = tid / ${hd}; j < tk; j += ${groups}) {
            acc += weights[j] * cachedValue(b, h, j, tid % ${hd});
          }
        }
        mixed[tid] = acc;
        workgroupBarrier();
        if (tid < ${hd}) {
          var sum = 0.0;
          for (var g = 0; g < ${groups}; g++) {
            sum += mixed[g * ${hd} + tid];
          }
          attended[h * ${hd} + tid] = sum / total;
        }
        workgroupBarrier();
      }
      if (inRange) {
        for (var col = tid; col < ${d}; col += ${DECODE_THREADS}) {
          var acc = 0.0;
          for (var k = 0; k < ${d}; k++) {
            acc += attended[k] * ${at(o.wo, `k * ${d} + col`)};
          }
          afterAttention[col] = acc + getRow(b, col);
        }
      }
      workgroupBarrier();
      ${sharedLayerNorm('afterAttention', 'normed', d, epsilon, (i) => at(o.gainMlp, i), (i) => at(o.biasMlp, i))}
      for (var j = tid; j < ${f}; j += ${DECODE_THREADS}) {
        var acc = 0.0;
        for (var k = 0; k < ${d}; k++) {
          acc += normed[k] * ${at(o.w1, `k * ${f} + j`)};
        }
        hidden[j] = acc / (1.0 + exp(-${k.toFixed(6)} * acc));
      }
      workgroupBarrier();
      for (var col = tid; col < ${d}; col += ${DECODE_THREADS}) {
        var acc = 0.0;
        for (var j = 0; j < ${f}; j++) {
          acc += hidden[j] * ${at(o.w2, `j * ${d} + col`)};
        }
        stream[col] = afterAttention[col] + acc;
      }
      workgroupBarrier();
      ${sharedLayerNorm('stream', 'normed', d, epsilon, (i) => at(o.gain, i), (i) => at(o.shift, i))}
      ${write}`, 'keyBase : i32, columns : i32,');
}

/**
 * Writes a decode step's new keys and values of `n` consecutive blocks (from `first`, a uniform) into the
 * joined cache, in place, at column `held` (a uniform; `columns` too): block first + i's come from the
 * packed row it read, `row{i}` [B, 4d] (k at 2d, v at 3d). One thread per written element: B·n·2d. Up to 7
 * rows: WebGPU guarantees 8 storage buffers per dispatch, the cache being the eighth.
 */
function appendJoinedProgram(cacheShape: number[], n: number, { H, hd }: HeadAttrs): WebGPUProgram {
  const d = H * hd;
  const B = cacheShape[0];
  const perRow = n * 2 * d;
  const rows = Array.from({ length: n }, (_, i) => `row${i}`);
  const getter = (name: string) => `get${name[0].toUpperCase()}${name.slice(1)}`;
  return {
    variableNames: rows,
    outputShape: cacheShape,
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(Math.ceil((B * perRow) / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    uniforms: 'first : i32, held : i32, columns : i32,',
    shaderKey: `azrAppendJoined_${n}_${H}_${hd}`,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.outShape[0] * ${perRow}) {
        let b = index / ${perRow};
        let i = (index % ${perRow}) / ${2 * d};
        let within = index % ${2 * d};
        var value = 0.0;
        switch (i) {${rows.map((name, r) => `
          case ${r}: { value = ${getter(name)}(b, ${2 * d} + within); }`).join('')}
          default: {}
        }
        let C = uniforms.columns;
        let block = uniforms.first + i;
        // Keys [H·hd, C] at block·2·d·C, values [H, C, hd] d·C after them.
        let e = within % ${d};
        var dst = block * ${2 * d} * C;
        if (within < ${d}) {
          dst += e * C + uniforms.held;
        } else {
          dst += ${d} * C + ((e / ${hd}) * C + uniforms.held) * ${hd} + e % ${hd};
        }
        setOutputAtIndex(b * uniforms.outShape[1] + dst, value);
      }
    }`,
  };
}

/**
 * The joined cache [B, blocks·2·d·C] copied into one of C′ ≥ C columns per block (zeros after the first C):
 * each block's keys [H·hd, C] and values [H, C, hd] keep their layout with the new width.
 */
function regrowJoinedProgram(outShape: number[], { H, hd }: HeadAttrs, blocks: number): WebGPUProgram {
  const d = H * hd;
  const size = outShape[0] * outShape[1];
  return {
    variableNames: ['past'],
    outputShape: outShape,
    dispatchLayout: { x: [0, 1] },
    dispatch: dispatchOf(Math.ceil(size / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    size: true,
    shaderKey: `azrRegrowJoined_${H}_${hd}_${blocks}`,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let C = uniforms.pastShape[1] / ${2 * blocks * d};
        let wide = uniforms.outShape[1] / ${2 * blocks * d};
        let b = index / uniforms.outShape[1];
        let r = index % uniforms.outShape[1];
        let part = r / (${d} * wide);
        let within = r % (${d} * wide);
        var j = 0;
        var src = part * ${d} * C;
        if (part % 2 == 0) {
          j = within % wide;
          src += (within / wide) * C + j;
        } else {
          j = (within % (wide * ${hd})) / ${hd};
          src += ((within / (wide * ${hd})) * C + j) * ${hd} + within % ${hd};
        }
        var value = 0.0;
        if (j < C) {
          value = getPast(b, src);
        }
        setOutputAtIndex(index, value);
      }
    }`,
  };
}

/** An append's heads, where the new column goes (`held`: the keys the past holds) and the result's columns. */
type AppendAttrs = HeadAttrs & { held: number; columns: number };

for (const [kernelName, which] of [[APPEND_KEYS, 'keys'], [APPEND_VALUES, 'values']] as const) {
  tf.registerKernel({
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { past, qkv } = inputs as { past: tf.TensorInfo; qkv: tf.TensorInfo };
      const a = attrs as unknown as AppendAttrs;
      // keys: kT [B·H, hd, room]; values: v [B·H, room, hd].
      const [BH, room, hd] = which === 'keys' ? [past.shape[0], past.shape[2], past.shape[1]] : past.shape;
      if (a.held > room) throw new RangeError(`${kernelName}: ${a.held} ${which} held in a cache of ${room} columns`);
      const outShape = which === 'keys' ? [BH, hd, a.columns] : [BH, a.columns, hd];
      return (backend as WebGPUBackend).runWebGPUProgram(appendProgram(which, outShape, a), [past, qkv], 'float32',
        [{ type: 'int32', data: [a.held] }]);
    },
  });
}

tf.registerKernel({
  kernelName: DECODE_ATTENTION,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { qkv, keys, values, bias } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as HeadAttrs & { maxKeys: number };
    return (backend as WebGPUBackend).runWebGPUProgram(decodeAttentionProgram(qkv.shape[0], a, a.maxKeys), [qkv, keys, values, bias], 'float32');
  },
});

tf.registerKernel({
  kernelName: DECODE_EMBED,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { table, ids, positionTable, positions, gain, bias, w } = inputs as Record<string, tf.TensorInfo>;
    const { epsilon } = attrs as unknown as { epsilon: number };
    return (backend as WebGPUBackend).runWebGPUProgram(decodeEmbedProgram(ids.shape[0], table.shape[1], epsilon),
      [table, ids, positionTable, positions, gain, bias, w], 'float32');
  },
});

tf.registerKernel({
  kernelName: DECODE_BLOCK,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { row, cache, bias, pack, table } = inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrs as unknown as HeadAttrs & { f: number; maxKeys: number; epsilon: number; k: number; keyBase: number; columns: number };
    const tail = table ? 'logits' : 'next';
    const program = decodeBlockProgram(row!.shape[0], a, a.f, a.maxKeys, a.epsilon, a.k, tail, table?.shape[0] ?? 0);
    return (backend as WebGPUBackend).runWebGPUProgram(program, [row!, cache!, bias!, pack!, ...(table ? [table] : [])], 'float32',
      [{ type: 'int32', data: [a.keyBase] }, { type: 'int32', data: [a.columns] }]);
  },
});

tf.registerKernel({
  kernelName: APPEND_JOINED,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { cache, ...named } = inputs as Record<string, tf.TensorInfo>;
    const rows = Object.keys(named).sort().map((name) => named[name]);
    const a = attrs as unknown as HeadAttrs & { first: number; held: number; columns: number };
    const gpu = backend as WebGPUBackend;
    // In place: the cache is the program's output, and the result is the cache's data under a new handle
    // (as Reshape returns its input's). Its held columns are untouched, so the handle passed in still
    // holds what it held.
    gpu.runWebGPUProgram(appendJoinedProgram(cache.shape, rows.length, a), rows, 'float32',
      [{ type: 'int32', data: [a.first] }, { type: 'int32', data: [a.held] }, { type: 'int32', data: [a.columns] }], cache);
    gpu.incRef(cache.dataId);
    return { dataId: cache.dataId, shape: cache.shape, dtype: cache.dtype };
  },
});

tf.registerKernel({
  kernelName: REGROW_JOINED,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const past = inputs.past as tf.TensorInfo;
    const a = attrs as unknown as HeadAttrs & { blocks: number; columns: number };
    const outShape = [past.shape[0], 2 * a.blocks * a.H * a.hd * a.columns];
    return (backend as WebGPUBackend).runWebGPUProgram(regrowJoinedProgram(outShape, a, a.blocks), [past], 'float32');
  },
});

const ADAMW_UNIFORMS = ['lr', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'epsilon', 'c1', 'c2', 'keep', 'gradScale'] as const;

/** Inputs of each of AdamW's programs: each binds only what its shader reads (an unread input's binding
 * is dropped from the pipeline's layout, and binding it anyway fails validation). */
const ADAMW_INPUTS = { param: ['param', 'grad', 'm', 'v'], m: ['grad', 'm'], v: ['grad', 'v'] } as const;

/** One of AdamW's three outputs for a parameter, elementwise; the arithmetic, in float32 and in the same
 * order, of ./adamw's tfjs ops. */
function adamWProgram(which: 'param' | 'm' | 'v', shape: number[]): WebGPUProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  const g = 'getGradByOutputIndex(index) * uniforms.gradScale';
  const m = `getMByOutputIndex(index) * uniforms.beta1 + g * uniforms.oneMinusBeta1`;
  const v = `getVByOutputIndex(index) * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2`;
  const body = {
    m: `let g = ${g};\n        setOutputAtIndex(index, ${m});`,
    v: `let g = ${g};\n        setOutputAtIndex(index, ${v});`,
    param: `let g = ${g};\n        let m = ${m};\n        let v = ${v};
        setOutputAtIndex(index, getParamByOutputIndex(index) * uniforms.keep - ((m * uniforms.c1) / (sqrt(v * uniforms.c2) + uniforms.epsilon)) * uniforms.lr);`,
  }[which];
  return {
    variableNames: [...ADAMW_INPUTS[which]],
    outputShape: shape,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: dispatchOf(Math.ceil(size / THREADS)),
    workgroupSize: [THREADS, 1, 1],
    size: true,
    uniforms: ADAMW_UNIFORMS.map((u) => `${u} : f32,`).join(' '),
    shaderKey: `azrAdamW_${which}`,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        ${body}
      }
    }`,
  };
}

tf.registerKernel({
  kernelName: LAYER_NORM_STATS,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    return (backend as WebGPUBackend).runWebGPUProgram(layerNormStatsProgram(x.shape[0], (attrs as unknown as { epsilon: number }).epsilon), [x], 'float32');
  },
});

tf.registerKernel({
  kernelName: LAYER_NORM_GRAD_INPUT,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, x, stats, gain } = inputs as Record<string, tf.TensorInfo>;
    return (backend as WebGPUBackend).runWebGPUProgram(layerNormGradInputProgram(x.shape), [dy, x, stats, gain], 'float32');
  },
});

tf.registerKernel({
  kernelName: LAYER_NORM_GRAD_PARAMS,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, x, stats } = inputs as Record<string, tf.TensorInfo>;
    const gpu = backend as WebGPUBackend;
    const d = x.shape[1];
    return [gpu.runWebGPUProgram(layerNormGradParamsProgram('gain', d), [dy, x, stats], 'float32'), gpu.runWebGPUProgram(layerNormGradParamsProgram('bias', d), [dy], 'float32')];
  },
});

tf.registerKernel({
  kernelName: ADAMW,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const byName = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as AdamWScalars;
    const values: Record<(typeof ADAMW_UNIFORMS)[number], number> = { ...a, oneMinusBeta1: 1 - a.beta1, oneMinusBeta2: 1 - a.beta2 };
    const uniforms = ADAMW_UNIFORMS.map((u) => ({ type: 'float32' as const, data: [values[u]] }));
    const gpu = backend as WebGPUBackend;
    return (['param', 'm', 'v'] as const).map((which) =>
      gpu.runWebGPUProgram(adamWProgram(which, byName.param.shape), ADAMW_INPUTS[which].map((n) => byName[n]), 'float32', uniforms));
  },
});

tf.registerKernel({
  kernelName: LAYER_NORM,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gain, bias } = inputs as { x: tf.TensorInfo; gain: tf.TensorInfo; bias: tf.TensorInfo };
    const epsilon = (attrs as unknown as { epsilon: number }).epsilon;
    return (backend as WebGPUBackend).runWebGPUProgram(layerNormProgram(x.shape, epsilon), [x, gain, bias], 'float32');
  },
});

tf.registerKernel({
  kernelName: NORM_PROJECT,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gain, bias, w } = inputs as Record<string, tf.TensorInfo>;
    const { epsilon, transposed } = attrs as unknown as { epsilon: number; transposed: boolean };
    const n = transposed ? w.shape[0] : w.shape[1];
    return (backend as WebGPUBackend).runWebGPUProgram(normProjectProgram(x.shape[0], x.shape[1], n, epsilon, transposed), [x, gain, bias, w], 'float32');
  },
});

tf.registerKernel({
  kernelName: EMBED_SUM,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { table, ids, positionTable, positions } = inputs as Record<string, tf.TensorInfo>;
    return (backend as WebGPUBackend).runWebGPUProgram(embedSumProgram(ids.shape[0], table.shape[1]), [table, ids, positionTable, positions], 'float32');
  },
});

tf.registerKernel({
  kernelName: DECODE_MLP,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gain, bias, w1, w2 } = inputs as Record<string, tf.TensorInfo>;
    const { epsilon, k } = attrs as unknown as { epsilon: number; k: number };
    return (backend as WebGPUBackend).runWebGPUProgram(decodeMlpProgram(x.shape[0], x.shape[1], w1.shape[1], epsilon, k), [x, gain, bias, w1, w2], 'float32');
  },
});

tf.registerKernel({
  kernelName: GELU,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const k = (attrs as unknown as { k: number }).k;
    return (backend as WebGPUBackend).runWebGPUProgram(geluProgram(x.shape, k), [x], 'float32');
  },
});

/**
 * Whether the fused kernels run: on the webgpu backend, unless `AZR_WEBGPU_FUSED=0` (Node) turns them off,
 * which `bench/gpu.sh` does to measure them against tfjs's ops in one run.
 */
export function fusedWebGPU(): boolean {
  if (!onWebGPU()) return false;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.AZR_WEBGPU_FUSED !== '0';
}

/** LayerNorm's forward over the last axis of [N, d] in one dispatch, or null off WebGPU. */
export function layerNormForward(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D | null {
  if (!fusedWebGPU()) return null;
  return tf.engine().runKernel(LAYER_NORM, { x, gain, bias }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * LayerNorm(x) @ w in one dispatch for the few rows of a decode step ([N, d] @ [d, n], or @ wᵀ with w
 * [n, d] when `transposed`: the logits against the tied embedding), or null off WebGPU,
 * for many rows (a prefill: tfjs's tiled matmul is the better kernel there) or a row too wide to hold.
 * No gradient: inference only.
 */
export function normProject(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, w: tf.Tensor2D, epsilon: number, transposed = false): tf.Tensor2D | null {
  if (!fusedWebGPU() || x.shape[0] > DECODE_MAX_ROWS || x.shape[1] > DECODE_MAX_SHARED) return null;
  return tf.engine().runKernel(NORM_PROJECT, { x, gain, bias, w }, { epsilon, transposed } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * The embeddings of a decode step's tokens at their positions, table[ids] + positionTable[positions], in
 * one dispatch (two gathers and an add otherwise), or null off WebGPU. No gradient: inference only.
 */
export function embedSum(table: tf.Tensor2D, ids: tf.Tensor1D, positionTable: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D | null {
  if (!fusedWebGPU() || ids.dtype !== 'int32' || positions.dtype !== 'int32') return null;
  return tf.engine().runKernel(EMBED_SUM, { table, ids, positionTable, positions }) as tf.Tensor2D;
}

/**
 * x + GELU(LayerNorm(x) @ w1) @ w2 in one dispatch for the few rows of a decode step, or null (as
 * normProject). No gradient: inference only.
 */
export function decodeMlp(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, w1: tf.Tensor2D, w2: tf.Tensor2D, epsilon: number, k: number): tf.Tensor2D | null {
  if (!fusedWebGPU() || x.shape[0] > DECODE_MAX_ROWS || x.shape[1] + w1.shape[1] > DECODE_MAX_SHARED) return null;
  return tf.engine().runKernel(DECODE_MLP, { x, gain, bias, w1, w2 }, { epsilon, k } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** x·σ(k·x) in one dispatch, or null off WebGPU. */
export function geluForward<T extends tf.Tensor>(x: T, k: number): T | null {
  if (!fusedWebGPU()) return null;
  return tf.engine().runKernel(GELU, { x }, { k } as unknown as tf.NamedAttrMap) as T;
}

/**
 * One decode step's attention on WebGPU, or null elsewhere: qkv [B, 3d] of one new position per row,
 * the cache (kT [B·H, hd, C], v [B·H, C, hd], its first Tp columns the keys held, C ≥ Tp), the bias
 * [B, 1, 1, Tp + 1]; returns y [B, d] and the extended cache (Tp + 1 keys, with room: `cacheColumns`).
 * `maxKeys` (the model's context length) sizes the kernel's score buffer.
 */
export function decodeAttention(qkv: tf.Tensor2D, H: number, bias: tf.Tensor4D, pastKT: tf.Tensor3D, pastV: tf.Tensor3D, maxKeys: number): { y: tf.Tensor2D; kT: tf.Tensor3D; v: tf.Tensor3D } | null {
  if (!fusedWebGPU()) return null;
  const hd = pastKT.shape[1];
  const keys = bias.shape[3];
  // The score buffer lives in workgroup memory (16 KB guaranteed): up to 4,096 keys.
  if (keys > maxKeys || maxKeys > 4096 || hd > 256) return null;
  const heads = { H, hd, held: keys - 1, columns: cacheColumns(keys, maxKeys) } as unknown as tf.NamedAttrMap;
  const kT = tf.engine().runKernel(APPEND_KEYS, { past: pastKT, qkv }, heads) as tf.Tensor3D;
  const v = tf.engine().runKernel(APPEND_VALUES, { past: pastV, qkv }, heads) as tf.Tensor3D;
  const y = tf.engine().runKernel(DECODE_ATTENTION, { qkv, keys: kT, values: v, bias }, { H, hd, maxKeys } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  return { y, kT, v };
}

/**
 * Each block's packed weights for `decodeStep` (`blockPackNames`), kept across decode steps and sampler
 * calls, keyed by the model's token embedding (a variable: the same object for the model's life) and
 * rebuilt when any weight has changed since (an update assigns new data, so its data ids change). A
 * rebuild is one concatenation per block, once per update rather than once per step.
 */
const packsByModel = new WeakMap<tf.Tensor, { dataIds: unknown[]; packs: tf.Tensor1D[] }>();

function blockPacks(weight: DecodeWeight, nLayer: number): tf.Tensor1D[] {
  const key = weight('wte');
  const tensors = Array.from({ length: nLayer }, (_, l) => blockPackNames(l, nLayer).map(weight));
  const dataIds = tensors.flat().map((t) => t.dataId);
  const held = packsByModel.get(key);
  if (held && held.dataIds.length === dataIds.length && held.dataIds.every((id, i) => id === dataIds[i])) return held.packs;
  held?.packs.forEach((p) => p.dispose());
  const packs = tf.tidy(() => tensors.map((ts) => tf.concat(ts.map((t) => tf.reshape(t, [-1])), 0) as tf.Tensor1D));
  // Kept out of the caller's tidy: they outlive this step.
  packs.forEach((p) => tf.keep(p));
  packsByModel.set(key, { dataIds, packs });
  return packs;
}

/** Frees the packed decode weights held for a model (its token embedding `wte`), if any. */
export function releaseDecodePacks(wte: tf.Tensor): void {
  packsByModel.get(wte)?.packs.forEach((p) => p.dispose());
  packsByModel.delete(wte);
}

/** The weights of a decode step, by the model's parameter names (./gpt parameterShapes). */
export type DecodeWeight = (name: string) => tf.Tensor;
/** The model's blocks and heads, and its context length (the most keys a cache holds). */
export interface DecodeDims { nLayer: number; nHead: number; maxKeys: number }

/**
 * Every block's keys and values in one tensor, as `decodeStep` keeps them between decode steps: `kv`
 * [B, blocks·2·d·C], per row and block l the keys [H·hd, C] at 2l·d·C and the values [H, C, hd] after
 * them; the first T columns of each hold the keys (T from the bias), the rest is room. One tensor takes
 * the step's new keys and values of every block in one dispatch, written into its room in place.
 */
export interface JoinedCache { kv: tf.Tensor2D }

export function isJoinedCache(cache: ReadonlyArray<LayerCache> | JoinedCache): cache is JoinedCache {
  return !Array.isArray(cache);
}

/** The columns C of a joined cache of `blocks` blocks of width d. */
function joinedColumns(kv: tf.Tensor2D, blocks: number, d: number): number {
  return kv.shape[1] / (2 * blocks * d);
}

/** Per-block caches (their first `held` columns) joined into one of C columns per block. */
function joinLayerCaches(past: ReadonlyArray<LayerCache>, B: number, held: number, C: number): tf.Tensor2D {
  return tf.tidy(() => tf.concat(past.flatMap(({ kT, v }) => {
    const keys = kT.shape[2] > held ? tf.slice(kT, [0, 0, 0], [-1, -1, held]) : kT;
    const values = v.shape[1] > held ? tf.slice(v, [0, 0, 0], [-1, held, -1]) : v;
    return [
      tf.reshape(tf.pad(keys, [[0, 0], [0, 0], [0, C - held]]), [B, -1]),
      tf.reshape(tf.pad(values, [[0, 0], [0, C - held], [0, 0]]), [B, -1]),
    ];
  }), 1) as tf.Tensor2D);
}

/** A joined cache split back into per-block caches (each with the joined cache's room), for a step that
 * cannot run as `decodeStep` (./gpt forward's other paths). */
export function splitJoinedCache({ kv }: JoinedCache, blocks: number, H: number, d: number): LayerCache[] {
  const B = kv.shape[0];
  const C = joinedColumns(kv, blocks, d);
  const part = (i: number) => tf.slice(kv, [0, i * d * C], [B, d * C]);
  return Array.from({ length: blocks }, (_, l) => ({
    kT: tf.reshape(part(2 * l), [B * H, d / H, C]) as tf.Tensor3D,
    v: tf.reshape(part(2 * l + 1), [B * H, C, d / H]) as tf.Tensor3D,
  }));
}

/**
 * One whole decode step on WebGPU (one new position per row) in one dispatch per block plus two, or null
 * elsewhere or where its workgroup arrays would not fit: `AzrDecodeEmbed` (embeddings, the first
 * LayerNorm and projection), then per block `AzrDecodeBlock` (attention over the cache and the row's own
 * key, the output projection, the MLP, both residuals, and the next block's LayerNorm and projection, or
 * for the last block the final LayerNorm and the logits), then `AzrAppendJoined`, which writes every
 * block's new key and value into the joined cache's room in place. Between them each row travels as one
 * packed row [x | qkv], and each block's weights as one packed tensor (`blockPacks`). `past` is the joined
 * cache of the step before, or per-block caches (after a prefill), joined here once; a cache without room
 * for this step's key is copied into one with 32 more columns (`cacheColumns`), once every 32 steps.
 * The per-op kernels (normProject, decodeAttention, decodeMlp) take 6 per block plus 2: 26 against 6 for
 * the default model. Returns the logits [B, V] and the joined cache. No gradient: inference only.
 */
export function decodeStep(
  weight: DecodeWeight, dims: DecodeDims, ids: tf.Tensor1D, positions: tf.Tensor1D, bias: tf.Tensor4D,
  past: ReadonlyArray<LayerCache> | JoinedCache, epsilon: number, k: number,
): { logits: tf.Tensor2D; cache: JoinedCache } | null {
  if (!fusedWebGPU() || ids.dtype !== 'int32' || positions.dtype !== 'int32') return null;
  const { nLayer, nHead: H, maxKeys } = dims;
  const wte = weight('wte');
  const B = ids.shape[0];
  const d = wte.shape[1] as number;
  const f = weight('h.0.mlp.w1').shape[1] as number;
  const hd = d / H;
  // The block's workgroup arrays (q, the attended heads, two residual streams and a normed row: 5d; the
  // hidden layer; one head's scores over the cache; the reductions' and the value mix's partial sums)
  // within WebGPU's guaranteed 16 KB, and the value mix's groups of one head's width.
  const fits = 5 * d + f + maxKeys + 2 * DECODE_THREADS <= 4096 && DECODE_THREADS % hd === 0;
  const keys = bias.shape[3];
  const held = keys - 1;
  const joined = isJoinedCache(past);
  if (B > DECODE_MAX_ROWS || !fits || keys > maxKeys || (!joined && past.length !== nLayer)) return null;
  if (joined && (past.kv.shape[0] !== B || joinedColumns(past.kv, nLayer, d) < held)) return null;
  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) =>
    tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const heads = { H, hd };
  let kv = joined ? past.kv : joinLayerCaches(past, B, held, cacheColumns(keys, maxKeys));
  if (joinedColumns(kv, nLayer, d) < keys) {
    const grown = run(REGROW_JOINED, { past: kv }, { ...heads, blocks: nLayer, columns: cacheColumns(keys, maxKeys) }) as tf.Tensor2D;
    if (!joined) kv.dispose();
    kv = grown;
  }
  const C = joinedColumns(kv, nLayer, d);
  const packs = blockPacks(weight, nLayer);
  const rows = [run(DECODE_EMBED, {
    table: wte, ids, positionTable: weight('wpe'), positions, gain: weight('h.0.ln1.g'), bias: weight('h.0.ln1.b'), w: weight('h.0.attn.wqkv'),
  }, { epsilon }) as tf.Tensor2D];
  for (let l = 0; l < nLayer; l++) {
    rows.push(run(DECODE_BLOCK, { row: rows[l], cache: kv, bias, pack: packs[l], ...(l === nLayer - 1 ? { table: wte } : {}) },
      { ...heads, f, maxKeys, epsilon, k, keyBase: 2 * l * d * C, columns: C }) as tf.Tensor2D);
  }
  // Block l read its key and value from rows[l]; they go into the cache at column `held`, up to 7 blocks
  // a dispatch.
  let cache = kv;
  for (let first = 0; first < nLayer; first += APPEND_MAX_ROWS) {
    const chunk = rows.slice(first, Math.min(nLayer, first + APPEND_MAX_ROWS));
    const next = run(APPEND_JOINED, { cache, ...Object.fromEntries(chunk.map((r, i) => [`row${i}`, r])) }, { ...heads, first, held, columns: C }) as tf.Tensor2D;
    if (!(joined && cache === past.kv)) cache.dispose();
    cache = next;
  }
  rows.slice(0, nLayer).forEach((r) => r.dispose());
  return { logits: rows[nLayer], cache: { kv: cache } };
}

/** One AdamW update of a parameter on WebGPU, [param′, m′, v′], or null elsewhere (./adamw then uses
 * tfjs ops, or wasm's kernel). No gradient. */
export function adamWStep(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamWScalars): tf.Tensor[] | null {
  if (!fusedWebGPU() || [param, grad, m, v].some((t) => t.dtype !== 'float32')) return null;
  return tf.engine().runKernel(ADAMW, { param, grad, m, v }, { ...scalars } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

/**
 * Σ x² over every element of `xs` on WebGPU, or null elsewhere: the tensors flattened and joined
 * (a few concat dispatches, each taking several inputs) and then one square and one sum, where a square
 * and a sum per tensor and an add tree over them is ≈ 3 dispatches per tensor (the global gradient norm:
 * ≈ 110 of a default training step's).
 */
export function sumOfSquares(xs: tf.Tensor[]): tf.Tensor | null {
  if (!fusedWebGPU() || xs.length < 2) return null;
  return tf.tidy(() => tf.sum(tf.square(tf.concat(xs.map((x) => tf.reshape(x, [-1])), 0))));
}

/** LayerNorm's gradients [dx, dgain, dbias] on WebGPU from dy, the forward's input x and the gain, or null
 * elsewhere. No gradient of its own. */
export function layerNormBackwardWebGPU(dy: tf.Tensor2D, x: tf.Tensor2D, gain: tf.Tensor1D, epsilon: number): tf.Tensor[] | null {
  if (!fusedWebGPU()) return null;
  const stats = tf.engine().runKernel(LAYER_NORM_STATS, { x }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
  const dx = tf.engine().runKernel(LAYER_NORM_GRAD_INPUT, { dy, x, stats, gain }) as tf.Tensor2D;
  const [dgain, dbias] = tf.engine().runKernel(LAYER_NORM_GRAD_PARAMS, { dy, x, stats }) as tf.Tensor[];
  stats.dispose();
  return [dx, dgain, dbias];
}

/**
 * The programs the WebGPU backend dispatches while `f` runs (its `runWebGPUProgram` calls; CPU-forwarded
 * ops and reshapes dispatch nothing). On a real GPU a step's time follows this count. Diagnostic only:
 * it wraps the backend's method for the duration of `f`.
 */
export async function countDispatches(f: () => Promise<unknown>): Promise<number> {
  const proto = Object.getPrototypeOf(tf.backend()) as { runWebGPUProgram?: (...args: unknown[]) => unknown };
  const inner = proto.runWebGPUProgram;
  if (!inner) throw new Error('countDispatches: the active backend is not WebGPU');
  let n = 0;
  proto.runWebGPUProgram = function (this: unknown, ...args: unknown[]) {
    n++;
    return inner.apply(this, args);
  };
  try {
    await f();
  } finally {
    proto.runWebGPUProgram = inner;
  }
  return n;
}
