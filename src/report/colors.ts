import pc from 'picocolors';

/**
 * When output is coloured, in this order:
 *  1. `--color` / `--no-color` on the command line (setColorChoice);
 *  2. FORCE_COLOR: set and not empty, colour on, except "0" or "false" (as Node.js reads it),
 *     so CI logs, which are pipes, can have colour;
 *  3. NO_COLOR: set and not empty, colour off (no-color.org);
 *  4. otherwise colour only for a person at a terminal (a TTY).
 */

let choice: boolean | undefined;

/** The CLI's `--color` (true) / `--no-color` (false); undefined leaves it to the environment. */
export function setColorChoice(value: boolean | undefined): void {
  choice = value;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (choice !== undefined) return choice;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY);
}

export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof pc.createColors> {
  return pc.createColors(colorEnabled(stream, env));
}
