/** Runs the built CLI (bin/tflite-convert.js → dist/) as a user would, in a child process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './fixtures.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd = REPO_ROOT): CliResult {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/tflite-convert.js'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
