/** A grid of face crops to select from (click, shift-click, select all); each opens its photo. */
import type { Face } from './api.js';
import { cropSrc } from './api.js';
import { useApp } from './context.js';
import { useSentinel } from './hooks.js';
import { click, type Selection } from './select.js';

export function FaceGrid(props: { faces: Face[]; total: number; more(): void; selection: Selection; onSelect(s: Selection): void }) {
  const { openPhoto } = useApp();
  const sentinel = useSentinel(props.more, props.faces.length);
  const order = props.faces.map((f) => f.faceId);
  return (
    <>
      <ul class="faces" aria-label="Faces">
        {props.faces.map((f) => {
          const on = props.selection.ids.has(f.faceId);
          return (
            <li key={f.faceId} class={on ? 'face selected' : 'face'} data-face={f.faceId}>
              <button type="button" class="pick" aria-pressed={on} title={`face ${f.faceId}: ${f.file} #${f.face}${f.confirmed ? ' (confirmed)' : ''}`}
                onClick={(e) => props.onSelect(click(props.selection, f.faceId, order, e.shiftKey))}>
                <img src={cropSrc(f.faceId, f.crop)} alt={`face ${f.faceId}`} width={112} height={112} loading="lazy" decoding="async" />
                {f.confirmed && <span class="badge" title="confirmed by you">✓</span>}
              </button>
              <button type="button" class="open" title="Open the photo" aria-label={`Open the photo of face ${f.faceId}`} onClick={() => openPhoto(f.faceId)}>⤢</button>
            </li>
          );
        })}
      </ul>
      <div ref={sentinel} class="sentinel">{props.faces.length < props.total ? 'Loading more…' : ''}</div>
    </>
  );
}
