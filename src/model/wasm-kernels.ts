// A kernel the wasm backend lacks: split [G, R, C] into G tensors [R, C] at memcpy speed. The built-in
// ways are slow there — Slice/SplitV/Unpack copy their WHOLE input out of the wasm heap on every call
// (G calls, G full copies), and GatherV2 moves ≈ 40 ns per element — and per-block attention needs
// thousands of blocks per training step (./attention).
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';

const UNSTACK_BLOCKS = 'AzrUnstackBlocks';

tf.registerKernel({
  kernelName: UNSTACK_BLOCKS,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const x = inputs.x as tf.TensorInfo;
    const [G, R, C] = x.shape;
    // Allocate every output first: an allocation may grow the heap, which detaches earlier heap views.
    const outs = Array.from({ length: G }, () => wasm.makeOutput([R, C], x.dtype));
    const src = wasm.typedArrayFromHeap(x);
    outs.forEach((out, g) => wasm.typedArrayFromHeap(out).set(src.subarray(g * R * C, (g + 1) * R * C)));
    return outs;
  },
});

/** The G blocks of x [G, R, C], each [R, C]. */
export function unstackBlocks(x: tf.Tensor3D): tf.Tensor2D[] {
  if (tf.getBackend() === 'wasm') return tf.engine().runKernel<tf.Tensor[]>(UNSTACK_BLOCKS, { x }) as tf.Tensor2D[];
  return tf.unstack(x) as tf.Tensor2D[];
}
