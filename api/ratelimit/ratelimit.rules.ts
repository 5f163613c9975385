import { z } from 'zod';

/**
 * Rate limit rules in PocketBase's settings format (core/settings_model.go RateLimitRule) and the
 * matching of PocketBase's FindRateLimitRule, compiled once per rule list so a request that no rule
 * can match costs a few string operations.
 */
export type RateLimitAudience = '' | '@guest' | '@auth';

export interface RateLimitRule {
  /** A tag (`users:auth`, `*:create`), a path (`/api/batch`), a path prefix (`/api/`), with or without a method (`POST /api/`). */
  label: string;
  /** Who the rule is for: everyone (''), guests only, or signed-in records only. */
  audience: RateLimitAudience;
  /** The window, in seconds. */
  duration: number;
  /** Requests one client may make per window. */
  maxRequests: number;
}

/** A rule as the limiter uses it: `id` names its windows, `windowMs` is `duration` in ms. */
export interface CompiledRule extends RateLimitRule {
  id: number;
  windowMs: number;
}

/** PocketBase's rateLimitRuleLabelRegex (Go's \w is JavaScript's \w). */
const LABEL = /^(\w+ \/[\w/-]*|\/[\w/-]*|\w+:\w+|\*:\w+|\w+)$/;
const AUDIENCES: readonly string[] = ['', '@guest', '@auth'];

/**
 * The rules list, checked as PocketBase checks it (label format, maxRequests ≥ 1, duration ≥ 1,
 * audience '' | '@guest' | '@auth', no conflicting labels), with the offending rule named in the
 * message (`rules.0.label: …`): the settings API reports one message per setting.
 *
 * One Hearth extension: a label may be listed more than once with different durations (a short
 * window against bursts and a long one against slow guessing); a request must fit all of them.
 * PocketBase allows one rule per label and audience, so every list it accepts means the same here.
 */
export const rateLimitRulesSchema = z.array(z.unknown()).transform((items, ctx): RateLimitRule[] => {
  const rules: RateLimitRule[] = [];
  const fail = (message: string): never => {
    ctx.addIssue({ code: 'custom', message, input: items });
    return z.NEVER;
  };
  for (const [i, item] of items.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return fail(`rules.${i}: must be an object {label, audience, duration, maxRequests}`);
    }
    const raw = item as Record<string, unknown>;
    const { label, maxRequests, duration } = raw;
    const audience = raw['audience'] ?? '';
    if (typeof label !== 'string' || label === '') return fail(`rules.${i}.label: cannot be blank`);
    if (!LABEL.test(label)) {
      return fail(
        `rules.${i}.label: "${label}" must be a tag such as users:auth or *:create, or a path such as /api/ or POST /api/batch`,
      );
    }
    if (!Number.isSafeInteger(maxRequests) || (maxRequests as number) < 1) {
      return fail(`rules.${i}.maxRequests: must be a whole number, at least 1`);
    }
    if (!Number.isSafeInteger(duration) || (duration as number) < 1) {
      return fail(`rules.${i}.duration: must be a whole number of seconds, at least 1`);
    }
    if (typeof audience !== 'string' || !AUDIENCES.includes(audience)) {
      return fail(`rules.${i}.audience: must be "", "@guest" or "@auth"`);
    }
    const rule: RateLimitRule = {
      label,
      audience: audience as RateLimitAudience,
      duration: duration as number,
      maxRequests: maxRequests as number,
    };
    const other = rules.findIndex((r) => conflicts(r, rule));
    if (other !== -1) {
      return fail(
        `rules.${i}.label: a rule with label ${label} and the same duration already exists or conflicts with rules.${other}`,
      );
    }
    rules.push(rule);
  }
  return rules;
});

/**
 * PocketBase's checkUniqueRuleLabel: `label@@audience` keys conflict when one is a prefix of the
 * other (the same label and audience, or a rule for everyone next to one for a single audience).
 * Hearth lets such rules stand together when their durations differ.
 */
function conflicts(a: RateLimitRule, b: RateLimitRule): boolean {
  if (a.duration !== b.duration) return false;
  const ka = `${a.label}@@${a.audience}`;
  const kb = `${b.label}@@${b.audience}`;
  return ka.startsWith(kb) || kb.startsWith(ka);
}

/**
 * A rule list ready for matching. `find` is PocketBase's FindRateLimitRule (labels in the order
 * given, the first rule whose label equals one, else the first prefix rule — a label ending in `/`
 * — that starts it), returning that rule with every other rule of the same label for the audience.
 */
export class RuleSet {
  /** Label → its rules, in settings order. */
  readonly #exact = new Map<string, CompiledRule[]>();
  /** Rules whose label ends in `/`, in settings order. */
  readonly #prefix: CompiledRule[] = [];
  /** The action part of every tag label (`auth` for `*:auth` and `users:auth`). */
  readonly actions = new Set<string>();
  /** Whether some rule is a path or path prefix, so every request needs a look. */
  readonly hasPathRules: boolean;

  constructor(rules: readonly RateLimitRule[]) {
    let paths = false;
    for (const [id, rule] of rules.entries()) {
      const compiled: CompiledRule = { ...rule, id, windowMs: rule.duration * 1000 };
      const list = this.#exact.get(rule.label);
      if (list) list.push(compiled);
      else this.#exact.set(rule.label, [compiled]);
      if (rule.label.endsWith('/')) this.#prefix.push(compiled);
      const colon = rule.label.indexOf(':');
      if (colon !== -1) this.actions.add(rule.label.slice(colon + 1));
      else if (rule.label.includes('/')) paths = true;
    }
    this.hasPathRules = paths;
  }

  /** Whether a rule is tagged with one of these actions (`auth`, `create` …). */
  hasAction(actions: readonly string[]): boolean {
    for (const a of actions) if (this.actions.has(a)) return true;
    return false;
  }

  /**
   * The rules for the first label (in order) that some rule matches, for a request whose sender is
   * signed in (`authed`) or not; empty when none does. Without `authed`, audiences are ignored: does
   * any rule match at all?
   */
  find(labels: readonly string[], authed?: boolean): CompiledRule[] {
    const fits = (r: CompiledRule): boolean =>
      authed === undefined || r.audience === '' || r.audience === (authed ? '@auth' : '@guest');
    for (const label of labels) {
      const exact = this.#exact.get(label)?.find(fits);
      const found = exact ?? this.#prefix.find((r) => fits(r) && `${label}/`.startsWith(r.label));
      if (found) return this.#exact.get(found.label)!.filter(fits);
    }
    return [];
  }
}
