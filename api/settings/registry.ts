import { authSettings } from '../auth/settings.defs';
import { coreSettings } from '../core/settings.defs';
import type { SettingsStore } from '../core/settings';

/** Every capability's settings, as one store sees them. A capability adds its defs here. */
export const settingDefs = { ...coreSettings, ...authSettings };

export type HearthSettings = SettingsStore<typeof settingDefs>;
