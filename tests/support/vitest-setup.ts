import { ensureDebianPackage } from './debian';

/** coturn's STUN client, a second and independent client of Hearth's STUN listener (api/meet). */
export const STUN_CLIENT = '/usr/bin/turnutils_stunclient';

/** Vitest's global setup: the real protocol clients the unit and API tests drive. */
export default function setup(): void {
  ensureDebianPackage({ file: STUN_CLIENT, pkg: 'coturn', why: 'The STUN tests' });
}
