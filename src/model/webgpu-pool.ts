// The WebGPU backend's buffer pool, kept to what a self-play step uses.
//
// tfjs-backend-webgpu (4.x) gives a freed tensor's GPU buffer back to a pool of lists keyed by exact byte
// size and hands it out again only for a request of that size; it never destroys a pooled buffer before
// the backend itself is disposed. A self-play step's shapes change from step to step (prompt and response
// lengths, rows dropped from the sampler's cache, the update's micro-batches), so every new size adds a
// buffer the pool keeps for the rest of the run: `tf.memory().numBytesAllocatedInGPU` grew by ≈ 55 MB a
// step over the tiny preset's first ten steps while the tensors in use stayed at 0.6 MB (bench/RESULTS.md
// pass 15). On a GPU of a few gigabytes that ends in an out-of-memory or a lost device.
//
// `releaseIdleGpuBuffers` destroys the pooled buffers that no allocation took since its previous call.
// Called once per step, it keeps every size the step still uses (those are reused, as before) and lets
// go of the rest. It reads the pool's private fields; where they are not there (another tfjs version) it
// does nothing and says so in its result.
import { tf } from './tf';

/** The part of tfjs-backend-webgpu's BufferManager this module reads and changes. */
interface BufferPool {
  freeBuffers: Map<string, GPUBufferLike[]>;
  usedBuffers: Map<string, GPUBufferLike[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
  acquireBuffer: (size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean) => GPUBufferLike;
}

interface GPUBufferLike {
  size: number;
  destroy(): void;
}

/** What one call released. `tracked: false` where the backend is not WebGPU or its pool is not the expected one. */
export interface PoolRelease {
  tracked: boolean;
  buffers: number;
  bytes: number;
}

/** Per pool: the count of calls so far, and for each buffer handed out, the count when it last was. */
const lastTaken = new WeakMap<BufferPool, { generation: number; taken: WeakMap<GPUBufferLike, number> }>();

function poolOf(backend: unknown): BufferPool | null {
  const pool = (backend as { bufferManager?: Partial<BufferPool> } | null)?.bufferManager;
  if (!pool || !(pool.freeBuffers instanceof Map) || !(pool.usedBuffers instanceof Map) || typeof pool.acquireBuffer !== 'function'
    || typeof pool.numFreeBuffers !== 'number' || typeof pool.numBytesAllocated !== 'number') return null;
  return pool as BufferPool;
}

/** Stamps every buffer the pool hands out from now on with the current generation. */
function track(pool: BufferPool): { generation: number; taken: WeakMap<GPUBufferLike, number> } {
  let state = lastTaken.get(pool);
  if (state) return state;
  const fresh = { generation: 0, taken: new WeakMap<GPUBufferLike, number>() };
  state = fresh;
  const acquire = pool.acquireBuffer.bind(pool);
  pool.acquireBuffer = (size, usage, mappedAtCreation, reuse) => {
    const buffer = acquire(size, usage, mappedAtCreation, reuse);
    fresh.taken.set(buffer, fresh.generation);
    return buffer;
  };
  lastTaken.set(pool, state);
  return state;
}

/**
 * Destroys the WebGPU backend's pooled buffers that were not handed out since the previous call (on the
 * first call: those not handed out since the backend started, as far as this module saw), and starts a
 * new period. Buffers in use by tensors are never in the pool; a buffer still named by commands not yet
 * submitted is not in it either (tfjs releases those at submit), and destroying one that submitted work
 * reads is allowed: the GPU finishes that work first. Off WebGPU it does nothing.
 */
export function releaseIdleGpuBuffers(): PoolRelease {
  if (tf.getBackend() !== 'webgpu') return { tracked: false, buffers: 0, bytes: 0 };
  const pool = poolOf(tf.backend());
  if (!pool) return { tracked: false, buffers: 0, bytes: 0 };
  const state = track(pool);
  let buffers = 0;
  let bytes = 0;
  for (const list of pool.freeBuffers.values()) {
    let kept = 0;
    for (const buffer of list) {
      if ((state.taken.get(buffer) ?? -1) >= state.generation) {
        list[kept++] = buffer;
        continue;
      }
      buffer.destroy();
      buffers++;
      bytes += buffer.size;
    }
    list.length = kept;
  }
  // A size no buffer has any more leaves its key in both of the pool's maps (a string and two empty
  // arrays per size a run ever met): drop the keys, which acquireBuffer makes again for a size it meets.
  // A key with a buffer in use stays (releaseBuffer pushes onto its free list), and so does one key at
  // least (releaseBuffer ignores every buffer while the free map is empty).
  for (const [key, list] of pool.freeBuffers) {
    if (list.length > 0 || (pool.usedBuffers.get(key)?.length ?? 0) > 0 || pool.freeBuffers.size === 1) continue;
    pool.freeBuffers.delete(key);
    pool.usedBuffers.delete(key);
  }
  pool.numFreeBuffers -= buffers;
  pool.numBytesAllocated -= bytes;
  state.generation++;
  return { tracked: true, buffers, bytes };
}

/** The GPU bytes the WebGPU backend holds, its pool included (`numBytesAllocatedInGPU`), or null off WebGPU. */
export function gpuBytesHeld(): number | null {
  return (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? null;
}
