import pkg from '../package.json' with { type: 'json' };

/** This Hearth's version (package.json): in backup manifests, and what a backup is compared with. */
export const HEARTH_VERSION: string = pkg.version;
