/** Calibration from the command line: Ctrl-C stops cleanly and writes nothing; --quiet prints nothing. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { modelPath, REPO_ROOT } from '../helpers/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tflite-cli-control-'));
const FC = modelPath('tensorflow_onnx/fc-layers/frozen.pb');

test('SIGINT during calibration exits 130 and leaves no model, ranges or temporary file', async () => {
  const slow = path.join(dir, 'slow.mjs');
  writeFileSync(slow, 'export default async function* () {\n  for (;;) {\n    await new Promise((r) => setTimeout(r, 20));\n    yield new Float32Array(784).fill(0.5);\n  }\n}\n');
  const out = path.join(dir, 'm.tflite');
  const ranges = path.join(dir, 'r.json');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/tflite-convert.js'), FC, '-o', out, '--representative_dataset', slow, '--calibration_samples', '100000', '--calibration_output', ranges], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Wait until calibration runs (the conversion notice comes first), then interrupt.
  await new Promise<void>((resolve) => child.stderr.once('data', () => setTimeout(resolve, 700)));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(130);
  expect(stderr).toMatch(/tflite-convert: .*interrupted: calibration stopped, nothing was written/);
  expect(existsSync(out)).toBe(false);
  expect(existsSync(ranges)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}, 30_000);

test('--quiet prints nothing on success and still reports errors', () => {
  const ok = runCli([FC, '-o', path.join(dir, 'q.tflite'), '--quiet', '--representative_dataset', 'random', '--calibration_samples', '2']);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toBe('');
  expect(ok.stderr).toBe('');
  expect(existsSync(path.join(dir, 'q.tflite'))).toBe(true);
  const bad = runCli([FC, '-o', path.join(dir, 'q2.tflite'), '--quiet', '--output_arrays', 'nope']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/no node named "nope"/);
});
