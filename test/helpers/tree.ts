import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A whole directory tree as comparable text: every path with its type, mode, and the
 * SHA-256 of its bytes (or its link target). Equal strings mean byte-identical trees.
 */
export async function snapshotTree(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      if (rel === '') lines.push('<absent>');
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const info = await lstat(path);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isSymbolicLink()) lines.push(`${r} -> ${await readlink(path)}`);
      else if (info.isDirectory()) {
        lines.push(`${r}/ ${mode}`);
        await walk(path, r);
      } else
        lines.push(
          `${r} ${mode} ${createHash('sha256')
            .update(await readFile(path))
            .digest('hex')}`,
        );
    }
  };
  await walk(root, '');
  return lines.join('\n');
}
