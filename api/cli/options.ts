import { Option } from 'commander';
import { DEFAULTS } from '../core/config';

/**
 * `--dir`, shared by every data command. No commander default or env here: resolveDataDir and
 * resolveBootstrap (api/core/config.ts) are the one place flags, HEARTH_* variables and defaults meet.
 */
export function dirOption(): Option {
  return new Option('--dir <path>', `data folder (default: ${DEFAULTS.dir}, env: HEARTH_DIR)`);
}
