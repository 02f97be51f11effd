#!/usr/bin/env node
// Splits an SMS Spam Collection file (headerless `label<TAB>text` lines) into a stratified train/test pair,
// deterministically, so the README's spam-classification numbers can be reproduced:
//
//   node scripts/split-spam.mjs <input.tsv> <out-dir> [--seed 42] [--test-fraction 0.2]
//
// writes <out-dir>/train.tsv and <out-dir>/test.tsv, each line copied verbatim from the input, in input
// order. Plain Node with no imports from core/, so it runs without a build; it re-implements the algorithm
// of core/datasets/split.ts (stratifiedSplit with the test part as "validation"), and
// test/unit/datasets/split-script.test.ts checks that both give the same split. Change both or neither.

import fs from 'node:fs';
import process from 'node:process';
import path from 'node:path';

function usage(message) {
  if (message) console.error(`split-spam: ${message}`);
  console.error('usage: node scripts/split-spam.mjs <input.tsv> <out-dir> [--seed 42] [--test-fraction 0.2]');
  process.exit(2);
}

// mulberry32, exactly as createRng in core/datasets/split.ts.
function createRng(seed) {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseArgs(argv) {
  const positional = [];
  let seed = 42;
  let fraction = 0.2;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed' || a === '--test-fraction') {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) usage(`${a} needs a number`);
      if (a === '--seed') seed = v;
      else fraction = v;
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) usage('expected an input file and an output folder');
  if (!(fraction > 0 && fraction < 1)) usage(`--test-fraction must be between 0 and 1, got ${fraction}`);
  return { input: positional[0], outDir: positional[1], seed, fraction };
}

// Same line handling as splitLines + parseLabelTextLines in core/datasets: BOM and CR dropped, blank
// lines skipped, the label is the text before the first tab (trimmed); an empty label or text is an error.
function readRows(input) {
  let text = fs.readFileSync(input, 'utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const rows = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab < 0) {
      console.error(`${input}:${i + 1}: expected label<TAB>text but the line has no tab`);
      process.exit(1);
    }
    const label = line.slice(0, tab).trim();
    if (label === '' || line.slice(tab + 1).trim() === '') {
      // core/datasets rejects such rows too; keeping them here would shift every later shuffle.
      console.error(`${input}:${i + 1}: empty label or text; fix or remove the line`);
      process.exit(1);
    }
    rows.push({ label, line });
  });
  return rows;
}

// stratifiedSplit of core/datasets/split.ts: labels in first-seen order, one rng stream, Fisher–Yates
// from the end per label, the first round(n·fraction) (at most n-1) shuffled rows of each label held out.
function split(rows, seed, fraction) {
  const groups = new Map();
  rows.forEach((row, i) => {
    const g = groups.get(row.label);
    if (g) g.push(i);
    else groups.set(row.label, [i]);
  });
  const rng = createRng(seed);
  const held = new Uint8Array(rows.length);
  for (const indices of groups.values()) {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    const k = Math.min(Math.round(indices.length * fraction), indices.length - 1);
    for (let m = 0; m < k; m++) held[indices[m]] = 1;
  }
  return {
    train: rows.filter((_, i) => held[i] === 0),
    test: rows.filter((_, i) => held[i] === 1),
  };
}

// Write to a temporary name, then rename: never leave a half-written split behind.
function writeLines(file, rows) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, rows.map((r) => `${r.line}\n`).join(''));
  fs.renameSync(tmp, file);
}

const { input, outDir, seed, fraction } = parseArgs(process.argv.slice(2));
const rows = readRows(input);
const { train, test } = split(rows, seed, fraction);
fs.mkdirSync(outDir, { recursive: true });
writeLines(path.join(outDir, 'train.tsv'), train);
writeLines(path.join(outDir, 'test.tsv'), test);
const count = (part, label) => part.filter((r) => r.label === label).length;
const labels = [...new Set(rows.map((r) => r.label))];
const summary = (part) => labels.map((l) => `${count(part, l)} ${l}`).join(', ');
console.log(`${input}: ${rows.length} rows, seed ${seed}, test fraction ${fraction}`);
console.log(`  train.tsv: ${train.length} rows (${summary(train)})`);
console.log(`  test.tsv:  ${test.length} rows (${summary(test)})`);
