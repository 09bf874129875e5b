/**
 * Review queues: "may be the same person" (pairs from suggest: yes merges, no keeps them apart for good,
 * skip), "doubtful faces" (far from their person), and the faces that belong to nobody.
 */
import { useEffect, useState } from 'preact/hooks';
import { cropUrl, get, label, plural, post, type Face, type PersonPage, type Suggestions } from './api.js';
import { useApp } from './context.js';
import { FaceGrid } from './face-grid.js';
import { useKeys, usePaged } from './hooks.js';
import { PersonPicker } from './person-picker.js';
import { emptySelection, keepShown, selectAll, type Selection } from './select.js';

function useSuggestions(revision: number) {
  const [data, setData] = useState<Suggestions>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    get<Suggestions>('/api/suggest?limit=50').then(setData, (err: Error) => setError(err.message));
  }, [revision]);
  return { data, error };
}

function Faces(props: { person: number; count: number }) {
  const [faces, setFaces] = useState<Face[]>([]);
  const { revision } = useApp();
  useEffect(() => {
    get<PersonPage>(`/api/people/${props.person}?limit=${props.count}`).then((p) => setFaces(p.faces), () => setFaces([]));
  }, [props.person, revision]);
  return (
    <ul class="faces small">
      {faces.map((f) => (
        <li key={f.faceId} class="face"><img src={cropUrl(f.faceId)} alt={`face ${f.faceId}`} width={96} height={96} /></li>
      ))}
    </ul>
  );
}

export function Pairs() {
  const app = useApp();
  const { data, error } = useSuggestions(app.revision);
  const [skipped, setSkipped] = useState<Set<string>>(new Set());
  const key = (p: { a: { id: number }; b: { id: number } }) => `${p.a.id}-${p.b.id}`;
  const pair = data?.pairs.find((p) => !skipped.has(key(p)));
  const same = () => pair && app.act(() => post('/api/merge', { people: [pair.a.id, pair.b.id] }));
  const different = () => pair && app.act(() => post('/api/separate', { a: pair.a.id, b: pair.b.id }));
  const skip = () => pair && setSkipped(new Set([...skipped, key(pair)]));
  useKeys((e) => {
    if (e.key === 'y') return void same(), true;
    if (e.key === 'n') return void different(), true;
    if (e.key === 's') return skip(), true;
    return false;
  });
  return (
    <section data-view="pairs" data-state={data || error ? 'ready' : 'loading'}>
      <div class="bar"><h2>May be the same person</h2>{data && <span class="count">{plural(data.pairs.filter((p) => !skipped.has(key(p))).length, 'pair')} to review</span>}</div>
      {error && <p class="error" role="alert">{error}</p>}
      {data && !pair && <p class="empty">Nothing to review: no two people look alike within reach.</p>}
      {pair && (
        <div class="pair" data-pair={key(pair)}>
          {[pair.a, pair.b].map((p) => (
            <div key={p.id} class="side">
              <h3><a href={`#/people/${p.id}`}>{label(p)}</a> <small>{plural(p.faces, 'face')}</small></h3>
              <Faces person={p.id} count={8} />
            </div>
          ))}
          <p class="distance">Average distance {pair.distance.toFixed(3)}, closest faces {pair.closest.toFixed(3)}</p>
          <div class="actions" role="toolbar" aria-label="Answer">
            <button type="button" data-answer="yes" onClick={same} title="y">Same person</button>
            <button type="button" data-answer="no" onClick={different} title="n">Different people</button>
            <button type="button" data-answer="skip" class="link" onClick={skip} title="s">Skip</button>
          </div>
        </div>
      )}
    </section>
  );
}

export function Doubtful() {
  const app = useApp();
  const { data, error } = useSuggestions(app.revision);
  return (
    <section data-view="doubtful" data-state={data || error ? 'ready' : 'loading'}>
      <div class="bar"><h2>Doubtful faces</h2><span class="count">far from the rest of their person</span></div>
      {error && <p class="error" role="alert">{error}</p>}
      {data && data.outliers.length === 0 && <p class="empty">No doubtful faces.</p>}
      <ul class="doubtful">
        {data?.outliers.map((o) => (
          <li key={o.faceId} data-face={o.faceId}>
            <button type="button" class="pick" title="Open the photo" onClick={() => app.openPhoto(o.faceId)}>
              <img src={cropUrl(o.faceId)} alt={`face ${o.faceId}`} width={112} height={112} loading="lazy" />
            </button>
            <div>
              <a href={`#/people/${o.person.id}`}>{label(o.person)}</a>
              <small>distance {o.distance.toFixed(3)}</small>
              <div class="actions">
                <button type="button" data-action="confirm" onClick={() => app.act(() => post('/api/move', { faces: [o.faceId], to: o.person.id }))}>It's them</button>
                <button type="button" data-action="reject" onClick={() => app.act(() => post('/api/reject', { faces: [o.faceId], from: o.person.id }))}>Not them</button>
                <button type="button" data-action="notface" onClick={() => app.act(() => post('/api/notface', { faces: [o.faceId] }))}>Not a face</button>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Unassigned() {
  const app = useApp();
  const page = usePaged<Face, { total: number; faces: Face[] }>('/api/unassigned', 'faces', app.revision);
  const [selection, setSelection] = useState<Selection>(emptySelection);
  const [picking, setPicking] = useState(false);
  const order = page.items.map((f) => f.faceId);
  const sel = keepShown(selection, order);
  const faces = [...sel.ids];
  const act = (what: () => Promise<unknown>) => app.act(what).then((ok) => ok && (setSelection(emptySelection), setPicking(false)));
  const moveTo = (to: number | 'new') => faces.length && act(() => post('/api/move', { faces, to }));
  useKeys((e) => {
    if (picking) return false;
    if (e.key === 'Escape') return setSelection(emptySelection), true;
    if (e.key === 'a' && !e.ctrlKey && !e.metaKey) return setSelection(selectAll(order)), true;
    if (!faces.length) return false;
    if (e.key === 'm') return setPicking(true), true;
    if (e.key === 'p') return void moveTo('new'), true;
    if (e.key === 'f') return void act(() => post('/api/notface', { faces })), true;
    return false;
  });
  return (
    <section data-view="unassigned" data-state={page.loaded ? 'ready' : 'loading'}>
      <div class="bar"><h2>Unassigned faces</h2><span class="count">{plural(page.total, 'face')} belong to nobody</span></div>
      <div class="actions" role="toolbar" aria-label="With the selected faces">
        <span>{faces.length ? `${plural(faces.length, 'face')} selected` : 'Click faces to select them'}</span>
        <button type="button" onClick={() => setSelection(selectAll(order))} title="a">Select all</button>
        <button type="button" data-action="move" disabled={!faces.length} onClick={() => setPicking(true)} title="m">Move to…</button>
        <button type="button" data-action="new" disabled={!faces.length} onClick={() => moveTo('new')} title="p">New person</button>
        <button type="button" data-action="notface" disabled={!faces.length} onClick={() => act(() => post('/api/notface', { faces }))} title="f">Not a face</button>
        {picking && <PersonPicker onPick={moveTo} onCancel={() => setPicking(false)} />}
      </div>
      {page.error && <p class="error" role="alert">{page.error}</p>}
      {page.loaded && page.total === 0 && <p class="empty">Every face belongs to someone.</p>}
      <FaceGrid faces={page.items} total={page.total} more={page.more} selection={sel} onSelect={setSelection} />
    </section>
  );
}
