import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe } from './errors.js';

/** File extensions (lower case, no dot) taken as images: what sharp/libvips decodes in its prebuilt binaries. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'tif', 'tiff', 'gif', 'avif', 'heic', 'heif', 'svg', 'jp2', 'jxl',
]);

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).slice(1).toLowerCase());
}

export interface FindImagesOptions {
  /**
   * Called with the absolute path of each folder before it is walked (the input folders too); a reason
   * string keeps the folder (and all below it) out and lists it in `skippedFolders`. The CLI skips its own
   * output folders this way.
   */
  skipFolder?: (dir: string) => string | undefined;
}

export interface FoundImages {
  /** Image files, absolute, sorted; each real file once (the first path met to it). */
  files: string[];
  /** Inputs that are missing or unreadable, explicit non-images, unreadable folders, broken links. */
  problems: { path: string; reason: string }[];
  /** Hidden folders (not walked) and hidden image files, absolute, sorted: skipped, but worth a mention. */
  hidden: string[];
  /** Folders `skipFolder` kept out, with its reason, sorted by path. */
  skippedFolders: { path: string; reason: string }[];
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Image files under `inputs`: files taken as given if they have an image extension; folders searched
 * recursively, following symbolic links to folders (each real folder walked once, so link loops end) and
 * skipping hidden entries (reported in `hidden`). Each real file is listed once, by the first path met in
 * a walk that visits inputs in order and folder entries sorted by name. Inputs that are missing or
 * unreadable, and files given explicitly without an image extension, are reported in `problems`, not thrown.
 */
export async function findImages(inputs: string[], options: FindImagesOptions = {}): Promise<FoundImages> {
  if (!Array.isArray(inputs) || inputs.some((p) => typeof p !== 'string')) {
    throw new TypeError(`Expected an array of paths for inputs but received ${Array.isArray(inputs) ? 'an array with a non-string' : typeof inputs}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for options but received ${describe(options)}`);
  const { skipFolder } = options;
  if (skipFolder !== undefined && typeof skipFolder !== 'function') {
    throw new TypeError(`Expected a function for skipFolder but received ${describe(skipFolder)}`);
  }
  const files = new Map<string, string>(); // real path -> first path met
  const walked = new Set<string>(); // real paths of folders walked or skipped
  const problems: FoundImages['problems'] = [];
  const hidden: string[] = [];
  const skippedFolders: FoundImages['skippedFolders'] = [];
  const addFile = (real: string, met: string) => {
    if (!files.has(real)) files.set(real, met);
  };

  const walk = async (dir: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(dir);
    } catch (err) {
      problems.push({ path: dir, reason: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (walked.has(real)) return; // a second link to a folder already seen, or a link loop
    walked.add(real);
    const reason = skipFolder?.(dir);
    if (reason !== undefined && typeof reason !== 'string') {
      throw new TypeError(`Expected skipFolder to return a reason string or undefined but received ${describe(reason)}`);
    }
    if (reason) {
      skippedFolders.push({ path: dir, reason });
      return;
    }
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, reason: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    for (const e of entries.sort(byName)) {
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = await stat(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          if (!e.name.startsWith('.')) problems.push({ path: full, reason: 'broken symbolic link' });
          continue;
        }
      }
      if (e.name.startsWith('.')) {
        // .DS_Store, .git and the like stay silent; a hidden folder or photo may be one the user expected
        if (isDir || (isFile && isImageFile(e.name))) hidden.push(full);
      } else if (isDir) await walk(full);
      else if (isFile && isImageFile(e.name)) {
        // a plain file's real path follows from its folder's: no system call per photo
        if (e.isSymbolicLink()) {
          try {
            addFile(await realpath(full), full);
          } catch {
            problems.push({ path: full, reason: 'broken symbolic link' });
          }
        } else addFile(path.join(real, e.name), full);
      }
    }
  };

  for (const input of inputs) {
    const abs = path.resolve(input);
    let st;
    try {
      st = await stat(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ path: abs, reason: code === 'ENOENT' ? 'no such file or folder' : `cannot access: ${code ?? (err as Error).message}` });
      continue;
    }
    if (st.isDirectory()) await walk(abs);
    else if (isImageFile(abs)) {
      try {
        addFile(await realpath(abs), abs);
      } catch (err) {
        problems.push({ path: abs, reason: `cannot access: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    } else problems.push({ path: abs, reason: `not an image file extension (${[...IMAGE_EXTENSIONS].join(', ')})` });
  }
  return { files: [...files.values()].sort(), problems, hidden: hidden.sort(), skippedFolders: skippedFolders.sort(byPath) };
}
