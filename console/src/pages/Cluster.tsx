import { useState } from 'react';
import { call, type ClusterOverview, type Member, type MemberLive } from '../api';
import { useLoad } from '../hooks';
import { ago, dash, ErrorLine, StateTag } from '../ui';

const POLL_MS = 1000;

/**
 * Cluster members (Nacos' node list) and the live view beyond Nacos: per member its Distro
 * responsibility, replicas, per-peer verify and sync failures, and Raft role/term/commit index.
 * Polls every second; no reload needed.
 */
export function ClusterPage() {
  const overview = useLoad(() => call<ClusterOverview>('GET', '/v1/console/cluster/overview'), [], POLL_MS);
  const nodes = useLoad(() => call<{ data: Member[] }>('GET', '/v1/core/cluster/nodes').then((r) => r.data), [], 2 * POLL_MS);
  const o = overview.data;

  return (
    <section>
      <div className="page-head">
        <h1>Cluster</h1>
        {o && (
          <span className="muted">
            {o.mode} · as seen by <code>{o.self}</code>
          </span>
        )}
        <div className="spacer" />
        <span className={`live ${overview.error ? 'stale' : ''}`} data-testid="live-indicator">
          <span className="dot" /> {overview.error ? 'not updating' : 'live'}
          {o ? ` · ${new Date(o.at).toLocaleTimeString()}` : ''}
        </span>
      </div>
      <ErrorLine error={overview.error} />
      <div className="members-grid" data-testid="live-view">
        {o?.members.map((m) => <MemberCard key={m.address} m={m} now={o.at} />)}
      </div>

      <h2 className="section-title">Members</h2>
      <ErrorLine error={nodes.error} />
      <div className="card">
        <table className="grid" data-testid="members-table">
          <thead>
            <tr>
              <th>Address</th>
              <th>State</th>
              <th>Version</th>
              <th className="num">Failed probes</th>
              <th>Last refresh</th>
              <th>Extended info</th>
            </tr>
          </thead>
          <tbody>
            {(nodes.data ?? []).map((n) => (
              <NodeRow key={n.address} n={n} now={o?.at ?? Date.now()} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function NodeRow({ n, now }: { n: Member; now: number }) {
  const [open, setOpen] = useState(false);
  const refreshed = typeof n.extendInfo['lastRefreshTime'] === 'number' ? n.extendInfo['lastRefreshTime'] : null;
  return (
    <tr data-testid="member-row" data-addr={n.address}>
      <td>
        <code>{n.address}</code>
      </td>
      <td>
        <StateTag state={n.state} testId="member-state" />
      </td>
      <td>{dash(typeof n.extendInfo['version'] === 'string' ? n.extendInfo['version'] : null)}</td>
      <td className="num">{n.failAccessCnt}</td>
      <td>{ago(refreshed, now)}</td>
      <td>
        <button className="link" onClick={() => setOpen(!open)}>
          {open ? 'hide' : 'show'}
        </button>
        {open && <pre className="json">{JSON.stringify(n.extendInfo, null, 2)}</pre>}
      </td>
    </tr>
  );
}

function MemberCard({ m, now }: { m: MemberLive; now: number }) {
  const d = m.distro;
  const r = m.raft;
  return (
    <div className={`card member ${m.state === 'UP' ? '' : 'member-down'}`} data-testid="live-member" data-addr={m.address} data-state={m.state}>
      <div className="card-head">
        <h3>
          <code>{m.address}</code>
          {m.self && <span className="tag info">this member</span>}
        </h3>
        <div className="spacer" />
        <StateTag state={m.state} testId="live-state" />
      </div>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{dash(m.version)}</dd>
        <dt>Services / instances</dt>
        <dd data-testid="live-counts">{m.counts ? `${m.counts.services} / ${m.counts.instances}` : '—'}</dd>
        <dt>Clients / subscribers</dt>
        <dd>{m.counts ? `${m.counts.clients} / ${m.counts.subscribers}` : '—'}</dd>
        <dt>Responsible clients</dt>
        <dd data-testid="live-responsible">{dash(d?.responsible)}</dd>
        <dt>Replicas</dt>
        <dd data-testid="live-replicas">{dash(d?.replicas)}</dd>
        <dt>Snapshot loaded</dt>
        <dd>{d ? (d.loaded ? 'yes' : 'loading') : '—'}</dd>
        <dt>Sync failures</dt>
        <dd className={d && d.syncFailures > 0 ? 'warn-text' : ''} data-testid="live-sync-failures">
          {dash(d?.syncFailures)}
        </dd>
        <dt>Verify failures</dt>
        <dd>{dash(d?.verifyFailures)}</dd>
        <dt>Raft role</dt>
        <dd data-testid="live-raft-role">{dash(r?.role)}</dd>
        <dt>Raft term</dt>
        <dd data-testid="live-raft-term">{dash(r?.term)}</dd>
        <dt>Raft leader</dt>
        <dd>{r ? (r.leader ?? 'none') : '—'}</dd>
        <dt>Commit index</dt>
        <dd data-testid="live-raft-commit">{dash(r?.commitIndex)}</dd>
      </dl>
      {!m.reachable && <div className="error-line small">unreachable{m.error ? `: ${m.error}` : ''}</div>}
      {d && d.peers.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              <th>Peer</th>
              <th>Last verify</th>
              <th className="num">Queued</th>
            </tr>
          </thead>
          <tbody>
            {d.peers.map((p) => (
              <tr key={p.address} data-testid="live-peer" data-addr={p.address}>
                <td>
                  <code>{p.address}</code>
                </td>
                <td>
                  {ago(p.lastVerifyAt, now)} {p.lastVerifyOk === false && <span className="tag bad">failed</span>}
                </td>
                <td className="num">{dash(p.pending)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
