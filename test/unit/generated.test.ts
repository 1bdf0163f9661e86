/**
 * generated/ is machine-written and committed. These fail when it no longer matches schema/:
 * - always: the schema files' hashes recorded by the last `npm run generate`;
 * - with flatc (Debian's flatbuffers-compiler; .ci/run installs it and sets REQUIRE_FLATC=1 so
 *   CI can never skip it): a full regeneration compared file by file.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

const committed = path.join(REPO_ROOT, 'generated');
const hasFlatc = spawnSync('flatc', ['--version']).error === undefined;
const out = mkdtempSync(path.join(tmpdir(), 'tflite-generated-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

test('schema files match the hashes recorded when generated/ was made', () => {
  const recorded = readFileSync(path.join(committed, 'SOURCES.sha256'), 'utf8').trim().split('\n');
  const schemaFiles = listFiles(path.join(REPO_ROOT, 'schema')).filter((f) => /\.(fbs|proto)$/.test(f));
  expect(recorded).toHaveLength(schemaFiles.length);
  for (const line of recorded) {
    const [hash, file] = line.split(/\s+/);
    const actual = createHash('sha256').update(readFileSync(path.join(REPO_ROOT, file!))).digest('hex');
    expect(actual, `${file} changed since generated/ was made: run \`npm run generate\``).toBe(hash);
  }
});

test('flatc is available where it is required', () => {
  if (process.env.REQUIRE_FLATC) expect(hasFlatc, 'flatc missing: apt-get install flatbuffers-compiler').toBe(true);
});

test.skipIf(!hasFlatc && !process.env.REQUIRE_FLATC)('committed generated/ matches a fresh `npm run generate`', () => {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'schema/generate.mjs'), '--out', out], { stdio: 'pipe' });
  const files = listFiles(committed);
  expect(listFiles(out)).toEqual(files);
  const stale = files.filter((f) => !readFileSync(path.join(out, f)).equals(readFileSync(path.join(committed, f))));
  expect(stale, 'run `npm run generate` and commit the result').toEqual([]);
  expect(files.length).toBeGreaterThan(150);
});
