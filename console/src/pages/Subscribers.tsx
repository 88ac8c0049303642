import { useState, type FormEvent } from 'react';
import { nsCall, type Subscriber } from '../api';
import { useLoad } from '../hooks';
import { EmptyRow, ErrorLine } from '../ui';

export function SubscribersPage({ namespace, initialName, initialGroup }: { namespace: string; initialName: string; initialGroup: string }) {
  const [name, setName] = useState(initialName);
  const [group, setGroup] = useState(initialGroup || 'DEFAULT_GROUP');
  const [query, setQuery] = useState({ name: initialName, group: initialGroup || 'DEFAULT_GROUP' });

  const list = useLoad(
    async () =>
      query.name === ''
        ? null
        : nsCall<{ subscribers: Subscriber[]; count: number }>('GET', '/v1/ns/service/subscribers', namespace, {
            serviceName: query.name,
            groupName: query.group,
            pageNo: 1,
            pageSize: 1000,
          }),
    [namespace, query],
    5000,
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ name: name.trim(), group: group.trim() || 'DEFAULT_GROUP' });
  };

  return (
    <section>
      <div className="page-head">
        <h1>Subscribers</h1>
        <span className="muted">namespace {namespace}</span>
      </div>
      <form className="filters card" onSubmit={submit}>
        <label>
          Service name
          <input value={name} onChange={(e) => setName(e.target.value)} required data-testid="subscribers-name" />
        </label>
        <label>
          Group
          <input value={group} onChange={(e) => setGroup(e.target.value)} />
        </label>
        <button type="submit">Query</button>
      </form>
      <ErrorLine error={list.error} />
      {list.data && (
        <div className="card">
          <table className="grid" data-testid="subscribers-table">
            <thead>
              <tr>
                <th>Address</th>
                <th>Client (agent)</th>
                <th>App</th>
                <th>Clusters</th>
                <th>Service</th>
              </tr>
            </thead>
            <tbody>
              {list.data.subscribers.map((s) => (
                <tr key={`${s.addrStr}-${s.serviceName}`} data-testid="subscriber-row">
                  <td>{s.addrStr}</td>
                  <td>{s.agent || '—'}</td>
                  <td>{s.app || '—'}</td>
                  <td>{s.cluster || 'all'}</td>
                  <td>{s.serviceName}</td>
                </tr>
              ))}
              {list.data.subscribers.length === 0 && (
                <EmptyRow cols={5} text="No subscribers." />
              )}
            </tbody>
          </table>
          <div className="pager">
            <span>{list.data.count} subscribers</span>
          </div>
        </div>
      )}
      {!list.data && !list.error && <div className="card empty">Enter a service name.</div>}
    </section>
  );
}
