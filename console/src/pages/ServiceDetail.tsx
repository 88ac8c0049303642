import { useState } from 'react';
import { ApiError, nsCall, type ClusterInfo, type Instance, type ServiceDetail } from '../api';
import { useLoad } from '../hooks';
import { href } from '../route';
import { Bool, EmptyRow, ErrorLine, errorMessage, FormFoot, Metadata, metadataText, Modal, numberIn, parseMetadataText, useFormSubmit } from '../ui';

interface Props {
  namespace: string;
  name: string;
  group: string;
}

interface Loaded {
  detail: ServiceDetail;
  instances: Record<string, Instance[]>;
}

/** Service detail: summary, metadata edit, one card per cluster with its instances (live, every 2 s). */
export function ServiceDetailPage({ namespace, name, group }: Props) {
  const [editing, setEditing] = useState(false);
  const [editInstance, setEditInstance] = useState<Instance | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const svc = { serviceName: name, groupName: group };
  const loaded = useLoad<Loaded | null>(
    async () => {
      let detail: ServiceDetail;
      try {
        detail = await nsCall<ServiceDetail>('GET', '/v1/ns/catalog/service', namespace, svc);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
      const instances: Record<string, Instance[]> = {};
      await Promise.all(
        detail.clusters.map(async (c) => {
          // A cluster known only from its metadata (no instance yet) answers 404: show it empty.
          const r = await nsCall<{ list: Instance[]; count: number }>('GET', '/v1/ns/catalog/instances', namespace, { ...svc, clusterName: c.name, pageNo: 1, pageSize: 1000 }).catch(
            (e: unknown) => {
              if (e instanceof ApiError && e.status === 404) return { list: [], count: 0 };
              throw e;
            },
          );
          instances[c.name] = r.list;
        }),
      );
      return { detail, instances };
    },
    [namespace, name, group],
    2000,
  );

  const setEnabled = async (i: Instance, enabled: boolean) => {
    setActionError(null);
    try {
    await nsCall('PATCH', '/v1/ns/instance', namespace, { ...svc, ip: i.ip, port: i.port, clusterName: i.clusterName, enabled });
    loaded.reload();
  } catch (e) {
    setActionError(errorMessage(e));
  }
};

const d = loaded.data?.detail;
return (
  <section>
    <div className="page-head">
      <a href={href('/services')} className="back">
        ‹ Services
      </a>
      <h1 data-testid="service-title">{name}</h1>
      <span className="muted">group {group}</span>
      <div className="spacer" />
      <a className="button" href={href('/subscribers', { name, group })}>
        Subscribers
      </a>
      {d && (
        <button onClick={() => setEditing(true)} data-testid="edit-service">
          Edit service
        </button>
      )}
    </div>
    <ErrorLine error={loaded.error ?? actionError} />
    {loaded.data === null && !loaded.loading && <div className="card empty">Service {name} does not exist in namespace {namespace}.</div>}
    {d && (
      <div className="card summary">
        <dl>
          <dt>Namespace</dt>
          <dd>{namespace}</dd>
          <dt>Protect threshold</dt>
          <dd data-testid="service-threshold">{d.service.protectThreshold}</dd>
          <dt>Selector</dt>
          <dd>
            {d.service.selector.type}
            {d.service.selector.expression ? `: ${d.service.selector.expression}` : ''}
          </dd>
          <dt>Metadata</dt>
          <dd data-testid="service-metadata">
            <Metadata value={d.service.metadata} />
          </dd>
        </dl>
      </div>
    )}
    {d &&
      d.clusters.map((c) => (
        <ClusterCard key={c.name} cluster={c} instances={loaded.data?.instances[c.name] ?? []} onEdit={setEditInstance} onEnabled={(i, v) => void setEnabled(i, v)} />
      ))}
    {d && d.clusters.length === 0 && <div className="card empty">No clusters (no instance registered).</div>}
    {editing && d && (
      <EditServiceDialog
        namespace={namespace}
        detail={d}
        onClose={() => setEditing(false)}
        onDone={() => {
          setEditing(false);
          loaded.reload();
        }}
      />
    )}
    {editInstance && (
      <EditInstanceDialog
        namespace={namespace}
        service={svc}
        instance={editInstance}
        onClose={() => setEditInstance(null)}
        onDone={() => {
          setEditInstance(null);
          loaded.reload();
        }}
      />
    )}
  </section>
);
}

function matches(i: Instance, filter: string): boolean {
const f = filter.trim();
if (f === '') return true;
return f.split(/[\s,]+/).every((part) => {
  const eq = part.indexOf('=');
  if (eq < 0) return Object.keys(i.metadata).some((k) => k.includes(part)) || `${i.ip}:${i.port}`.includes(part);
  return i.metadata[part.slice(0, eq)] === part.slice(eq + 1);
  });
}

function ClusterCard({
  cluster,
  instances,
  onEdit,
  onEnabled,
}: {
  cluster: ClusterInfo;
  instances: Instance[];
  onEdit: (i: Instance) => void;
  onEnabled: (i: Instance, enabled: boolean) => void;
}) {
  const [filter, setFilter] = useState('');
  const shown = instances.filter((i) => matches(i, filter));
  return (
    <div className="card" data-testid="cluster-card" data-cluster={cluster.name}>
      <div className="card-head">
        <h2>
          Cluster <code>{cluster.name}</code>
        </h2>
        <span className="muted">
          health check {cluster.healthChecker.type}
          {cluster.useIpPort4Check ? ', instance port' : `, port ${cluster.defaultCheckPort}`}
        </span>
        <div className="spacer" />
        <input className="small" placeholder="filter: key=value" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      <table className="grid" data-testid="instances-table">
        <thead>
          <tr>
            <th>IP</th>
            <th className="num">Port</th>
            <th className="num">Weight</th>
            <th>Healthy</th>
            <th>Enabled</th>
            <th>Ephemeral</th>
            <th>Metadata</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((i) => (
            <tr key={`${i.ip}:${i.port}`} className={!i.enabled ? 'row-off' : !i.healthy ? 'row-bad' : ''} data-testid="instance-row" data-addr={`${i.ip}:${i.port}`}>
              <td>{i.ip}</td>
              <td className="num">{i.port}</td>
              <td className="num" data-testid="instance-weight">
                {i.weight}
              </td>
              <td>
                <Bool value={i.healthy} bad />
              </td>
              <td data-testid="instance-enabled">
                <Bool value={i.enabled} yes="online" no="offline" bad />
              </td>
              <td>{i.ephemeral ? 'yes' : 'no'}</td>
              <td>
                <Metadata value={i.metadata} />
              </td>
              <td className="actions">
                <button className="link" onClick={() => onEdit(i)} data-testid="instance-edit">
                  Edit
                </button>
                {i.enabled ? (
                  <button className="link danger" onClick={() => onEnabled(i, false)} data-testid="instance-offline">
                    Take offline
                  </button>
                ) : (
                  <button className="link" onClick={() => onEnabled(i, true)} data-testid="instance-online">
                    Bring online
                  </button>
                )}
              </td>
            </tr>
          ))}
          {shown.length === 0 && <EmptyRow cols={8} text={`No instances${filter ? ' match the filter' : ''}.`} />}
        </tbody>
      </table>
    </div>
  );
}

function EditServiceDialog({ namespace, detail, onClose, onDone }: { namespace: string; detail: ServiceDetail; onClose: () => void; onDone: () => void }) {
  const [threshold, setThreshold] = useState(String(detail.service.protectThreshold));
  const [metadata, setMetadata] = useState(metadataText(detail.service.metadata));
  const { error, onSubmit } = useFormSubmit(async () => {
    const t = numberIn(threshold, 0, 1, 'protect threshold');
    const sel = detail.service.selector;
    await nsCall('PUT', '/v1/ns/service', namespace, {
      serviceName: detail.service.name,
      groupName: detail.service.groupName,
      protectThreshold: t,
      metadata: JSON.stringify(parseMetadataText(metadata)),
      // PUT replaces the selector: send the current one back.
      selector: JSON.stringify(sel.type === 'label' ? { type: 'label', expression: sel.expression ?? '' } : { type: 'none' }),
    });
  }, onDone);

  return (
    <Modal title={`Edit service ${detail.service.name}`} onClose={onClose} testId="edit-service-dialog">
      <form className="form" onSubmit={onSubmit}>
        <label>
          Protect threshold (0–1)
          <input name="protectThreshold" value={threshold} onChange={(e) => setThreshold(e.target.value)} inputMode="decimal" />
        </label>
        <label>
          Metadata (JSON object or key=value lines)
          <textarea name="metadata" rows={6} value={metadata} onChange={(e) => setMetadata(e.target.value)} />
        </label>
        <FormFoot error={error} onCancel={onClose} />
      </form>
    </Modal>
  );
}

function EditInstanceDialog({
  namespace,
  service,
  instance,
  onClose,
  onDone,
}: {
  namespace: string;
  service: { serviceName: string; groupName: string };
  instance: Instance;
  onClose: () => void;
  onDone: () => void;
}) {
  const [weight, setWeight] = useState(String(instance.weight));
  const [enabled, setEnabled] = useState(instance.enabled);
  const [metadata, setMetadata] = useState(metadataText(instance.metadata));
  const { error, onSubmit } = useFormSubmit(async () => {
    const w = numberIn(weight, 0, 10000, 'weight');
    // An operator override (PATCH): only these fields change; the SDK's registration stays.
    await nsCall('PATCH', '/v1/ns/instance', namespace, {
      ...service,
      ip: instance.ip,
      port: instance.port,
      clusterName: instance.clusterName,
      weight: w,
      enabled,
      metadata: JSON.stringify(parseMetadataText(metadata)),
    });
  }, onDone);

  return (
    <Modal title={`Edit instance ${instance.ip}:${instance.port}`} onClose={onClose} testId="edit-instance-dialog">
      <form className="form" onSubmit={onSubmit}>
        <label>
          Weight (0–10000)
          <input name="weight" value={weight} onChange={(e) => setWeight(e.target.value)} inputMode="decimal" />
        </label>
        <label className="check">
          <input name="enabled" type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled (online)
        </label>
        <label>
          Metadata (JSON object or key=value lines)
          <textarea name="metadata" rows={6} value={metadata} onChange={(e) => setMetadata(e.target.value)} />
        </label>
        <FormFoot error={error} onCancel={onClose} />
      </form>
    </Modal>
  );
}
