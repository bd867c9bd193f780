/** --shard i/n: parsing and the stable partition. */
import { describe, expect, it } from 'vitest';
import { inShard, parseShard } from '../src/shard.js';

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['2/3', { index: 2, count: 3 }],
    [' 4/4 ', { index: 4, count: 4 }],
    ['10/12', { index: 10, count: 12 }],
  ])('%j', (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it.each(['', 'a', '1', '1/', '/3', 'a/b', '1.5/3', '-1/3', '1/3/5', '1 / 3', '1/-3'])('rejects malformed %j', (text) => {
    expect(() => parseShard(text)).toThrow(/--shard must look like i\/n \(e\.g\. 1\/4\)/);
  });

  it.each(['0/3', '4/3', '1/0', '0/0'])('rejects out-of-range %j', (text) => {
    expect(() => parseShard(text)).toThrow(/i must be between 1 and n, and n at least 1/);
  });
});

describe('inShard', () => {
  const keys = Array.from({ length: 600 }, (_, i) => `prompts/dir${i % 7}/file-${i}.wav`);

  it('takes everything without a shard or with n = 1', () => {
    expect(keys.every((k) => inShard(k, undefined))).toBe(true);
    expect(keys.every((k) => inShard(k, { index: 1, count: 1 }))).toBe(true);
  });

  it.each([2, 3, 4, 7])('puts every key in exactly one of %i shards, roughly evenly', (n) => {
    const sizes = new Array<number>(n).fill(0);
    for (const k of keys) {
      const owners = Array.from({ length: n }, (_, i) => i).filter((i) => inShard(k, { index: i + 1, count: n }));
      expect(owners).toHaveLength(1);
      sizes[owners[0]!]!++;
    }
    for (const size of sizes) {
      expect(size).toBeGreaterThan((keys.length / n) * 0.6);
      expect(size).toBeLessThan((keys.length / n) * 1.4);
    }
  });

  it('depends on the key alone: adding keys never moves the others', () => {
    const shard = { index: 2, count: 3 };
    const before = keys.slice(0, 300).filter((k) => inShard(k, shard));
    const after = keys.filter((k) => inShard(k, shard));
    expect(after.filter((k) => keys.indexOf(k) < 300)).toEqual(before);
  });
});
