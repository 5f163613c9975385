import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors';

/**
 * `<dir>/serve.lock`: the pid of the `hearth serve` that has the data folder. A second server on the
 * same folder is refused, and so are commands that must not run under a server (`hearth backup
 * restore`). A lock left by a process that is gone (killed, crashed) is taken over.
 */
const LOCK_FILE = 'serve.lock';

/** The pid of a live server holding `dir`, or null. */
export function servingPid(dir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, LOCK_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return pid;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — still a live server.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** Takes the folder for this process; throws when a live server has it. Returns the release. */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const other = servingPid(dir);
  if (other !== null) throw new CliError(`another Hearth server (pid ${other}) is serving ${dir}`);
  try {
    // Exclusive create: of two servers starting at the same moment, one gets the folder.
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // The lock of a process that is gone (checked above): taken over.
    writeFileSync(file, `${process.pid}\n`);
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  };
}
