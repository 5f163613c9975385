/** What the backups page shows and sends, apart from the components. */

/** One backup as GET /api/backups lists it (the SDK does not export its type); `modified` is UTC text. */
export interface BackupFile {
  key: string;
  size: number;
  modified: string;
}

/** PocketBase's prefix for the backups the `__pbBackups__` job makes. */
export const AUTO_BACKUP_PREFIX = 'auto_';

/**
 * The name to ask the server for: '' for its own (`hearth_backup_<time>.zip`), else the text with
 * `.zip` added when missing. The server checks the rest and says what is wrong.
 */
export function backupFileName(input: string): string {
  const name = input.trim();
  if (name === '') return '';
  return name.toLowerCase().endsWith('.zip') ? name : `${name}.zip`;
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A size in the viewer's language with decimal units (`1.5 MB`, `1,5 MB`). */
export function formatBytes(bytes: number, lang: string): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return new Intl.NumberFormat(lang, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 || value >= 100 ? 0 : 1,
  }).format(value);
}

/** Upload progress in whole percent, or null when the browser cannot tell the total. */
export function uploadPercent(loaded: number, total: number): number | null {
  if (!(total > 0)) return null;
  return Math.min(100, Math.max(0, Math.floor((loaded / total) * 100)));
}
