import type { Command } from 'commander';
import { downCommand } from './down.js';
import { joinCommand } from './join.js';
import { leaveCommand } from './leave.js';
import { rotateKeyCommand } from './rotate-key.js';
import { statusCommand } from './status.js';
import { upCommand } from './up.js';

/** The operator's verbs for this node, one module each. */
export function nodeCommands(): Command[] {
  return [joinCommand(), upCommand(), downCommand(), statusCommand(), leaveCommand(), rotateKeyCommand()];
}
