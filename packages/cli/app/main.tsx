/**
 * faceclust's review page: people, their faces, corrections and review queues over `faceclust serve`'s
 * API. The store is the only state: the page polls its revision and reloads what it shows when anyone
 * (another tab, the CLI) changes it.
 */
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from './api.js';
import { AppContext, type App } from './context.js';
import { Corrections } from './corrections.js';
import { Grid } from './grid.js';
import { useKeys } from './hooks.js';
import { Person } from './person.js';
import { PhotoViewer } from './photo.js';
import { Recluster } from './recluster.js';
import { Doubtful, Pairs, Unassigned } from './review.js';

const POLL_MS = 2000;

type Route = { view: 'grid' } | { view: 'person'; id: number } | { view: 'pairs' | 'doubtful' | 'unassigned' | 'recluster' | 'corrections' };

function route(hash: string): Route {
  const person = /^#\/people\/(\d+)$/.exec(hash);
  if (person) return { view: 'person', id: Number(person[1]) };
  const named = /^#\/(pairs|doubtful|unassigned|recluster|corrections)$/.exec(hash);
  return named ? { view: named[1] as 'pairs' } : { view: 'grid' };
}

const NAV: [string, string][] = [['#/', 'People'], ['#/pairs', 'Same person?'], ['#/doubtful', 'Doubtful'], ['#/unassigned', 'Unassigned'], ['#/recluster', 'Re-cluster'], ['#/corrections', 'Corrections']];

interface Toast {
  text: string;
  alert: boolean;
  undo: boolean;
}

function Main() {
  const [where, setWhere] = useState<Route>(route(location.hash));
  const [revision, setRevision] = useState(0);
  const [toast, setToast] = useState<Toast>();
  const [photo, setPhoto] = useState<number>();
  const [busy, setBusy] = useState<string>();
  const last = useRef<number | undefined>(undefined);

  useEffect(() => {
    const onHash = () => {
      setWhere(route(location.hash));
      setPhoto(undefined);
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const poll = useCallback(async () => {
    try {
      const r = await get<{ revision: number; job: { id: number } | null }>('/api/revision');
      setBusy(r.job ? `re-clustering (job ${r.job.id})…` : undefined);
      // the first answer is the baseline; every later change reloads the views
      if (last.current !== undefined && r.revision !== last.current) setRevision((n) => n + 1);
      last.current = r.revision;
    } catch {
      /* the server stopped: the next action says so */
    }
  }, []);
  useEffect(() => {
    void poll();
    const t = setInterval(() => document.visibilityState === 'visible' && void poll(), POLL_MS);
    return () => clearInterval(t);
  }, []);

  const say = (text: string, alert = false) => setToast({ text, alert, undo: false });
  const act: App['act'] = async (what) => {
    try {
      const r = (await what()) as { summary?: string } | undefined;
      setToast({ text: r?.summary ?? 'Done', alert: false, undo: true });
      await poll();
      return true;
    } catch (err) {
      setToast({ text: err instanceof ApiError && err.status === 409 ? `Busy: ${err.message}` : (err as Error).message, alert: true, undo: false });
      await poll();
      return false;
    }
  };
  const undo = () => act(() => post('/api/undo'));

  useKeys((e) => {
    if ((e.key === 'z' && (e.ctrlKey || e.metaKey)) || (e.key === 'u' && !e.ctrlKey && !e.metaKey)) return void undo(), true;
    return false;
  });

  const app: App = { revision, act, say, openPhoto: setPhoto };
  return (
    <AppContext.Provider value={app}>
      <header>
        <h1><a href="#/">faceclust</a></h1>
        <nav>
          {NAV.map(([href, text]) => (
            <a key={href} href={href} aria-current={(href === '#/' ? where.view === 'grid' || where.view === 'person' : href === `#/${where.view}`) ? 'page' : undefined}>{text}</a>
          ))}
        </nav>
        {busy && <span class="busy">{busy}</span>}
        <button type="button" class="undo" onClick={undo} title="u or Ctrl+Z">Undo</button>
      </header>
      <main>
        {where.view === 'grid' && <Grid />}
        {where.view === 'person' && <Person key={where.id} id={where.id} />}
        {where.view === 'pairs' && <Pairs />}
        {where.view === 'doubtful' && <Doubtful />}
        {where.view === 'unassigned' && <Unassigned />}
        {where.view === 'recluster' && <Recluster />}
        {where.view === 'corrections' && <Corrections />}
      </main>
      {toast && (
        <div class={toast.alert ? 'toast alert' : 'toast'} role={toast.alert ? 'alert' : 'status'}>
          <span data-toast>{toast.text}</span>
          {toast.undo && <button type="button" onClick={undo}>Undo</button>}
          <button type="button" class="link" aria-label="Dismiss" onClick={() => setToast(undefined)}>✕</button>
        </div>
      )}
      {photo !== undefined && <PhotoViewer faceId={photo} onClose={() => setPhoto(undefined)} />}
      <footer><small>Keys: a select all · Esc clear · m move · p new person · r not this person · f not a face · c it's them · n name · u undo · y / n / s answer a pair</small></footer>
    </AppContext.Provider>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" shown until this script ran
render(<Main />, root);
