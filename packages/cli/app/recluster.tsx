/** Re-cluster from the page: a preview call first (its counts), then apply; corrections are honoured and kept. */
import { useEffect, useState } from 'preact/hooks';
import { get, plural, post, type Job } from './api.js';
import { useApp } from './context.js';

export function Recluster() {
  const app = useApp();
  const [method, setMethod] = useState<'cw' | 'dbscan'>('cw');
  const [value, setValue] = useState('');
  const [minSamples, setMinSamples] = useState('');
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<string>();
  const [applied, setApplied] = useState<number>();
  const [defaults, setDefaults] = useState<{ cw: { threshold: number }; dbscan: { eps: number; minSamples: number } }>();
  useEffect(() => {
    get<NonNullable<typeof defaults>>('/api/defaults').then(setDefaults, () => undefined);
  }, []);

  useEffect(() => {
    if (!job || job.state !== 'running') return;
    const t = setTimeout(() => get<Job>(`/api/jobs/${job.id}`).then(setJob, (err: Error) => setError(err.message)), 700);
    return () => clearTimeout(t);
  }, [job]);

  const number = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const preview = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setApplied(undefined);
    try {
      const body = method === 'cw' ? { method, threshold: number(value) } : { method, eps: number(value), minSamples: number(minSamples) };
      setJob(await post<Job>('/api/recluster', body));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const apply = async () => {
    const call = job?.preview?.call;
    if (call !== undefined && (await app.act(() => post('/api/adopt', { call })))) setApplied(call);
  };
  const p = job?.preview;
  return (
    <section data-view="recluster" data-state={job?.state ?? 'ready'}>
      <div class="bar"><h2>Re-cluster every face</h2></div>
      <p class="hint">Your corrections are kept: confirmed faces stay with their people, people you kept apart stay apart, names carry over to the clusters that match them. A lower {method === 'cw' ? 'threshold' : 'eps'} makes more, smaller people (fewer wrong merges); a higher one fewer, larger people.</p>
      <form class="recluster" onSubmit={preview}>
        <label>Method <select value={method} onChange={(e) => setMethod((e.target as HTMLSelectElement).value as 'cw' | 'dbscan')}>
          <option value="cw">Chinese Whispers</option>
          <option value="dbscan">DBSCAN</option>
        </select></label>
        <label>{method === 'cw' ? 'Threshold' : 'eps'} <input name="value" inputMode="decimal" placeholder={defaults ? `${method === 'cw' ? defaults.cw.threshold : defaults.dbscan.eps} (default)` : 'default'} value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} /></label>
        {method === 'dbscan' && <label>minSamples <input name="minSamples" inputMode="numeric" placeholder={defaults ? `${defaults.dbscan.minSamples} (default)` : 'default'} value={minSamples} onInput={(e) => setMinSamples((e.target as HTMLInputElement).value)} /></label>}
        <button type="submit" disabled={job?.state === 'running'}>{job?.state === 'running' ? 'Clustering…' : 'Preview'}</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {job?.state === 'failed' && <p class="error" role="alert">{job.error}</p>}
      {p && (
        <div class="preview" data-call={p.call}>
          <h3>Call {p.call}: {p.method === 'cw' ? 'Chinese Whispers' : 'DBSCAN'} {Object.entries(p.params).map(([k, v]) => `${k}=${v}`).join(' ')}</h3>
          <table>
            <tbody>
              <tr><th>Faces</th><td>{p.faces.toLocaleString()}</td></tr>
              <tr><th>Clusters</th><td data-count="clusters">{p.clusters.toLocaleString()}</td></tr>
              <tr><th>People kept (ids and names)</th><td data-count="kept">{p.kept.toLocaleString()}</td></tr>
              <tr><th>New people</th><td data-count="created">{p.created.toLocaleString()}</td></tr>
              <tr><th>Faces changing person</th><td data-count="changed">{p.changed.toLocaleString()}</td></tr>
              <tr><th>Faces left to nobody</th><td data-count="unassigned">{p.unassigned.toLocaleString()} ({plural(p.noise, 'face')} in no_class)</td></tr>
            </tbody>
          </table>
          {applied === p.call ? <p class="done">Applied: these are your people now (undo is not available for a re-cluster; re-cluster again to change it).</p>
            : <button type="button" data-action="apply" onClick={apply}>Apply</button>}
        </div>
      )}
    </section>
  );
}
