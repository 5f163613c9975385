import { isIP } from 'node:net';
import { z } from 'zod';
import { defineSettings } from '../core/settings';

/** A TURN server URL as RFC 7065 writes them: `turn:host[:port][?transport=udp|tcp]`, or `turns:`. */
const TURN_URL = /^turns?:[A-Za-z0-9.\-[\]:]+(?:\?transport=(?:udp|tcp))?$/;

/**
 * Meet (video calls): how many people a mesh room holds, the built-in STUN listener, and the TURN
 * server Hearth issues time-limited credentials for (the TURN REST API scheme: docs/meet.md).
 */
export const meetSettings = defineSettings({
  'meet.maxPeers': {
    schema: z.number().int().min(2).max(50),
    default: 6,
    description:
      'How many people a room holds. Every browser sends its video to every other (mesh): past about 6, uplinks and CPUs give out.',
  },
  'meet.stun.enabled': {
    schema: z.boolean(),
    default: true,
    description: 'Answer STUN binding requests (RFC 5389) over UDP, so browsers learn their public address.',
  },
  'meet.stun.port': {
    schema: z.number().int().min(1).max(65535),
    default: 3478,
    description: 'The UDP port of the STUN listener (3478 is the standard one).',
  },
  'meet.stun.host': {
    schema: z
      .string()
      .trim()
      .refine((v) => v === '' || isIP(v) !== 0, 'Must be an IP address'),
    default: '',
    description: 'The address the STUN listener binds to; empty: the address Hearth serves HTTP on.',
  },
  'meet.turn.urls': {
    schema: z.array(z.string().trim().regex(TURN_URL, 'Must be a turn: or turns: URL')).max(10),
    default: [],
    description:
      'TURN servers (coturn) handed to browsers, e.g. turn:turn.example.org:3478?transport=udp. Empty: none.',
  },
  'meet.turn.secret': {
    schema: z.string().max(256),
    default: '',
    secret: true,
    description: "coturn's static-auth-secret: Hearth signs time-limited TURN credentials with it.",
  },
  'meet.turn.ttl': {
    schema: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600),
    default: 24 * 3600,
    description: 'How long issued TURN credentials last, in seconds.',
  },
});
