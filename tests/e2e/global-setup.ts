import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser; playwright.config.ts launches this one. */
export const CHROMIUM = '/usr/bin/chromium';

/** Runs a command with its output streamed to ours; throws a readable error when it fails. */
function run(command: string, args: string[]): void {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw new Error(`Could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (${result.signal ?? `exit code ${result.status}`}); ` +
        `install Chromium yourself with \`apt-get install chromium\` and run the tests again.`,
    );
  }
}

/**
 * The end-to-end tests drive Debian's Chromium rather than Playwright's downloaded build (QUALITY.md:
 * `npm test` sets up what it needs). As root we install it; anyone else is told how.
 */
export default function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `The end-to-end tests need Chromium at ${CHROMIUM}. Install it with \`sudo apt-get install chromium\` ` +
        `(Debian/Ubuntu) and run the tests again.`,
    );
  }
  console.log(`${CHROMIUM} is missing; installing Debian's chromium package.`);
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', 'chromium']);
  if (!existsSync(CHROMIUM)) {
    throw new Error(`apt-get installed chromium, but ${CHROMIUM} is still missing.`);
  }
}
