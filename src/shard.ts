import { createHash } from 'node:crypto';

/** `--shard i/n`: a stable slice of a file list, so a CI matrix can split a large library. */

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard must look like i/n (e.g. 1/4), not "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) {
    throw new Error(`--shard ${text}: i must be between 1 and n, and n at least 1`);
  }
  return { index, count };
}

/**
 * Whether `key` belongs to the shard. Membership depends on the key alone (a hash), not
 * on its position in the list, so adding a file never moves the others between machines.
 */
export function inShard(key: string, shard: Shard | undefined): boolean {
  if (!shard || shard.count === 1) return true;
  const h = createHash('sha1').update(key).digest().readUInt32BE(0);
  return h % shard.count === shard.index - 1;
}
