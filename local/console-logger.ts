import type { Logger } from '../engine/ports/index.js';

/** Engine logs as one line each on stderr: "warn  resuming uncommitted batch jobId=... batchId=7". */
export function consoleLogger(options: { quiet?: boolean; write?: (line: string) => void } = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const line = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${level.padEnd(5)} ${message}${rest ? ` ${rest}` : ''}`);
  };
  return {
    info: (message, fields) => {
      if (!options.quiet) line('info', message, fields);
    },
    warn: (message, fields) => line('warn', message, fields),
    error: (message, fields) => line('error', message, fields),
  };
}
