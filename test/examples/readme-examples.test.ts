// The README's quick start exists in three forms (ES module, CommonJS, TypeScript), each run by the
// packaged-consumer test. They must stay one example: the same code but for how it imports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const read = (file: string) =>
  readFileSync(join(import.meta.dirname, '../../examples/readme', file), 'utf8');

it('the quick start is the same program as an ES module, as CommonJS and as TypeScript', () => {
  const esm = read('usage.mjs');
  expect(read('usage.ts')).toBe(esm);
  const asCommonJs = esm
    .replace("import express from 'express';", "const express = require('express');")
    .replace(
      "import { presets, privacyLog } from 'express-privacy-log';",
      "const { presets, privacyLog } = require('express-privacy-log');",
    );
  expect(asCommonJs).not.toBe(esm);
  expect(read('usage.cjs')).toBe(asCommonJs);
});

it('the README shows the quick start and the preset example verbatim', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```\S*\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const file of ['usage.mjs', 'extend-preset.mjs']) {
    expect(blocks, file).toContain(read(file));
  }
});
