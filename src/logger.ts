import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { colorEnabled } from './report/colors.js';
import { escapeControlChars, escapeControlCharsInJson } from './text-safe.js';

/**
 * One line per event. People at a terminal get a readable line; everything else (a
 * service manager, a pipe, a log shipper) gets JSON lines.
 */
export type { Logger };

export interface LoggerOptions {
  /** Force JSON lines (true) or pretty lines (false); default: pretty only on a TTY. */
  json?: boolean;
  level?: string;
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const json = options.json ?? !destination.isTTY;
  const level = options.level ?? process.env.PROMPTPREP_LOG_LEVEL ?? 'info';
  const base = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  // pino escapes C0 controls as JSON does; DEL, C1 and the bidi controls it leaves raw.
  if (json) return pino({ ...base, hooks: { streamWrite: escapeControlCharsInJson } }, destination);
  // sync: a line is on the terminal before the next event (and before exit).
  const stream = pretty({
    destination,
    sync: true,
    colorize: colorEnabled(destination),
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    // The message already says it all (the event word too: "x.wav queued"); the structured
    // fields are for the JSON form. Names in it are shown escaped, one event a line.
    // (No singleLine: with hideObject, pino-pretty 13 then ends a line without its newline.)
    messageFormat: (log, messageKey) => escapeControlChars(String(log[messageKey] ?? '')),
    hideObject: true,
  });
  return pino(base, stream);
}

/** A logger that drops everything (library callers that want no output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
