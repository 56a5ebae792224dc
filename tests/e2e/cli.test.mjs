// The CLI skeleton: version, help, command list, usage errors naming the flag, exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecl } from './lib/run.mjs';

test('--version prints the version', () => {
  const r = ecl(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ecomlake \d+\.\d+\.\d+\n$/);
});

test('--help lists commands and exit codes', () => {
  const r = ecl(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /backfill/);
  assert.match(r.stdout, /130 interrupted/);
});

test('commands prints one line per command', () => {
  const r = ecl(['commands']);
  assert.equal(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= 10);
  for (const l of lines) assert.match(l, /^[a-z-]+ +\S/);
  const names = lines.map((l) => l.split(/ +/)[0]);
  for (const n of ['convert', 'run-generator', 'export-raw', 'backfill', 'verify', 'status', 'upload-raw'])
    assert.ok(names.includes(n), n);
});

test('help COMMAND prints that command\'s help', () => {
  const r = ecl(['help', 'convert']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: ecomlake convert/);
});

test('an unknown command is a usage error', () => {
  const r = ecl(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

test('no command is a usage error', () => {
  assert.equal(ecl([]).code, 2);
});

test('a bad global value names the flag', () => {
  const r = ecl(['--log-level', 'loud', 'commands']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--log-level: 'loud'/);
  const j = ecl(['--log-format=xml', 'commands']);
  assert.equal(j.code, 2);
  assert.match(j.stderr, /--log-format/);
});

test('global options are accepted after the command', () => {
  const r = ecl(['commands', '--quiet', '--no-progress', '--log-format', 'json']);
  assert.equal(r.code, 0);
});

test('help on an unknown command is a usage error', () => {
  assert.equal(ecl(['help', 'nope']).code, 2);
});
