/** The review page's view of the server's JSON API (README, "Review server API"). */

import type { Correction, PersonFace } from '@faceclust/embed';

export type { Correction };

/** The token rides in the page's meta tag; POSTs need it in a header (a cookie alone is refused). */
const token = document.querySelector<HTMLMetaElement>('meta[name="faceclust-token"]')?.content ?? '';

export interface PersonSummary {
  id: number;
  name: string | null;
  count: number;
  confirmed: number;
  face: number | null;
  /** The representative face's crop as a data: URL, on the first screen's people (else fetch cropUrl(face)). */
  crop?: string;
}

/** A face as a person page lists it: the store's own type (types only: nothing of the store is bundled). */
export type Face = PersonFace & { crop?: string };

export interface PersonPage extends PersonSummary {
  offset: number;
  limit: number;
  faces: Face[];
}

export interface PhotoFaces {
  file: string;
  width?: number;
  height?: number;
  faces: { faceId: number; face: number; box: [number, number, number, number]; score: number; person: { id: number; name: string | null } | null }[];
}

export interface SuggestedPerson {
  id: number;
  name: string | null;
  faces: number;
}

export interface Suggestions {
  pairs: { a: SuggestedPerson; b: SuggestedPerson; distance: number; closest: number }[];
  outliers: { faceId: number; file: string; face: number; person: { id: number; name: string | null }; distance: number; rank: number }[];
}

export interface Job {
  id: number;
  state: 'running' | 'done' | 'failed';
  request: { method: 'cw' | 'dbscan'; threshold?: number; eps?: number; minSamples?: number };
  preview?: { call: number; method: string; params: Record<string, unknown>; faces: number; clusters: number; noise: number; kept: number; created: number; changed: number; unassigned: number };
  error?: string;
}

/** A failed request: the server's message (it names the field or the person) and the HTTP status. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

async function answer<T>(r: Response): Promise<T> {
  const data = (await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }))) as { error?: string };
  if (!r.ok) throw new ApiError(data.error ?? `${r.status} ${r.statusText}`, r.status);
  return data as T;
}

export async function get<T>(url: string): Promise<T> {
  return answer<T>(await fetch(url, { headers: { 'X-Faceclust-Token': token } }));
}

export async function post<T>(url: string, body: unknown = {}): Promise<T> {
  return answer<T>(await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Faceclust-Token': token }, body: JSON.stringify(body) }));
}

export const cropUrl = (faceId: number) => `/api/faces/${faceId}/crop`;
/** A tile's image: its inline crop when the server sent one, else its URL. */
export const cropSrc = (faceId: number, inline?: string) => inline ?? cropUrl(faceId);
export const photoUrl = (faceId: number) => `/api/faces/${faceId}/photo`;

/** "Ana", or "person 7" for an unnamed one. */
export const label = (p: { id: number; name: string | null }) => p.name ?? `person ${p.id}`;
export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
