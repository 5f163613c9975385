import type { FieldError } from '../core/errors';
import { tokenize, type FilterError, type Token } from '../lib/filter';

/**
 * The `data.<rule>` error of a rule that does not compile, saying where the problem is: PocketBase
 * answers `Invalid rule. Raw error: …`; here the message names the line and column (1-based) and
 * `params` carries them with the 0-based `position`, so a form can put the cursor there.
 */
export function ruleError(rule: string, err: FilterError): FieldError {
  const problem = err.message
    .replace(/^Invalid filter:\s*/, '')
    .replace(/ at position \d+\.?$/, '')
    .replace(/\.?$/, '.');
  const position = err.position ?? locateNamedIdentifier(rule, err.message);
  if (position === undefined) return { code: 'validation_invalid_rule', message: `Invalid rule: ${problem}` };
  const before = rule.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return {
    code: 'validation_invalid_rule',
    message: `Invalid rule at line ${line}, column ${column}: ${problem}`,
    params: { position, line, column },
  };
}

/**
 * Syntax errors carry their position; errors from resolving a field (`unknown field "nope"`) name
 * the identifier instead. Its place is the first identifier of the rule that is, or has a path
 * segment equal to, a name the message quotes (in the order the message quotes them).
 */
function locateNamedIdentifier(rule: string, message: string): number | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(rule).filter((t) => t.type === 'identifier' || t.type === 'function');
  } catch {
    return undefined;
  }
  for (const [, quoted] of message.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    let name: string;
    try {
      name = JSON.parse(`"${quoted}"`) as string;
    } catch {
      continue;
    }
    const found = tokens.find((t) => t.value === name || t.value.split(/[.:]/).includes(name));
    if (found) return found.pos;
  }
  return undefined;
}
