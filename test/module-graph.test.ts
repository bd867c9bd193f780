import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

/**
 * The shape of src/: no import cycles (type-only imports count too: a cycle of types is
 * still two modules that cannot be understood apart), and file-system helpers come from
 * one leaf module, not from inside watch/.
 */

const SRC = path.join(REPO_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Relative imports of a module (static, dynamic and re-exports), as src-relative paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.[^']+)'/g)].map((m) => m[1] as string);
  return specs.map((s) => path.relative(SRC, path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts'))));
}

const graph = new Map(sourceFiles(SRC).map((f) => [path.relative(SRC, f), importsOf(f)]));

function findCycle(): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string): string[] | null => {
    if (state.get(m) === 'done') return null;
    if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
    state.set(m, 'open');
    stack.push(m);
    for (const dep of graph.get(m) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(m, 'done');
    return null;
  };
  for (const m of graph.keys()) {
    const cycle = visit(m);
    if (cycle) return cycle;
  }
  return null;
}

describe('module graph of src/', () => {
  it('sees the imports it checks (the parser is not blind)', () => {
    expect(graph.get('cli.ts')).toContain('commands/check.ts');
    expect(graph.size).toBeGreaterThan(30);
  });

  it('has no import cycles', () => {
    expect(findCycle()).toBeNull();
  });

  it('keeps file-system helpers in src/fs-util.ts, a leaf module nothing outside watch/ borrows from watch/ for', () => {
    expect(graph.get('fs-util.ts')).toEqual([]);
    // Outside watch/, only the watch command and the public API reach into it.
    const borrowers = [...graph.entries()]
      .filter(([m, deps]) => !m.startsWith('watch/') && deps.some((d) => d.startsWith('watch/')))
      .map(([m]) => m)
      .sort();
    expect(borrowers).toEqual(['commands/watch.ts', 'index.ts']);
  });
});
