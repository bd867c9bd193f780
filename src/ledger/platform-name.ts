/** `wait_voice1.wav`, version 3 → `wait_voice1-v3.wav`, shortened to fit the name limit. */
export function platformVersionName(name: string, version: number, maxLength: number, extension: string): string {
  const stem = name.endsWith(extension) ? name.slice(0, -extension.length) : name;
  const suffix = `-v${version}`;
  const room = maxLength - extension.length - suffix.length;
  return `${stem.slice(0, Math.max(1, room))}${suffix}${extension}`;
}
