import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the OS temp dir; remove it with `removeTempDir` in afterAll. */
export async function makeTempDir(prefix = 'promptprep-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Remove a temp dir made by `makeTempDir`, first restoring permissions a test took away. */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (!dir) return;
  await restoreModes(dir);
  await fs.rm(dir, { recursive: true, force: true });
}

async function restoreModes(dir: string): Promise<void> {
  let names: string[];
  try {
    await fs.chmod(dir, 0o755);
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    const st = await fs.lstat(p).catch(() => null);
    if (!st) continue;
    if (st.isDirectory()) await restoreModes(p);
    else if (st.isFile()) await fs.chmod(p, 0o644).catch(() => undefined);
  }
}
