// Trainer worker: wiring only. The engine host (src/trainer/trainer.ts) with the browser's backend, model,
// nested sandbox worker and IndexedDB checkpoints (src/trainer/browser.ts), exposed to the page via comlink.
import { expose } from 'comlink';
import { trainerApi } from '../src/trainer/api';
import { browserTrainerDeps } from '../src/trainer/browser';
import { Trainer } from '../src/trainer/trainer';

expose(trainerApi(new Trainer(browserTrainerDeps())));
