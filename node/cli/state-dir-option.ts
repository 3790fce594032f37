import { Option } from 'commander';
import { DEFAULT_NODE_STATE_DIR, statePaths, type StatePaths } from '../state/layout.js';

/** `--state-dir DIR`, shared by every node verb. */
export function stateDirOption(): Option {
  return new Option('--state-dir <dir>', 'where the node keeps its key, credential and mesh state').default(DEFAULT_NODE_STATE_DIR);
}

export function pathsFrom(options: { stateDir: string }): StatePaths {
  return statePaths(options.stateDir);
}
