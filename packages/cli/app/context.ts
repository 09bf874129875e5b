/** What every view gets from the app: the store's revision, acting with feedback, the photo viewer. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Correction } from './api.js';

export interface App {
  /** Changes whenever the store does (any tab, the CLI): views reload on it. */
  revision: number;
  /**
   * Runs a POST (a correction): its summary is shown with an Undo button, errors are shown, the views
   * reload. Resolves to whether it succeeded.
   */
  act(what: () => Promise<Correction | { summary?: string } | unknown>): Promise<boolean>;
  /** Opens the photo of a face with every face of it boxed. */
  openPhoto(faceId: number): void;
  /** Shows a message (an error: `alert`). */
  say(message: string, alert?: boolean): void;
}

export const AppContext = createContext<App>(null as unknown as App);
export const useApp = () => useContext(AppContext);
