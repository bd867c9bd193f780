/** File-system errors as sentences that name the file and say what to do. */

/** Turn a file-system error into a sentence that names the file and what to do. */
export function describeFsError(err: unknown, filePath: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return `"${filePath}" does not exist (or is a link to a missing file).`;
    case 'EACCES':
    case 'EPERM':
      return `"${filePath}" cannot be read: permission denied. Fix its permissions (e.g. chmod a+r).`;
    case 'ELOOP':
      return `"${filePath}" is a symbolic link loop and points at no file.`;
    case 'EISDIR':
      return `"${filePath}" is a directory, not an audio file.`;
    case 'EIO':
      return `"${filePath}" could not be read: input/output error.`;
    default:
      return `"${filePath}" could not be read: ${(err as Error | undefined)?.message ?? String(err)}.`;
  }
}
