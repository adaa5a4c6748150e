// The trainer as the worker exposes it through comlink (TrainerApi of ./protocol).

import type { TrainerApi } from './protocol';
import type { Trainer } from './trainer';

export function trainerApi<E>(trainer: Trainer<E>): TrainerApi {
  return {
    connect: (listener) => trainer.connect(listener),
    command: (command) => trainer.command(command),
    exportRun: async () => trainer.exportRun(),
    ping: () => Date.now(),
    killSandbox: () => trainer.killSandbox(),
    // Thrown outside any promise chain, so it is an uncaught error in the worker, as a real crash is.
    crash: () => { setTimeout(() => { throw new Error('trainer worker crashed (test hook)'); }); },
  };
}
