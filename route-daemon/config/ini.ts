import { UserError } from '../../common/errors.js';

/**
 * The line format of the daemon's configuration, as wg-quick and systemd
 * units write it: `[section name]` headers, `key = value` lines, `#` or `;`
 * comments. It only splits lines; what a key means is config.ts's business.
 * Every piece keeps its line number so that errors can point at it.
 */

export interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface IniSection {
  /** First word of the header: `peer` in `[peer garage-b]`. */
  readonly kind: string;
  /** The rest of the header, or "" when there is none. */
  readonly name: string;
  readonly line: number;
  readonly entries: readonly IniEntry[];
}

export interface ConfigPlace {
  readonly file: string;
  readonly line?: number;
  readonly field?: string;
  readonly hint?: string;
}

/** "FILE:LINE: FIELD: problem (hint)". */
export class ConfigError extends UserError {
  constructor(problem: string, place: ConfigPlace) {
    const at = place.line === undefined ? place.file : `${place.file}:${place.line}`;
    super(`${at}: ${place.field ? `${place.field}: ` : ''}${problem}`, place.hint === undefined ? {} : { hint: place.hint });
    this.name = 'ConfigError';
  }
}

export function parseIni(text: string, options: { file: string }): IniSection[] {
  const sections: { kind: string; name: string; line: number; entries: IniEntry[] }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const content = stripComment(lines[i]!).trim();
    if (content === '') continue;
    if (content.startsWith('[')) {
      const header = /^\[\s*([a-z][a-z0-9-]*)(?:\s+([A-Za-z0-9._-]+))?\s*\]$/.exec(content);
      if (!header) {
        throw new ConfigError(`"${content}" is not a section header`, {
          file: options.file, line, hint: 'write it like [router] or [peer garage-b]; names use letters, digits, ".", "_" and "-"',
        });
      }
      sections.push({ kind: header[1]!, name: header[2] ?? '', line, entries: [] });
      continue;
    }
    const eq = content.indexOf('=');
    if (eq <= 0) throw new ConfigError(`"${content}" is not a "key = value" line`, { file: options.file, line, hint: 'write settings as key = value, under a [section]' });
    const key = content.slice(0, eq).trim().toLowerCase();
    const value = content.slice(eq + 1).trim();
    const section = sections.at(-1);
    if (!section) throw new ConfigError('setting before any [section]', { file: options.file, line, field: key, hint: 'start the file with [router]' });
    section.entries.push({ key, value, line });
  }
  return sections;
}

function stripComment(line: string): string {
  const trimmed = line.trimStart();
  if (trimmed.startsWith('#') || trimmed.startsWith(';')) return '';
  const hash = line.search(/\s[#;]/);
  return hash >= 0 ? line.slice(0, hash) : line;
}
