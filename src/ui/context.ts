import { createContext, useContext } from 'react';
import type { TrainerClient } from './client';
import { useLab, type LabState, type LabStore } from './store/lab';

export interface Lab { store: LabStore; client: TrainerClient }

export const LabContext = createContext<Lab | null>(null);

export function useLabContext(): Lab {
  const lab = useContext(LabContext);
  if (!lab) throw new Error('LabContext is missing');
  return lab;
}

/** Subscribes a component to one slice of the store. */
export function useLabState<T>(selector: (s: LabState) => T): T {
  return useLab(useLabContext().store, selector);
}
