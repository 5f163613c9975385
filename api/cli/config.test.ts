import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { run } from './main';

// `hearth config` run in-process (tests/server/cli.test.ts drives the built CLI): a secret setting
// is stored, used, and never printed.

const SECRET = 'relay-pass-93kq';
let dir: string;

/** Runs the CLI and returns its exit code and what it wrote. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run([...args, '--dir', dir], '0.0.0-test');
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hearth config and a secret setting (smtp.password)', () => {
  test('unset: listed as "" (secret, not set)', async () => {
    expect((await cli('config', 'set', 'smtp.username', 'relay')).code).toBe(0);
    const r = await cli('config', 'get');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^smtp\.password\s+""\s+\(secret, not set\)$/m);
    expect(r.stdout).toMatch(/^smtp\.username\s+"relay"$/m);
    expect(r.stdout).toMatch(/^smtp\.port\s+587\s+\(default\)$/m);
  });

  test('set: stored, and never printed by set, get, get <key> or get --json', async () => {
    const set = await cli('config', 'set', 'smtp.password', SECRET);
    expect(set.code).toBe(0);
    expect(set.stdout.trim()).toBe('smtp.password = (secret, set)');

    const list = await cli('config', 'get');
    expect(list.stdout).toMatch(/^smtp\.password\s+""\s+\(secret, set\)$/m);
    const one = await cli('config', 'get', 'smtp.password');
    expect(one.stdout).toBe('""\n');
    expect(one.stderr).toContain('smtp.password is secret and never printed (set)');
    const json = await cli('config', 'get', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ 'smtp.password': '', 'smtp.username': 'relay' });

    for (const r of [set, list, one, json]) expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  test("set to '' removes it (the API keeps the stored one on '', the CLI is the way to clear it)", async () => {
    expect((await cli('config', 'set', 'smtp.password', '')).stdout.trim()).toBe(
      'smtp.password = (secret, not set)',
    );
    expect((await cli('config', 'get')).stdout).toMatch(/^smtp\.password\s+""\s+\(secret, not set\)$/m);
  });
});
