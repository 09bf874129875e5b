/** Naming a person inline: Enter saves, Escape cancels; an empty name removes it. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from './api.js';
import { useApp } from './context.js';

export function NameForm(props: { person: { id: number; name: string | null }; onDone(ok: boolean): void }) {
  const app = useApp();
  const [name, setName] = useState(props.person.name ?? '');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.select(), []);
  const save = async (e: Event) => {
    e.preventDefault();
    const value = name.trim();
    props.onDone(await app.act(() => post('/api/name', { person: props.person.id, name: value === '' ? null : value })));
  };
  return (
    <form class="name-form" onSubmit={save} onKeyDown={(e) => e.key === 'Escape' && props.onDone(false)}>
      <input ref={input} aria-label={`Name of person ${props.person.id}`} placeholder="Name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <button type="submit">Save</button>
    </form>
  );
}
