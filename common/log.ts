import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The structured logger every daemon uses. Bind context with `.child({ peer })`
 * rather than formatting it into messages, so that logs stay greppable.
 * Level comes from GARAGENET_LOG (default "info"; "silent" in tests).
 */
export function createLogger(component: string, options: { level?: string } = {}): Logger {
  const level = options.level ?? process.env.GARAGENET_LOG ?? (process.env.VITEST ? 'silent' : 'info');
  return pino({
    name: component,
    level,
    // Secrets must never reach a log line, even by accident in a bound object.
    redact: {
      paths: ['secret', 'privateKey', 'credential', 'token', '*.secret', '*.privateKey', '*.credential', '*.token'],
      censor: '[redacted]',
    },
  });
}
