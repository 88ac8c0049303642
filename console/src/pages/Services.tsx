import { useEffect, useState, type FormEvent } from 'react';
import { nsCall, type ServiceRow } from '../api';
import { useLoad } from '../hooks';
import { href } from '../route';
import { EmptyRow, ErrorLine, errorMessage, FormFoot, Modal, numberIn, Pager, parseMetadataText, useFormSubmit } from '../ui';

const HIDE_EMPTY_KEY = 'nomen.hideEmpty';

interface Filters {
  name: string;
  group: string;
  hideEmpty: boolean;
}

export function ServicesPage({ namespace }: { namespace: string }) {
  const [draft, setDraft] = useState<Filters>({ name: '', group: '', hideEmpty: localStorage.getItem(HIDE_EMPTY_KEY) === 'true' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [pageNo, setPageNo] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [creating, setCreating] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  // Another namespace starts on its first page.
  useEffect(() => setPageNo(1), [namespace]);

  const list = useLoad(
    () =>
      nsCall<{ count: number; serviceList: ServiceRow[] }>('GET', '/v1/ns/catalog/services', namespace, {
        pageNo,
        pageSize,
        serviceNameParam: filters.name,
        groupNameParam: filters.group,
        hasIpCount: filters.hideEmpty,
      }),
    [namespace, filters, pageNo, pageSize],
    5000,
  );

  const query = (e: FormEvent) => {
    e.preventDefault();
    localStorage.setItem(HIDE_EMPTY_KEY, String(draft.hideEmpty));
    setPageNo(1);
    setFilters(draft);
  };

  const remove = async (s: ServiceRow) => {
    if (!window.confirm(`Delete service ${s.groupName}@@${s.name}?`)) return;
    setActionError(null);
    try {
      await nsCall('DELETE', '/v1/ns/service', namespace, { serviceName: s.name, groupName: s.groupName });
      list.reload();
    } catch (e) {
      setActionError(errorMessage(e));
    }
  };

  const count = list.data?.count ?? 0;

  return (
    <section>
      <div className="page-head">
        <h1>Services</h1>
        <span className="muted">namespace {namespace}</span>
        <div className="spacer" />
        <button className="primary" onClick={() => setCreating(true)} data-testid="create-service">
          Create service
        </button>
      </div>
      <form className="filters card" onSubmit={query}>
        <label>
          Service name
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} placeholder="contains…" data-testid="filter-name" />
        </label>
        <label>
          Group
          <input value={draft.group} onChange={(e) => setDraft({ ...draft, group: e.target.value })} placeholder="contains…" data-testid="filter-group" />
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.hideEmpty} onChange={(e) => setDraft({ ...draft, hideEmpty: e.target.checked })} data-testid="filter-hide-empty" />
          Hide empty services
        </label>
        <button type="submit" data-testid="filter-query">
          Query
        </button>
      </form>
      <ErrorLine error={list.error ?? actionError} />
      <div className="card">
        <table className="grid" data-testid="services-table">
          <thead>
            <tr>
              <th>Service</th>
              <th>Group</th>
              <th className="num">Clusters</th>
              <th className="num">Instances</th>
              <th className="num">Healthy</th>
              <th>Threshold reached</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.serviceList ?? []).map((s) => (
              <tr key={`${s.groupName}@@${s.name}`} className={s.ipCount > 0 && s.healthyInstanceCount === 0 ? 'row-bad' : ''} data-testid="service-row" data-service={s.name}>
                <td>
                  <a href={href('/service', { name: s.name, group: s.groupName })}>{s.name}</a>
                </td>
                <td>{s.groupName}</td>
                <td className="num">{s.clusterCount}</td>
                <td className="num">{s.ipCount}</td>
                <td className="num">{s.healthyInstanceCount}</td>
                <td>{s.triggerFlag === 'true' ? <span className="tag warn">yes</span> : <span className="muted">no</span>}</td>
                <td className="actions">
                  <a href={href('/service', { name: s.name, group: s.groupName })}>Details</a>
                  <a href={href('/subscribers', { name: s.name, group: s.groupName })}>Subscribers</a>
                  <button className="link danger" onClick={() => void remove(s)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
            {list.data && list.data.serviceList.length === 0 && (
              <EmptyRow cols={7} text="No services." />
            )}
          </tbody>
        </table>
        <Pager count={count} noun={['service', 'services']} pageNo={pageNo} pageSize={pageSize} onPage={setPageNo} onPageSize={setPageSize} testId="services-count" />
      </div>
      {creating && (
        <CreateServiceDialog
          namespace={namespace}
          onClose={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
    </section>
  );
}

function CreateServiceDialog({ namespace, onClose, onDone }: { namespace: string; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [group, setGroup] = useState('DEFAULT_GROUP');
  const [threshold, setThreshold] = useState('0');
  const [metadata, setMetadata] = useState('');
  const { error, onSubmit } = useFormSubmit(async () => {
    const t = numberIn(threshold, 0, 1, 'protect threshold');
    const meta = parseMetadataText(metadata);
    await nsCall('POST', '/v1/ns/service', namespace, { serviceName: name.trim(), groupName: group.trim(), protectThreshold: t, metadata: JSON.stringify(meta) });
  }, onDone);

  return (
    <Modal title="Create service" onClose={onClose}>
      <form className="form" onSubmit={onSubmit}>
        <label>
          Service name
          <input name="serviceName" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label>
          Group
          <input name="groupName" value={group} onChange={(e) => setGroup(e.target.value)} required />
        </label>
        <label>
          Protect threshold (0–1)
          <input name="protectThreshold" value={threshold} onChange={(e) => setThreshold(e.target.value)} inputMode="decimal" />
        </label>
        <label>
          Metadata (JSON object or key=value lines)
          <textarea name="metadata" rows={4} value={metadata} onChange={(e) => setMetadata(e.target.value)} />
        </label>
        <FormFoot error={error} onCancel={onClose} submit="Create" />
      </form>
    </Modal>
  );
}
