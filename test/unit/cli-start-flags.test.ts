/**
 * How the start flags become config (README "Command line"): the member list decides cluster mode,
 * and `--join` only adds join mode on top of it (docs/operations.md, lost disks).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../src/cli-main.js';

const MEMBERS = '127.0.0.1:8848,127.0.0.1:8858,127.0.0.1:8868';

test('no member list: standalone, not join mode', () => {
  const cfg = buildConfig({ property: [] }, {});
  assert.equal(cfg.bool('nacos.standalone'), true);
  assert.equal(cfg.bool('nomen.raft.join'), false);
});

test('--members: cluster mode', () => {
  const cfg = buildConfig({ members: MEMBERS, property: [] }, {});
  assert.equal(cfg.bool('nacos.standalone'), false);
  assert.equal(cfg.bool('nomen.raft.join'), false);
});

test('--members with --join: still cluster mode, and join mode', () => {
  const cfg = buildConfig({ members: MEMBERS, join: true, property: [] }, {});
  assert.equal(cfg.bool('nacos.standalone'), false);
  assert.equal(cfg.bool('nomen.raft.join'), true);
});

test('NOMEN_MEMBERS with NOMEN_RAFT_JOIN: cluster mode, and join mode', () => {
  const cfg = buildConfig({ property: [] }, { NOMEN_MEMBERS: MEMBERS, NOMEN_RAFT_JOIN: 'true' });
  assert.equal(cfg.bool('nacos.standalone'), false);
  assert.equal(cfg.bool('nomen.raft.join'), true);
});
