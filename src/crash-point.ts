/**
 * A test hook for crash trials, so a kill can land at an exact moment of a write instead
 * of a lucky one: with `PROMPTPREP_CRASH_AT=<moment>[:<n>]` the process kills itself with
 * SIGKILL (what `kill -9` does: no cleanup, no exit handlers) the n-th time (default 1st)
 * it reaches `crashPoint('<moment>')`. Unset, a call costs one comparison. The moments are
 * named where they are called (convert/items.ts: `decoding`; convert/place.ts: `staged`, `recorded`, `placed`).
 */
let plan: { moment: string; n: number } | null | undefined;
const reached = new Map<string, number>();

export function crashPoint(moment: string): void {
  if (plan === undefined) {
    const m = /^([a-z-]+)(?::(\d+))?$/.exec(process.env.PROMPTPREP_CRASH_AT ?? '');
    plan = m ? { moment: m[1] as string, n: Number(m[2] ?? 1) } : null;
  }
  if (plan === null || plan.moment !== moment) return;
  const count = (reached.get(moment) ?? 0) + 1;
  reached.set(moment, count);
  if (count === plan.n) process.kill(process.pid, 'SIGKILL');
}
