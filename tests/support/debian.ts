import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Runs a command with its output streamed to ours; throws a readable error when it fails. */
function run(command: string, args: string[], hint: string): void {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw new Error(`Could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (${result.signal ?? `exit code ${result.status}`}); ${hint}`,
    );
  }
}

/**
 * Makes sure a Debian package's program is there (QUALITY.md: `npm test` sets up what it needs): as
 * root it is installed with apt-get; anyone else is told the command. `why` says what needs it.
 */
export function ensureDebianPackage(options: { file: string; pkg: string; why: string }): void {
  const { file, pkg, why } = options;
  if (existsSync(file)) return;
  const install = `install it with \`sudo apt-get install ${pkg}\` (Debian/Ubuntu) and run the tests again.`;
  if (process.getuid?.() !== 0) throw new Error(`${why} need ${file}: ${install}`);
  console.log(`${file} is missing; installing Debian's ${pkg} package.`);
  run('apt-get', ['update'], install);
  run('apt-get', ['install', '-y', pkg], install);
  if (!existsSync(file)) throw new Error(`apt-get installed ${pkg}, but ${file} is still missing.`);
}
