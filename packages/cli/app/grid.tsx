/** The people grid: largest first, search by name, filter unnamed / seen once; select people to merge or keep apart. */
import { useState } from 'preact/hooks';
import { cropSrc, label, plural, post, type PersonSummary } from './api.js';
import { useApp } from './context.js';
import { useKeys, usePaged, useSentinel } from './hooks.js';
import { NameForm } from './name-form.js';
import { click, emptySelection, keepShown, selectAll, type Selection } from './select.js';

type Filter = 'all' | 'unnamed' | 'once';

export function Grid() {
  const app = useApp();
  const [q, setQ] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const [naming, setNaming] = useState(false);
  const url = `/api/people?${new URLSearchParams({ ...(q.trim() ? { q: q.trim() } : {}), ...(filter === 'all' ? {} : { [filter]: '1' }) })}`;
  const people = usePaged<PersonSummary, { total: number; people: PersonSummary[] }>(url, 'people', app.revision, 120);
  const [selection, setSelection] = useState<Selection>(emptySelection);
  const order = people.items.map((p) => p.id);
  const sel = keepShown(selection, order);
  const chosen = people.items.filter((p) => sel.ids.has(p.id));
  const sentinel = useSentinel(people.more, people.items.length);

  const done = (ok: boolean) => ok && (setSelection(emptySelection), setNaming(false));
  const mergeChosen = () => chosen.length >= 2 && app.act(() => post('/api/merge', { people: chosen.map((p) => p.id) })).then(done);
  const apart = () => chosen.length === 2 && app.act(() => post('/api/separate', { a: chosen[0]!.id, b: chosen[1]!.id })).then(done);

  useKeys((e) => {
    if (e.key === 'Escape') return setSelection(emptySelection), true;
    if (e.key === 'a' && !e.ctrlKey && !e.metaKey) return setSelection(selectAll(order)), true;
    if (e.key === 'm' && chosen.length >= 2) return void mergeChosen(), true;
    if (e.key === 'n' && chosen.length === 1) return setNaming(true), true;
    return false;
  });

  return (
    <section data-view="grid" data-state={people.loaded ? 'ready' : 'loading'}>
      <div class="bar">
        <input type="search" placeholder="Search names" aria-label="Search names" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        <div role="radiogroup" aria-label="Show" class="filters">
          {(['all', 'unnamed', 'once'] as const).map((f) => (
            <label key={f}><input type="radio" name="filter" value={f} checked={filter === f} onChange={() => setFilter(f)} /> {f === 'all' ? 'Everyone' : f === 'unnamed' ? 'Unnamed' : 'Seen once'}</label>
          ))}
        </div>
        <span class="count" data-total={people.total}>{plural(people.total, 'person', 'people')}</span>
      </div>
      {sel.ids.size > 0 && (
        <div class="actions" role="toolbar" aria-label="With the selected people">
          <span>{plural(sel.ids.size, 'person', 'people')} selected</span>
          <button type="button" data-action="merge" disabled={chosen.length < 2} onClick={mergeChosen} title="m">Merge into one</button>
          <button type="button" data-action="apart" disabled={chosen.length !== 2} onClick={apart} title="Never join these two">Keep apart</button>
          <button type="button" data-action="name" disabled={chosen.length !== 1} onClick={() => setNaming(true)} title="n">Name…</button>
          <button type="button" class="link" onClick={() => setSelection(emptySelection)} title="Esc">Clear</button>
          {naming && chosen.length === 1 && <NameForm person={chosen[0]!} onDone={(ok) => done(ok)} />}
        </div>
      )}
      {people.error && <p class="error" role="alert">{people.error}</p>}
      {people.loaded && people.total === 0 && <p class="empty">{q || filter !== 'all' ? 'Nobody matches.' : 'No people yet: run `faceclust run <photos>` on this folder first.'}</p>}
      <ul class="people" aria-label="People">
        {people.items.map((p) => {
          const on = sel.ids.has(p.id);
          return (
            <li key={p.id} class={on ? 'person selected' : 'person'} data-person={p.id}>
              <a href={`#/people/${p.id}`} onClick={(e) => {
                if (!(e.shiftKey || e.ctrlKey || e.metaKey || sel.ids.size > 0)) return;
                e.preventDefault();
                setSelection(click(sel, p.id, order, e.shiftKey));
              }}>
                {p.face !== null ? <img src={cropSrc(p.face, p.crop)} alt="" width={112} height={112} loading="lazy" decoding="async" /> : <span class="noface" />}
                <span class={p.name ? 'name' : 'name unnamed'}>{p.name ?? 'unnamed'}</span>
                <small>{plural(p.count, 'face')} · #{p.id}</small>
              </a>
              <input type="checkbox" aria-label={`Select ${label(p)}`} checked={on} onClick={(e) => setSelection(click(sel, p.id, order, (e as MouseEvent).shiftKey))} />
            </li>
          );
        })}
      </ul>
      <div ref={sentinel} class="sentinel">{people.items.length < people.total ? 'Loading more…' : ''}</div>
    </section>
  );
}
