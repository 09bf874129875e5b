import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** File extensions (lower case, no dot) taken as images: what sharp/libvips decodes in its prebuilt binaries. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  'jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'tif', 'tiff', 'gif', 'avif', 'heic', 'heif', 'svg', 'jp2', 'jxl',
]);

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).slice(1).toLowerCase());
}

/**
 * Image files under `inputs` (files taken as given if they have an image extension; folders searched
 * recursively, hidden entries skipped), absolute, de-duplicated and sorted. Inputs that are missing or
 * unreadable, and files given explicitly without an image extension, are reported in `problems`, not thrown.
 */
export async function findImages(inputs: string[]): Promise<{ files: string[]; problems: { path: string; reason: string }[] }> {
  if (!Array.isArray(inputs) || inputs.some((p) => typeof p !== 'string')) {
    throw new TypeError(`Expected an array of paths for inputs but received ${Array.isArray(inputs) ? 'an array with a non-string' : typeof inputs}`);
  }
  const files = new Set<string>();
  const problems: { path: string; reason: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, reason: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && isImageFile(e.name)) files.add(full);
      else if (e.isSymbolicLink()) {
        try {
          const st = await stat(full);
          if (st.isFile() && isImageFile(e.name)) files.add(full);
        } catch {
          problems.push({ path: full, reason: 'broken symbolic link' });
        }
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
    else if (isImageFile(abs)) files.add(abs);
    else problems.push({ path: abs, reason: `not an image file extension (${[...IMAGE_EXTENSIONS].join(', ')})` });
  }
  return { files: [...files].sort(), problems };
}
