/** Shared fixtures of the SDK-port tests (docs/protocol/grpc.md §3.2). */
import assert from 'node:assert/strict';

/** The ConnectionSetupRequest body the Rust SDK 0.8 sends. */
export const RUST_SETUP = {
  clientVersion: 'Nacos-Rust-Client:0.8.0',
  abilities: { remoteAbility: { supportRemoteConnection: true } },
  tenant: 'public',
  labels: { AppName: 'unknown', source: 'sdk', module: 'naming' },
  headers: {},
  requestId: null,
};

/** Polls `cond` every 10 ms; fails the test after `timeoutMs`. */
export async function eventually(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
