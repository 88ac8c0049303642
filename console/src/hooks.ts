import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when `deps` change (and every `pollMs` when given). Keeps the last good data while
 * a reload runs, so polling pages do not flicker; errors are shown next to the data.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      setLoading(true);
      try {
        const v = await loadRef.current();
        if (!live) return;
        setData(v);
        setError(null);
      } catch (e) {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
      } finally {
        if (live) {
          setLoading(false);
          if (pollMs !== undefined) timer = window.setTimeout(() => void run(), pollMs);
        }
      }
    };
    void run();
    return () => {
      live = false;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [...deps, tick, pollMs]);

  return { data, error, loading, reload };
}
