import type { AuditPage, AuditPageRequest } from '../../registry/model.js';
import { rejections } from './refusals.js';
import type { AuditEntry } from './types.js';

/** Refusals shown per experiment, newest first. */
export const REFUSALS_SHOWN = 200;
/** Entries read a page (the registry's most). */
const PAGE = 1000;
/** Pages read per experiment per look; a log growing faster is caught up over the following looks. */
const PAGES_PER_LOOK = 5;

export type ReadAuditPage = (experiment: string, page: Partial<AuditPageRequest>) => Promise<AuditPage>;

interface Window {
  /** Cursor of the newest entry read ('' while the log was empty). */
  last: string;
  refusals: AuditEntry[];
}

/**
 * The newest refusals of each experiment's audit log. The first look reads
 * the newest page; every later look reads only what was added after the
 * newest entry seen, so a refresh costs the growth of the log, not its length.
 */
export class AuditWindows {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly read: ReadAuditPage) {}

  /** The experiment's refusals now; throws what the registry threw (the window is kept). */
  async look(experiment: string): Promise<AuditEntry[]> {
    const seen = this.windows.get(experiment);
    if (!seen?.last) {
      const page = await this.read(experiment, { limit: PAGE });
      return this.keep(experiment, { last: page.last, refusals: rejections(page.entries).slice(0, REFUSALS_SHOWN) }).refusals;
    }
    let window = seen;
    for (let pages = 0; pages < PAGES_PER_LOOK; pages++) {
      const page = await this.read(experiment, { limit: PAGE, after: window.last });
      if (page.entries.length === 0) break;
      window = this.keep(experiment, { last: page.last, refusals: [...rejections(page.entries), ...window.refusals].slice(0, REFUSALS_SHOWN) });
      if (!page.more) break;
    }
    return window.refusals;
  }

  private keep(experiment: string, window: Window): Window {
    this.windows.set(experiment, window);
    return window;
  }

  /** Drops the windows of experiments no longer in the registry. */
  keepOnly(experiments: readonly string[]): void {
    const kept = new Set(experiments);
    for (const name of this.windows.keys()) if (!kept.has(name)) this.windows.delete(name);
  }
}
