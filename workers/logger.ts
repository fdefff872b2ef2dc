// pino logger with redaction: credentials in request headers and secret-named fields never reach a log line.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors. Headers are lower-case in Node; secret-named fields are masked at any of two depths. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-hivewatch-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-hivewatch-signature"]',
  'password',
  'secret',
  'token',
  'apiKey',
  'clientSecret',
  '*.password',
  '*.secret',
  '*.token',
  '*.tokens',
  '*.bearerTokens',
  '*.apiKey',
  '*.clientSecret',
  '*.*.password',
  '*.*.secret',
  '*.*.token',
  'config.auth',
  'config.admin',
];

/** A pino logger (stdout unless `destination` is given) that censors REDACT_PATHS. */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    name: 'hivewatch',
    level: 'info',
    ...options,
    redact: { paths: REDACT_PATHS, censor: '***' },
  };
  return destination ? pino(settings, destination) : pino(settings);
}
