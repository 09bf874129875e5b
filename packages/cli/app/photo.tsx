/** A photo with every face boxed and labelled with its person; the face it was opened from stands out. */
import { useEffect, useState } from 'preact/hooks';
import { get, label, photoUrl, type PhotoFaces } from './api.js';
import { useKeys } from './hooks.js';

export function PhotoViewer(props: { faceId: number; onClose(): void }) {
  const [data, setData] = useState<PhotoFaces>();
  const [error, setError] = useState<string>();
  const [size, setSize] = useState<{ width: number; height: number }>();
  useEffect(() => {
    get<PhotoFaces>(`/api/photos/${props.faceId}/faces`).then((d) => {
      setData(d);
      if (d.width && d.height) setSize({ width: d.width, height: d.height });
    }, (err: Error) => setError(err.message));
  }, [props.faceId]);
  useKeys((e) => (e.key === 'Escape' ? (props.onClose(), true) : false));
  const stroke = size ? Math.max(2, Math.round(Math.max(size.width, size.height) / 400)) : 2;
  return (
    <div class="viewer" role="dialog" aria-modal="true" aria-label="Photo" data-state={data && size ? 'ready' : 'loading'} onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="viewer-frame">
        <div class="viewer-bar">
          <span class="file" title={data?.file}>{data?.file ?? '…'}</span>
          <button type="button" onClick={props.onClose} aria-label="Close" title="Esc">✕</button>
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="stage" style={size ? { aspectRatio: `${size.width} / ${size.height}` } : undefined}>
          <img src={photoUrl(props.faceId)} alt={data?.file ?? ''} onLoad={(e) => {
            const img = e.target as HTMLImageElement;
            if (!size) setSize({ width: img.naturalWidth, height: img.naturalHeight });
          }} onError={() => setError('The photo could not be shown (moved, deleted, or outside the library)')} />
          {data && size && (
            <svg viewBox={`0 0 ${size.width} ${size.height}`} preserveAspectRatio="none" aria-label="Faces in this photo">
              {data.faces.map((f) => {
                const [x, y, w, h] = f.box;
                const current = f.faceId === props.faceId;
                const text = f.person ? label(f.person) : 'nobody';
                const fontSize = Math.max(12, Math.round(Math.max(size.width, size.height) / 45));
                return (
                  <g key={f.faceId} class={current ? 'box current' : 'box'} data-box={f.faceId}>
                    <rect x={x} y={y} width={w} height={h} stroke-width={current ? stroke * 2 : stroke} />
                    {f.person ? (
                      <a href={`#/people/${f.person.id}`} onClick={props.onClose}>
                        <text x={x} y={Math.max(fontSize, y - stroke * 2)} font-size={fontSize}>{text}</text>
                      </a>
                    ) : (
                      <text x={x} y={Math.max(fontSize, y - stroke * 2)} font-size={fontSize}>{text}</text>
                    )}
                  </g>
                );
              })}
            </svg>
          )}
        </div>
      </div>
    </div>
  );
}
