#!/usr/bin/env node
// Applies patches/ to devDependencies (the LiteRT.js dtype table, see patches/README.md).
// A user installing tflite-convert as a dependency has neither patch-package nor the patched
// packages, so there is nothing to do; in a development checkout a failed patch is an error.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const patchPackage = path.join(root, 'node_modules', 'patch-package', 'index.js');
if (existsSync(path.join(root, 'patches')) && existsSync(patchPackage)) {
  execFileSync(process.execPath, [patchPackage, '--error-on-fail'], { cwd: root, stdio: 'inherit' });
}
