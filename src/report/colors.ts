import pc from 'picocolors';

/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof pc.createColors> {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return pc.createColors(Boolean(stream.isTTY) && !noColor);
}
