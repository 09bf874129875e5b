/** Every correction made in this folder, newest first (from the page, the CLI or the API). */
import { useEffect, useState } from 'preact/hooks';
import { get, post, type Correction } from './api.js';
import { useApp } from './context.js';

export function Corrections() {
  const app = useApp();
  const [list, setList] = useState<Correction[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    get<{ corrections: Correction[] }>('/api/corrections').then((r) => setList(r.corrections.slice().reverse()), (err: Error) => setError(err.message));
  }, [app.revision]);
  return (
    <section data-view="corrections" data-state={list || error ? 'ready' : 'loading'}>
      <div class="bar"><h2>Corrections</h2><button type="button" onClick={() => app.act(() => post('/api/undo'))} title="u or Ctrl+Z">Undo the latest</button></div>
      {error && <p class="error" role="alert">{error}</p>}
      {list && list.length === 0 && <p class="empty">No corrections yet.</p>}
      <ol class="corrections" reversed>
        {list?.map((c) => (
          <li key={c.id} class={c.undoneAt ? 'undone' : ''} data-correction={c.id}>
            <time dateTime={c.createdAt}>{new Date(c.createdAt).toLocaleString()}</time> <span>{c.summary}</span>{c.undoneAt && <em> (undone)</em>}
          </li>
        ))}
      </ol>
    </section>
  );
}
