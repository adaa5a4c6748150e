// The trainer's wiring inside the browser's trainer worker: the backend chooser and tfjs from src/model,
// the QuickJS executor in a nested sandbox worker from src/sandbox, checkpoints in IndexedDB, and the
// shipped base checkpoint when the build has one.

import type { AzrConfig } from '../azr/config';
import { SelfPlay } from '../azr/selfplay';
import { chooseBackend, probeBrowser } from '../model/backend';
import { fetchCheckpoint, IndexedDBCheckpointStore, modelFromCheckpoint, serializeModel, type Checkpoint } from '../model/checkpoint';
import { GPT, makeConfig } from '../model/gpt';
import { ModelPolicy } from '../model/policy';
import { startBrowserProductHelper } from '../model/product-browser';
import { initBackend } from '../model/tf';
import { BROWSER_WASM_PATHS } from '../model/wasm-urls';
import { TOKENIZER_VERSION, vocabSize } from '../model/tokenizer';
import { createBrowserExecutor } from '../sandbox/browser';
import { poolSizeFor } from '../sandbox/pool';
import type { Executor } from '../sandbox/types';
import type { BackendChoice, BackendInfo } from './protocol';
import { checkpointRunStore } from './runstore';
import { BASE_CHECKPOINT_URL, HAS_BASE_CHECKPOINT } from './shipped';
import type { ModelHandle, ModelSource, TrainerDeps } from './trainer';

const CHECKPOINT_EVERY = 5;

/**
 * The trainer's wasm products take a second core (src/model/product-threads) only where the browser has
 * a core to spare for the page besides the trainer and its helper: on this project's two-core machine a
 * helper made the page's main thread miss frames (long tasks of 56–78 ms in 3 of 5 runs, against one of
 * 60 ms in 3 runs without it; bench/RESULTS.md, pass 10).
 */
const PRODUCT_HELPER_MIN_CORES = 3;

async function startBackend(requested: BackendChoice): Promise<BackendInfo> {
  const choice = chooseBackend(await probeBrowser(), requested === 'auto' ? undefined : requested);
  await initBackend(choice.name, choice.name === 'wasm' ? { wasmPaths: BROWSER_WASM_PATHS } : {});
  const twoThreads = choice.name === 'wasm' && await startBrowserProductHelper({ minCores: PRODUCT_HELPER_MIN_CORES });
  return { name: choice.name, requested, reason: twoThreads ? `${choice.reason} · products on 2 threads` : choice.reason };
}

async function loadModel(config: AzrConfig, source: ModelSource): Promise<GPT> {
  switch (source.kind) {
    case 'checkpoint': return modelFromCheckpoint(source.data as Checkpoint, TOKENIZER_VERSION);
    case 'base': return modelFromCheckpoint(await fetchCheckpoint(BASE_CHECKPOINT_URL), TOKENIZER_VERSION);
    case 'scratch': return new GPT(makeConfig(config.modelSize, vocabSize), config.seed);
  }
}

async function createModel(config: AzrConfig, source: ModelSource): Promise<ModelHandle> {
  const model = await loadModel(config, source);
  const policy = new ModelPolicy(model, { learningRate: config.learningRate, weightDecay: config.weightDecay });
  return {
    policy,
    parameters: model.parameterCount(),
    snapshot: () => serializeModel(model, TOKENIZER_VERSION),
    dispose: () => { policy.dispose(); model.dispose(); },
  };
}

export function browserTrainerDeps(): TrainerDeps<Executor> {
  return {
    initBackend: startBackend,
    createModel,
    createExecutor: (onRestart) => {
      const executor = createBrowserExecutor({ onRestart, workers: poolSizeFor(navigator.hardwareConcurrency ?? 2) });
      return { executor, kill: async () => executor.killWorker(), dispose: () => { void executor.dispose(); } };
    },
    createEngine: (policy, executor, config, onSeedingProgress) => new SelfPlay(policy, executor, config, { onSeedingProgress }),
    store: checkpointRunStore(new IndexedDBCheckpointStore('azr-lab-runs')),
    hasBaseCheckpoint: HAS_BASE_CHECKPOINT,
    checkpointEvery: CHECKPOINT_EVERY,
    now: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
