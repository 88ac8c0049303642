import { useState } from 'react';
import { deleteConfig, getConfig, historyEntry, historyPage, publishConfig, type ConfigDetail, type ConfigKey, type HistoryRow } from '../../config-api';
import { typeOfDataId } from '../../config-format';
import { DiffView } from '../../editor';
import { useLoad } from '../../hooks';
import { href } from '../../route';
import { EmptyRow, ErrorLine, Pager, useAction } from '../../ui';

const OPS: Record<string, string> = { I: 'created', U: 'updated', D: 'deleted' };

/**
 * The history of one configuration, newest first. Rolling back an entry undoes that change, as
 * Nacos' console does: an update or delete entry holds the content before the change, which is
 * published again; undoing the creation deletes the configuration. Gray (beta/tag) entries are
 * listed but not rolled back (docs/console.md, "Configurations").
 */
export function ConfigHistoryPage({ namespace, configKey }: { namespace: string; configKey: ConfigKey }) {
  const [pageNo, setPageNo] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [chosen, setChosen] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const page = useLoad(() => historyPage(namespace, configKey, pageNo, pageSize), [namespace, configKey.dataId, configKey.group, pageNo, pageSize, tick]);
  const rows = page.data?.pageItems ?? [];

  return (
    <section>
      <div className="page-head">
        <h1>History of {configKey.dataId}</h1>
        <span className="muted">
          {configKey.group} · namespace {namespace}
        </span>
        <div className="spacer" />
        <a className="button" href={href('/config', { dataId: configKey.dataId, group: configKey.group })}>
          Back to the configuration
        </a>
      </div>
      <ErrorLine error={page.error} />
      <div className="card">
        <table className="grid" data-testid="history-table">
          <thead>
            <tr>
              <th>#</th>
              <th>When</th>
              <th>Change</th>
              <th>Release</th>
              <th>By</th>
              <th>From</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((h) => (
              <tr key={h.id} data-testid="history-row" data-op={h.opType} className={h.id === chosen ? 'row-current' : ''}>
                <td>{h.id}</td>
                <td>{new Date(h.lastModifiedTime).toLocaleString()}</td>
                <td>{OPS[h.opType.trim()] ?? h.opType}</td>
                <td>{h.publishType === 'gray' ? <span className="tag warn">gray {h.grayName}</span> : 'formal'}</td>
                <td>{h.srcUser || '—'}</td>
                <td>{h.srcIp || '—'}</td>
                <td className="actions">
                  <button className="link" onClick={() => setChosen(h.id)} data-testid="history-compare">
                    Compare
                  </button>
                </td>
              </tr>
            ))}
            {page.data && rows.length === 0 && <EmptyRow cols={7} text="No history." />}
          </tbody>
        </table>
        <Pager count={page.data?.totalCount ?? 0} noun={['entry', 'entries']} pageNo={pageNo} pageSize={pageSize} onPage={setPageNo} onPageSize={setPageSize} testId="history-count" />
      </div>
      {chosen !== null && (
        <RollbackPanel
          key={`${chosen}/${tick}`}
          namespace={namespace}
          configKey={configKey}
          nid={chosen}
          onDone={() => {
            setChosen(null);
            setTick((t) => t + 1);
          }}
        />
      )}
    </section>
  );
}

interface Comparison {
  entry: HistoryRow;
  current: string;
  /** The current record (null: deleted): a rollback keeps its format, description and tags. */
  record: ConfigDetail | null;
  /** What the configuration is after a rollback of this entry; null: it is deleted. */
  after: string | null;
}

async function compare(namespace: string, key: ConfigKey, nid: string): Promise<Comparison> {
  const [entry, config] = await Promise.all([historyEntry(namespace, key, nid), getConfig(namespace, key)]);
  const after = entry.opType.trim() === 'I' ? null : (entry.content ?? '');
  return { entry, current: config?.content ?? '', record: config, after };
}

function RollbackPanel({ namespace, configKey, nid, onDone }: { namespace: string; configKey: ConfigKey; nid: string; onDone: () => void }) {
  const cmp = useLoad(() => compare(namespace, configKey, nid), [namespace, configKey.dataId, configKey.group, nid]);
  const { error, run } = useAction();
  const c = cmp.data;
  const type = c?.record?.type ?? typeOfDataId(configKey.dataId) ?? 'text';
  const gray = c?.entry.publishType === 'gray';

  const rollback = () =>
    run(async () => {
      if (!c) return;
      const what = c.after === null ? 'This undoes the creation: the configuration is deleted.' : 'The configuration gets the content on the right.';
      if (!window.confirm(`Roll back entry #${nid}? ${what}`)) return;
      if (c.after === null) await deleteConfig(namespace, configKey);
      else await publishConfig(namespace, { ...configKey, content: c.after, type, appName: c.record?.appName ?? c.entry.appName ?? '', desc: c.record?.desc ?? '', configTags: c.record?.configTags ?? '' });
      onDone();
    });

  return (
    <div className="card" data-testid="rollback-panel">
      <div className="card-head">
        <h2>Entry #{nid}</h2>
        <span className="muted">current content (left) and the content after rolling this change back (right)</span>
        <div className="spacer" />
        <button className="primary" disabled={!c || gray} onClick={() => void rollback()} data-testid="rollback">
          Roll back
        </button>
      </div>
      <ErrorLine error={cmp.error ?? error} />
      {gray && <p className="muted">Gray releases are not rolled back here: publish or stop the beta from the configuration's page.</p>}
      {c && c.after === null && <p className="muted">This entry is the creation: rolling it back deletes the configuration.</p>}
      {c && <DiffView a={c.current} b={c.after ?? ''} type={type} testId="history-diff" />}
    </div>
  );
}
