import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Small file-system helpers shared by convert, watch and the commands. A leaf: it imports nothing of ours. */

/** Whether anything (a file, folder or even a dangling link) has this name. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** `dir/name`, or `dir/stem-2.ext`, `-3`... : the first name not taken. */
export async function freeName(dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, i === 1 ? name : `${stem}-${i}${ext}`);
    if (!(await exists(candidate))) return candidate;
  }
}
