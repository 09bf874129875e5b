/**
 * Re-clustering from the review page, as a job: the preview is a real clustering call on the folder's store
 * (corrections honoured, recorded and reported like `faceclust cluster`), whose counts the page shows before
 * the user applies it (`adoptCall`). One job at a time per server; the page polls it.
 */
import { FacialClustering } from '../facial-clustering.js';
import { openStore } from '../people.js';

/** What the page asked for. */
export interface ReclusterRequest {
  method: 'cw' | 'dbscan';
  threshold?: number;
  eps?: number;
  minSamples?: number;
}

/** What adopting the call would do, counted before it is applied. */
export interface ReclusterPreview {
  call: number;
  method: 'cw' | 'dbscan';
  params: Record<string, unknown>;
  faces: number;
  clusters: number;
  noise: number;
  /** Clusters matched to a person of the folder (ids and names kept) and clusters that would be new people. */
  kept: number;
  created: number;
  /** Faces that would belong to another person than now (a new person counts), and faces that would lose theirs. */
  changed: number;
  unassigned: number;
}

export interface Job {
  id: number;
  state: 'running' | 'done' | 'failed';
  request: ReclusterRequest;
  started: string;
  finished?: string;
  preview?: ReclusterPreview;
  error?: string;
}

export class ReclusterJobs {
  private readonly jobs = new Map<number, Job>();
  private next = 1;
  private running?: { job: Job; controller: AbortController };

  constructor(private readonly out: string) {}

  /** The running job, if any. */
  current(): Job | undefined {
    return this.running?.job;
  }

  get(id: number): Job | undefined {
    return this.jobs.get(id);
  }

  /**
   * Starts a preview call; validation errors of the method's parameters (the same rules as the CLI's) fail
   * the job with their message. Throws a RangeError when one is running already.
   */
  start(request: ReclusterRequest, command: string): Job {
    if (this.running) throw new RangeError(`A re-clustering preview is running already (job ${this.running.job.id}): wait for it`);
    const job: Job = { id: this.next++, state: 'running', request, started: new Date().toISOString() };
    this.jobs.set(job.id, job);
    const controller = new AbortController();
    this.running = { job, controller };
    void this.run(job, `${command} ${request.method} ${describeRequest(request)}`, controller.signal).finally(() => {
      job.finished = new Date().toISOString();
      this.running = undefined;
    });
    return job;
  }

  /** Stops the running job (the server is closing): its call is logged as interrupted, nothing kept. */
  abort(): void {
    this.running?.controller.abort();
  }

  private async run(job: Job, command: string, signal: AbortSignal): Promise<void> {
    const fc = new FacialClustering({ outPath: this.out, command, signal });
    try {
      const { method, threshold, eps, minSamples } = job.request;
      const r = method === 'cw'
        ? await fc.chineseWhispers({ ...(threshold === undefined ? {} : { threshold }) })
        : await fc.dbscan({ ...(eps === undefined ? {} : { eps }), ...(minSamples === undefined ? {} : { minSamples }) });
      const { store } = openStore(this.out);
      let now: Map<number, number>;
      try {
        const assigned = store.people.personOfFaces();
        now = new Map(Array.from(assigned.faceIds, (f, i) => [f, assigned.personIds[i]!]));
      } finally {
        store.close();
      }
      // each cluster's matched person (r.faces[].person) is what adoption keeps; a cluster matched to nobody is a new person
      const clusterPerson = new Map<number, number | null>();
      for (const f of r.faces) if (f.cluster >= 0) clusterPerson.set(f.cluster, f.person?.id ?? null);
      let changed = 0;
      let unassigned = 0;
      for (const f of r.faces) {
        const before = now.get(f.faceId);
        if (f.cluster < 0) {
          if (before !== undefined) unassigned++;
        } else if (f.person === null || f.person.id !== before) changed++;
      }
      const kept = new Set([...clusterPerson.values()].filter((p) => p !== null)).size;
      job.preview = {
        call: r.call, method: r.method, params: { ...r.params }, faces: r.faces.length, clusters: r.clusters, noise: r.noise,
        kept, created: r.clusters - kept, changed, unassigned,
      };
      job.state = 'done';
    } catch (err) {
      job.state = 'failed';
      job.error = (err as Error)?.message ?? String(err);
    } finally {
      fc.close();
    }
  }
}

function describeRequest(r: ReclusterRequest): string {
  return Object.entries(r).filter(([k, v]) => k !== 'method' && v !== undefined).map(([k, v]) => `${k}=${v}`).join(' ');
}
