import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { NAME_MAX_BYTES } from '../fs-util.js';

/**
 * A file dropped on the page, taken off the wire onto disk: streamed (never held in
 * memory), counted against the cap while it arrives, and only renamed to its real name
 * once it is complete. An upload cut off or over the cap leaves nothing where the
 * watcher (or a person) would take it for a finished recording.
 */

export class DropError extends Error {
  override name = 'DropError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The name a dropped file may have on disk: one plain file name. Anything that could
 * climb out of the folder, hide from the watcher or confuse a reader is refused with the
 * rule it broke; the platform's own name rules are applied later, by convert or watch,
 * exactly as for a file copied in by hand.
 */
export function dropFileName(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new DropError('the dropped file has no name', 400);
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new DropError('the dropped file\'s name is not valid URI-encoded text', 400);
  }
  if (name === '.' || name === '..' || /[\\/]/.test(name)) throw new DropError(`${name}: a dropped file's name cannot contain / or \\`, 400);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new DropError(`${JSON.stringify(name)}: a file name cannot hold control characters`, 400);
  if (name.startsWith('.')) throw new DropError(`${name}: names starting with "." are hidden files, which watch and convert skip`, 400);
  if (Buffer.byteLength(name) > NAME_MAX_BYTES) throw new DropError(`${name}: longer than ${NAME_MAX_BYTES} bytes, the file system's limit`, 400);
  return name;
}

/**
 * Stream `body` into `dir/name`: first into a hidden `.part` file beside it (watch
 * ignores dotfiles and *.part), renamed into place once complete. Refuses an existing
 * `dir/name` (the drop would replace someone's file) and anything over `maxBytes`.
 */
export async function receiveDrop(body: Readable, dir: string, name: string, maxBytes: number): Promise<{ path: string; bytes: number }> {
  await fs.mkdir(dir, { recursive: true });
  const final = path.join(dir, name);
  const part = path.join(dir, `.${randomBytes(6).toString('hex')}.desk.part`);
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) done(new DropError(`${name} is larger than the desk accepts (${maxBytes} bytes; "desk.maxUploadBytes" in the config)`, 413));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(part, { flags: 'wx' }));
    if (bytes === 0) throw new DropError(`${name} is empty`, 400);
    // link, not rename: it fails when the name is taken instead of replacing that file.
    try {
      await fs.link(part, final);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DropError(`${name} is already waiting there; rename the file or wait until it is processed`, 409);
      throw err;
    }
    return { path: final, bytes };
  } finally {
    await fs.rm(part, { force: true });
  }
}
