/** Choosing a person to move faces to: type a name or an id, or take "a new person". */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, label, plural, type PersonSummary } from './api.js';

export function PersonPicker(props: { exclude?: number; onPick(to: number | 'new'): void; onCancel(): void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<PersonSummary[]>([]);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    let stale = false;
    const id = /^\d+$/.test(q.trim()) ? Number(q.trim()) : undefined;
    const named = get<{ people: PersonSummary[] }>(`/api/people?limit=12${q.trim() && id === undefined ? `&q=${encodeURIComponent(q.trim())}` : ''}`);
    const byId = id === undefined ? Promise.resolve(undefined) : get<PersonSummary>(`/api/people/${id}?limit=0`).catch(() => undefined);
    void Promise.all([named, byId]).then(([r, one]) => {
      if (stale) return;
      const list = [...(one ? [one] : []), ...(id === undefined ? r.people : [])].filter((p) => p.id !== props.exclude);
      setFound(list);
    });
    return () => {
      stale = true;
    };
  }, [q]);
  return (
    <div class="picker" role="dialog" aria-label="Move to person" onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}>
      <input ref={input} type="search" placeholder="Name or person id" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => e.key === 'Enter' && found[0] && props.onPick(found[0].id)} aria-label="Find a person" />
      <ul>
        <li><button type="button" data-pick="new" onClick={() => props.onPick('new')}>+ A new person</button></li>
        {found.map((p) => (
          <li key={p.id}>
            <button type="button" data-pick={p.id} onClick={() => props.onPick(p.id)}>
              {p.face !== null && <img src={`/api/faces/${p.face}/crop`} alt="" width={32} height={32} />}
              <span>{label(p)}</span> <small>{plural(p.count, 'face')}</small>
            </button>
          </li>
        ))}
      </ul>
      <button type="button" class="link" onClick={props.onCancel}>Cancel</button>
    </div>
  );
}
