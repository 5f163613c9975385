import { authSettings } from '../auth/settings.defs';
import { backupSettings } from '../backups/settings.defs';
import { coreSettings } from '../core/settings.defs';
import type { SettingsStore } from '../core/settings';
import { logsSettings } from '../logs/settings.defs';
import { mailSettings } from '../mail/settings.defs';
import { meetSettings } from '../meet/settings.defs';
import { rateLimitSettings } from '../ratelimit/settings.defs';
import { recordSettings } from '../records/settings.defs';

/** Every capability's settings, as one store sees them. A capability adds its defs here. */
export const settingDefs = {
  ...coreSettings,
  ...authSettings,
  ...recordSettings,
  ...mailSettings,
  ...rateLimitSettings,
  ...logsSettings,
  ...meetSettings,
  ...backupSettings,
};

export type HearthSettings = SettingsStore<typeof settingDefs>;
