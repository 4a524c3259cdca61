import type { LogLevel } from './config';
import { isErrorLike } from './errors';

/** JSON lines on stdout, one object a line, with every known secret and token shape redacted. */

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const TOKEN_SHAPES = [
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g,
];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether a line at this level would be written (to skip building one that would not). */
  enabled(level: LogLevel): boolean;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, '[redacted]');
  return out;
}

function serializeError(error: unknown): unknown {
  if (isErrorLike(error)) return { name: error.name, message: error.message, stack: error.stack };
  return error;
}

export function createLogger(
  level: LogLevel,
  secrets: readonly string[],
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const threshold = LEVELS[level];
  const log = (at: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (LEVELS[at] < threshold) return;
    const entry = { time: new Date().toISOString(), level: at, message, ...fields };
    let line: string;
    try {
      line = JSON.stringify(entry, (_k, v: unknown) =>
        isErrorLike(v) && typeof v === 'object' ? serializeError(v) : v,
      );
    } catch {
      line = JSON.stringify({ time: entry.time, level: at, message, note: 'fields not serializable' });
    }
    write(redact(line, secrets) + '\n');
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    enabled: (at) => LEVELS[at] >= threshold,
  };
}
