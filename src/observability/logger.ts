import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (pino). Level from NOMEN_LOG_LEVEL or the `nomen.log.level` property. */
export function createLogger(level: string = process.env.NOMEN_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'nomen' } });
}

/** A logger that drops everything; for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
