/**
 * People of an output folder: a clustering call's clusters matched to the people already in the store, so
 * person ids and names survive a later method, threshold or photo additions; `adopt` makes a call the
 * folder's people.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FaceStore, type StoredConstraints } from '@faceclust/embed';
import { acquireWriteLock } from './lock.js';
import { UsageError } from './options.js';
import { prepareOutDir, STORE_FILE } from './output.js';
import { appendLog, count } from './reports/log.js';

/**
 * Each cluster of a call (labels ≥ 0, one per face in `faceIds`) matched one to one to a person. First, a
 * cluster holding faces the user confirmed to a person (`confirmed`: face id → person) is that person's
 * (the most confirmed faces first; constrained clusterings put one confirmed person in a cluster at most).
 * Then the rest by shared faces, most first (ties: the smaller person id, then the smaller cluster), each
 * cluster and person at most once. Clusters left over become new people, numbered from `nextId` in cluster
 * order. Noise (−1) belongs to nobody.
 */
export function matchPeople(
  faceIds: Int32Array,
  labels: Int32Array,
  personOf: Map<number, number>,
  nextId: number,
  confirmed: Map<number, number> = new Map(),
): { personOfCluster: Map<number, number>; created: number[] } {
  const shared = new Map<string, { cluster: number; person: number; faces: number }>();
  const anchored = new Map<string, { cluster: number; person: number; faces: number }>();
  const clusters = new Set<number>();
  const tally = (into: typeof shared, cluster: number, person: number) => {
    const key = `${cluster}:${person}`;
    const entry = into.get(key) ?? { cluster, person, faces: 0 };
    entry.faces++;
    into.set(key, entry);
  };
  for (let i = 0; i < labels.length; i++) {
    const cluster = labels[i]!;
    if (cluster < 0) continue;
    clusters.add(cluster);
    const anchor = confirmed.get(faceIds[i]!);
    if (anchor !== undefined) tally(anchored, cluster, anchor);
    const person = personOf.get(faceIds[i]!);
    if (person !== undefined) tally(shared, cluster, person);
  }
  const order = (a: { faces: number; person: number; cluster: number }, b: typeof a) => b.faces - a.faces || a.person - b.person || a.cluster - b.cluster;
  const personOfCluster = new Map<number, number>();
  const taken = new Set<number>();
  for (const p of [...[...anchored.values()].sort(order), ...[...shared.values()].sort(order)]) {
    if (personOfCluster.has(p.cluster) || taken.has(p.person)) continue;
    personOfCluster.set(p.cluster, p.person);
    taken.add(p.person);
  }
  const created: number[] = [];
  for (const cluster of [...clusters].sort((a, b) => a - b)) {
    if (personOfCluster.has(cluster)) continue;
    personOfCluster.set(cluster, nextId);
    created.push(nextId++);
  }
  return { personOfCluster, created };
}

/** The folder's people as they are, read once: each face's person and name, the confirmed faces, the stored constraints. */
export interface CurrentPeople {
  personOf: Map<number, number>;
  names: Map<number, string | null>;
  confirmed: Map<number, number>;
  constraints: StoredConstraints;
}

/** Reads {@link CurrentPeople} from the store. */
export function currentPeople(store: FaceStore): CurrentPeople {
  const assigned = store.people.personOfFaces();
  const constraints = store.people.constraints();
  const { confirmed } = constraints;
  return {
    personOf: new Map(Array.from(assigned.faceIds, (f, i) => [f, assigned.personIds[i]!])),
    names: new Map(store.people.list().map((p) => [p.id, p.name])),
    confirmed: new Map(Array.from(confirmed.faceIds, (f, i) => [f, confirmed.personIds[i]!])),
    constraints,
  };
}

/**
 * Makes a clustering (a label per face id) the folder's people: each cluster matched to the people there
 * are (ids and names kept), the others new, no_class faces nobody's, faces not listed untouched. The
 * corrections stand whatever the clustering said (an older call's may predate them): a confirmed face stays
 * with its person, a face marked not a face belongs to nobody, and of two cannot-linked faces put in one
 * person the unconfirmed one (else the later) belongs to nobody. One transaction; the caller holds the write
 * lock. `adoptCall`, the first `run` of a folder and `run --recluster` use it.
 */
export function adoptLabels(store: FaceStore, faceIds: Int32Array, labels: Int32Array): { kept: number; created: number; faces: number } {
  const { personOfFace, kept, created } = planAdoption(store, faceIds, labels);
  store.people.assign(faceIds, Int32Array.from(faceIds, (f) => personOfFace.get(f) ?? -1));
  return { kept, created, faces: [...personOfFace.values()].filter((p) => p >= 0).length };
}

/**
 * What {@link adoptLabels} would write, without writing: each listed face's person (−1 nobody), and how many
 * people were kept and made. The outputs of a run show it before it is written.
 */
export function planAdoption(
  store: FaceStore,
  faceIds: Int32Array,
  labels: Int32Array,
  current: CurrentPeople = currentPeople(store),
): { personOfFace: Map<number, number>; kept: number; created: number } {
  const { personOf, confirmed, constraints: stored } = current;
  const { personOfCluster, created } = matchPeople(faceIds, labels, personOf, store.people.nextPersonId(), confirmed);
  const notFaces = new Set(stored.notFaces);
  const personOfFace = new Map<number, number>();
  faceIds.forEach((f, i) => {
    const label = labels[i]!;
    personOfFace.set(f, notFaces.has(f) ? -1 : (confirmed.get(f) ?? (label < 0 ? -1 : personOfCluster.get(label)!)));
  });
  for (let k = 0; k < stored.cannotLink.length; k += 2) {
    const a = stored.cannotLink[k]!;
    const b = stored.cannotLink[k + 1]!;
    const pa = personOfFace.get(a) ?? personOf.get(a);
    if (pa === undefined || pa < 0 || pa !== (personOfFace.get(b) ?? personOf.get(b))) continue;
    const loser = confirmed.has(b) ? a : b; // a < b: the later face, unless it is the confirmed one
    if (personOfFace.has(loser) && !confirmed.has(loser)) personOfFace.set(loser, -1);
  }
  return { personOfFace, kept: personOfCluster.size - created.length, created: created.length };
}

/**
 * Each cluster's person by the same matching, as a proposal (nothing written): clusters that match no
 * existing person are absent.
 */
export function proposePeople(
  store: FaceStore,
  faceIds: Int32Array,
  labels: Int32Array,
  current: CurrentPeople = currentPeople(store),
): Map<number, { id: number; name: string | null }> {
  const { personOf, names, confirmed } = current;
  const proposed = new Map<number, { id: number; name: string | null }>();
  if (names.size === 0) return proposed;
  for (const [cluster, id] of matchPeople(faceIds, labels, personOf, Number.MAX_SAFE_INTEGER, confirmed).personOfCluster) {
    if (names.has(id)) proposed.set(cluster, { id, name: names.get(id)! });
  }
  return proposed;
}

/** The store of an output folder, which must exist. */
export function openStore(out: string): { dir: string; store: FaceStore } {
  const dir = prepareOutDir(out);
  const file = path.join(dir, STORE_FILE);
  if (!fs.existsSync(file)) throw new UsageError(`No embedding store at ${file}: run \`faceclust run <photos> --out ${dir}\` first`);
  return { dir, store: FaceStore.open(file) };
}

/** What {@link adoptCall} did. */
export interface AdoptResult {
  call: number;
  /** People the call's clusters were matched to (ids kept), and people made for clusters that matched nobody. */
  kept: number;
  created: number;
  /** Faces the call put in a cluster, now each with its person. */
  faces: number;
}

/**
 * Makes clustering call `call` (default: the latest that kept its labels) the folder's people: its clusters
 * matched to the people there are (ids and names carried over), the others new; its noise faces belong to
 * nobody; faces the call did not cluster keep their person. One transaction, under the folder's write lock.
 */
export function adoptCall(out: string, opts: { call?: number; command?: string; log?: boolean } = {}): AdoptResult {
  const { dir, store } = openStore(out);
  const release = acquireWriteLock(dir, opts.command ?? 'adoptCall()');
  try {
    const withLabels = store.listCalls().filter((c) => c.status === 'done' && store.getCallLabels(c.id) !== undefined);
    const call = opts.call ?? withLabels.at(-1)?.id;
    if (call === undefined) throw new UsageError(`${dir} has no clustering call to adopt: run \`faceclust cluster cw --out ${dir}\` first`);
    const kept = store.getCallLabels(call);
    if (!kept) throw new UsageError(`Call ${call} in ${dir} kept no labels (not a clustering call, failed, or made before calls were recorded): choose one of ${withLabels.map((c) => c.id).join(', ') || 'none'}`);
    const result = { call, ...adoptLabels(store, kept.faceIds, kept.labels) };
    const clustered = result.faces;
    if (opts.log !== false) appendLog(dir, `people: adopted call ${String(call).padStart(3, '0')}`, new Date(), [
      ['command', opts.command ?? 'adoptCall()'],
      ['people', `${count(result.kept, 'person', 'people')} kept (ids and names), ${result.created} new`],
      ['faces', `${clustered} assigned; ${kept.labels.length - clustered} in no_class belong to nobody`],
    ]);
    return result;
  } finally {
    store.close();
    release();
  }
}

/** A person as `faceclust people --json` lists them. */
export interface PersonEntry {
  id: number;
  name: string | null;
  faces: { faceId: number; file: string; face: number }[];
}

/** The folder's people, largest first (ties: smaller id), each with its faces (absolute file, face index). */
export function listPeople(out: string): PersonEntry[] {
  const { store } = openStore(out);
  try {
    const where = new Map<number, { file: string; face: number }>();
    for (const model of store.listModels()) for (const f of store.loadFaces(model.id).faces) where.set(f.id, { file: f.file, face: f.faceIndex });
    return store
      .people.list()
      .map((p) => ({ id: p.id, name: p.name, faces: p.faceIds.filter((id) => where.has(id)).map((id) => ({ faceId: id, ...where.get(id)! })) }))
      .sort((a, b) => b.faces.length - a.faces.length || a.id - b.id);
  } finally {
    store.close();
  }
}
