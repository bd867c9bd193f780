import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * Locating ffmpeg and ffprobe. ffmpeg: FFMPEG_PATH, else `ffmpeg` on PATH.
 * ffprobe: FFPROBE_PATH, else an `ffprobe` next to FFMPEG_PATH, else `ffprobe` on PATH.
 */

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

export function findFfmpeg(): string {
  const env = process.env.FFMPEG_PATH;
  if (env) {
    if (!isExecutable(env)) throw new Error(`FFMPEG_PATH is "${env}", which is not an executable file.`);
    return env;
  }
  const found = onPath('ffmpeg');
  if (!found) throw new Error('ffmpeg not found: set FFMPEG_PATH or put ffmpeg on PATH.');
  return found;
}

export function findFfprobe(): string {
  const env = process.env.FFPROBE_PATH;
  if (env) {
    if (!isExecutable(env)) throw new Error(`FFPROBE_PATH is "${env}", which is not an executable file.`);
    return env;
  }
  const ffmpeg = process.env.FFMPEG_PATH;
  if (ffmpeg) {
    const beside = path.join(path.dirname(ffmpeg), 'ffprobe' + path.extname(ffmpeg));
    if (isExecutable(beside)) return beside;
  }
  const found = onPath('ffprobe');
  if (!found) throw new Error('ffprobe not found: set FFPROBE_PATH, or put ffprobe next to FFMPEG_PATH or on PATH.');
  return found;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** execFile with an argument array (no shell); rejects with stderr in the message on failure. */
export function run(file: string, args: readonly string[], options: { maxBuffer?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}
