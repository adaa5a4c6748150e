import { useEffect, useState } from 'react';

/**
 * `value` as it was `frames` animation frames ago: a new value shows only after that many frames have
 * passed without another change. A landing step changes most panels at once; lagging the heavy ones by
 * different numbers of frames spreads their layout and paint over several frames instead of one long
 * task on the main thread. Lag only what is derived from the store and redrawn whole each step.
 */
export function useFrameLag<T>(value: T, frames: number): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    if (Object.is(shown, value)) return;
    let left = frames;
    let id = 0;
    const tick = () => {
      if (--left <= 0) setShown(() => value);
      else id = requestAnimationFrame(tick);
    };
    id = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(id);
  }, [value, frames, shown]);
  return shown;
}
