/** A person's page: every face (loaded a page at a time as you scroll), selected and corrected in bulk. */
import { useState } from 'preact/hooks';
import { label, plural, post, type Face, type PersonPage } from './api.js';
import { useApp } from './context.js';
import { FaceGrid } from './face-grid.js';
import { useKeys, usePaged } from './hooks.js';
import { NameForm } from './name-form.js';
import { PersonPicker } from './person-picker.js';
import { emptySelection, keepShown, selectAll, type Selection } from './select.js';

export function Person(props: { id: number }) {
  const app = useApp();
  const page = usePaged<Face, PersonPage>(`/api/people/${props.id}`, 'faces', app.revision);
  const person = page.response;
  const [selection, setSelection] = useState<Selection>(emptySelection);
  const [picking, setPicking] = useState(false);
  const [naming, setNaming] = useState(false);
  const order = page.items.map((f) => f.faceId);
  const sel = keepShown(selection, order);
  const faces = [...sel.ids];

  const act = (what: () => Promise<unknown>) => app.act(what).then((ok) => ok && (setSelection(emptySelection), setPicking(false)));
  const moveTo = (to: number | 'new') => faces.length && act(() => post('/api/move', { faces, to }));
  const notThem = () => faces.length && act(() => post('/api/reject', { faces, from: props.id }));
  const notFace = () => faces.length && act(() => post('/api/notface', { faces }));
  const confirm = () => faces.length && act(() => post('/api/move', { faces, to: props.id }));

  useKeys((e) => {
    if (picking || naming) return false;
    if (e.key === 'Escape') return setSelection(emptySelection), true;
    if (e.key === 'a' && !e.ctrlKey && !e.metaKey) return setSelection(selectAll(order)), true;
    if (e.key === 'n') return setNaming(true), true;
    if (!faces.length) return false;
    if (e.key === 'm') return setPicking(true), true;
    if (e.key === 'p') return void moveTo('new'), true;
    if (e.key === 'r' || e.key === 'Delete') return void notThem(), true;
    if (e.key === 'f') return void notFace(), true;
    if (e.key === 'c') return void confirm(), true;
    return false;
  });

  if (page.error) {
    return (
      <section data-view="person" data-state="ready">
        <p class="error" role="alert">{page.error}</p>
        <p><a href="#/">Back to everyone</a></p>
      </section>
    );
  }
  return (
    <section data-view="person" data-state={page.loaded ? 'ready' : 'loading'} data-person={props.id}>
      <div class="bar">
        <a href="#/" class="link">← Everyone</a>
        <h2>
          {person ? <span class={person.name ? 'name' : 'name unnamed'}>{person.name ?? 'unnamed'}</span> : '…'} <small>#{props.id}</small>
        </h2>
        {person && <span class="count">{plural(person.count, 'face')}{person.confirmed ? `, ${person.confirmed.toLocaleString()} confirmed` : ''}</span>}
        <button type="button" data-action="name" onClick={() => setNaming(true)} title="n">{person?.name ? 'Rename…' : 'Name…'}</button>
        {naming && person && <NameForm person={person} onDone={() => setNaming(false)} />}
      </div>
      <div class="actions" role="toolbar" aria-label="With the selected faces">
        <span data-selected={faces.length}>{faces.length ? `${plural(faces.length, 'face')} selected` : 'Click faces to select them (shift-click: a range)'}</span>
        <button type="button" data-action="select-all" onClick={() => setSelection(selectAll(order))} title="a">Select all{page.items.length < page.total ? ` ${page.items.length.toLocaleString()} shown` : ''}</button>
        <button type="button" data-action="confirm" disabled={!faces.length} onClick={confirm} title="c: yes, these are this person">It's them</button>
        <button type="button" data-action="move" disabled={!faces.length} onClick={() => setPicking(true)} title="m">Move to…</button>
        <button type="button" data-action="new" disabled={!faces.length} onClick={() => moveTo('new')} title="p">New person</button>
        <button type="button" data-action="reject" disabled={!faces.length} onClick={notThem} title="r or Delete">Not {person ? label(person) : 'this person'}</button>
        <button type="button" data-action="notface" disabled={!faces.length} onClick={notFace} title="f">Not a face</button>
        {faces.length > 0 && <button type="button" class="link" onClick={() => setSelection(emptySelection)} title="Esc">Clear</button>}
        {picking && <PersonPicker exclude={props.id} onPick={moveTo} onCancel={() => setPicking(false)} />}
      </div>
      {page.loaded && page.total === 0 && <p class="empty">No faces left: this person is empty.</p>}
      <FaceGrid faces={page.items} total={page.total} more={page.more} selection={sel} onSelect={setSelection} />
    </section>
  );
}
