import { coreSettings } from '../core/settings.defs';
import type { SettingsStore } from '../core/settings';
import { recordSettings } from '../records/settings.defs';

/** Every capability's settings, as one store sees them. A capability adds its defs here. */
export const settingDefs = { ...coreSettings, ...recordSettings };

export type HearthSettings = SettingsStore<typeof settingDefs>;
