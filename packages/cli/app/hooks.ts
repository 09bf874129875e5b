/** Data loading the views share: paged lists that grow as the user scrolls and reload when the store changes. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.js';

export const PAGE = 200;
/** Tiles of a first page whose crops come inline with its JSON: a first screen on a large display. */
export const INLINE = 60;

export interface Paged<T> {
  items: T[];
  total: number;
  /** Set once the first page is in (the view shows "ready"). */
  loaded: boolean;
  error?: string;
  /** Loads the next page (a no-op when all are in or one is loading). */
  more(): void;
}

/**
 * The pages of `url` (which takes offset and limit) whose response lists its items under `key` and its total
 * under `total`. When `revision` changes (someone changed the store) it reloads as many items as are shown.
 */
export function usePaged<T, R extends { total?: number; count?: number }>(url: string, key: keyof R, revision: number, pageSize = PAGE): Paged<T> & { response?: R } {
  const [state, setState] = useState<{ url: string; items: T[]; total: number; loaded: boolean; error?: string; response?: R }>({ url, items: [], total: 0, loaded: false });
  const loading = useRef(false);
  const shown = useRef(0);
  const sep = url.includes('?') ? '&' : '?';

  const load = useCallback(async (offset: number, limit: number, replace: boolean) => {
    loading.current = true;
    try {
      // the first page carries its first screen's crops inline (no request per tile); later pages load them by URL
      const r = await get<R>(`${url}${sep}offset=${offset}&limit=${limit}${offset === 0 ? `&inline=${INLINE}` : ''}`);
      const page = r[key] as unknown as T[];
      setState((s) => {
        const items = replace || s.url !== url ? page : [...s.items, ...page];
        shown.current = items.length;
        return { url, items, total: r.total ?? r.count ?? items.length, loaded: true, response: r };
      });
    } catch (err) {
      setState((s) => ({ ...s, url, loaded: true, error: (err as Error).message }));
    } finally {
      loading.current = false;
    }
  }, [url]);

  // a new url: start again from its first page
  useEffect(() => {
    shown.current = 0;
    setState({ url, items: [], total: 0, loaded: false });
    void load(0, pageSize, true);
  }, [url]);

  // the store changed: reload what is shown, in one request
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    void load(0, Math.max(pageSize, Math.min(shown.current, 10000)), true);
  }, [revision]);

  const more = () => {
    if (loading.current || state.items.length >= state.total || state.url !== url) return;
    void load(state.items.length, pageSize, false);
  };
  return { ...(state.url === url ? state : { items: [], total: 0, loaded: false }), more };
}

/**
 * Calls `onVisible` whenever the returned ref's element is in view (the end of a list: load more), and again
 * after `shown` changes while it still is (a page too short to push it out of view).
 */
export function useSentinel(onVisible: () => void, shown: number) {
  const ref = useRef<HTMLDivElement>(null);
  const callback = useRef(onVisible);
  callback.current = onVisible;
  useEffect(() => {
    if (!ref.current) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && callback.current(), { rootMargin: '600px' });
    io.observe(ref.current); // a new observer reports the current state at once
    return () => io.disconnect();
  }, [shown]);
  return ref;
}

/** Keyboard shortcuts while the component is shown; ignored while typing in a field. */
export function useKeys(handler: (e: KeyboardEvent) => boolean | void) {
  const h = useRef(handler);
  h.current = handler;
  useEffect(() => {
    const listener = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      if (e.altKey) return;
      if (h.current(e) === true) e.preventDefault();
    };
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
}
