import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every file under src/seed/templates/ (the built-in workshop and one folder per template),
 * by path relative to that folder. This version reads them from disk, for tests and tsx;
 * scripts/build.mjs replaces this module in dist/ with the same files embedded as strings,
 * so the bundled CLI needs no files beside it.
 */
export async function templateFiles(): Promise<Record<string, string>> {
  const root = fileURLToPath(new URL('./templates/', import.meta.url));
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files[relative(root, path).split(sep).join('/')] = await readFile(path, 'utf8');
    }
  };
  await walk(root);
  return files;
}
