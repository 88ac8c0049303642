import { useEffect, useState, type FormEvent } from 'react';
import type { Namespace } from '../../api';
import { blurTerm, cloneConfigs, deleteConfig, exportConfigs, importConfigs, POLICIES, searchConfigs, type ConfigRow, type Policy, type SearchQuery, type TransferOutcome } from '../../config-api';
import { useLoad } from '../../hooks';
import { href } from '../../route';
import { EmptyRow, ErrorLine, FormFoot, Modal, Pager, useAction, useFormSubmit } from '../../ui';

/** The text fields of the search form: query field, label, placeholder. */
const TEXT_FILTERS: [Exclude<keyof SearchQuery, 'mode'>, string, string][] = [
  ['dataId', 'Data ID', ''],
  ['group', 'Group', ''],
  ['appName', 'App', ''],
  ['tags', 'Tags', 'a,b'],
];

const EMPTY: SearchQuery = { mode: 'blur', dataId: '', group: '', appName: '', tags: '' };

/** Saves a Blob as a file through a temporary `blob:` link (a download, not a fetch: CSP allows it). */
function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const keyParams = (c: { dataId: string; group: string }) => ({ dataId: c.dataId, group: c.group });

export function ConfigListPage({ namespace, namespaces }: { namespace: string; namespaces: Namespace[] }) {
  const [draft, setDraft] = useState<SearchQuery>(EMPTY);
  const [query, setQuery] = useState<SearchQuery>(EMPTY);
  const [pageNo, setPageNo] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<'import' | 'clone' | null>(null);
  const { error: actionError, run: act } = useAction();

  useEffect(() => {
    setPageNo(1);
    setSelected(new Set());
  }, [namespace]);

  const list = useLoad(() => searchConfigs(namespace, query, pageNo, pageSize), [namespace, query, pageNo, pageSize]);
  const rows = list.data?.pageItems ?? [];
  const chosen = rows.filter((r) => selected.has(r.id));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setPageNo(1);
    setQuery(draft);
  };

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };


  const remove = (c: ConfigRow) =>
    act(async () => {
      if (!window.confirm(`Delete configuration ${c.group} / ${c.dataId}?`)) return;
      await deleteConfig(namespace, c);
      list.reload();
    });

  // The selection, else everything the query matches (export filters take `*` like blur search).
  const exportNow = () =>
    act(async () => {
      const term = query.mode === 'blur' ? blurTerm : (s: string) => s.trim();
      const filter = chosen.length > 0 ? { ids: chosen.map((c) => c.id) } : { dataId: term(query.dataId) || undefined, group: term(query.group) || undefined, appName: query.appName.trim() || undefined };
      const { blob, fileName } = await exportConfigs(namespace, filter);
      download(blob, fileName);
    });

  return (
    <section>
      <div className="page-head">
        <h1>Configurations</h1>
        <span className="muted">namespace {namespace}</span>
        <div className="spacer" />
        <button onClick={() => setDialog('import')} data-testid="config-import">
          Import
        </button>
        <button onClick={() => void exportNow()} data-testid="config-export">
          {chosen.length > 0 ? `Export ${chosen.length} selected` : 'Export'}
        </button>
        <button disabled={chosen.length === 0} onClick={() => setDialog('clone')} data-testid="config-clone">
          Clone{chosen.length > 0 ? ` ${chosen.length}` : ''}
        </button>
        <a className="button primary" href={href('/config/edit')} data-testid="config-create">
          Create configuration
        </a>
      </div>
      <form className="filters card" onSubmit={submit}>
        {TEXT_FILTERS.map(([field, label, placeholder]) => (
          <label key={field}>
            {label}
            <input value={draft[field]} onChange={(e) => setDraft({ ...draft, [field]: e.target.value })} placeholder={placeholder} data-testid={`filter-${field}`} />
          </label>
        ))}
        <label>
          Match
          <select value={draft.mode} onChange={(e) => setDraft({ ...draft, mode: e.target.value === 'accurate' ? 'accurate' : 'blur' })} data-testid="filter-mode">
            <option value="blur">contains (* wildcard)</option>
            <option value="accurate">exact</option>
          </select>
        </label>
        <button type="submit" data-testid="filter-query">
          Query
        </button>
      </form>
      <ErrorLine error={list.error ?? actionError} />
      <div className="card">
        <table className="grid" data-testid="configs-table">
          <thead>
            <tr>
              <th />
              <th>Data ID</th>
              <th>Group</th>
              <th>App</th>
              <th>Type</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} data-testid="config-row" data-key={`${c.group}/${c.dataId}`}>
                <td>
                  <input type="checkbox" checked={selected.has(c.id)} onChange={() => toggle(c.id)} aria-label={`select ${c.dataId}`} data-testid="config-select" />
                </td>
                <td>
                  <a href={href('/config', keyParams(c))}>{c.dataId}</a>
                </td>
                <td>{c.group}</td>
                <td>{c.appName || <span className="muted">—</span>}</td>
                <td>
                  <span className="tag info">{c.type}</span>
                </td>
                <td className="actions">
                  <a href={href('/config', keyParams(c))}>Details</a>
                  <a href={href('/config/edit', keyParams(c))} data-testid="config-edit">
                    Edit
                  </a>
                  <a href={href('/config/history', keyParams(c))} data-testid="config-history">
                    History
                  </a>
                  <button className="link danger" onClick={() => void remove(c)} data-testid="config-delete">
                    Delete
                  </button>
                </td>
              </tr>
            ))}
            {list.data && rows.length === 0 && <EmptyRow cols={6} text="No configurations." />}
          </tbody>
        </table>
        <Pager count={list.data?.totalCount ?? 0} noun={['configuration', 'configurations']} pageNo={pageNo} pageSize={pageSize} onPage={setPageNo} onPageSize={setPageSize} testId="configs-count" />
      </div>
      {dialog === 'import' && <ImportDialog namespace={namespace} onClose={() => setDialog(null)} onDone={list.reload} />}
      {dialog === 'clone' && <CloneDialog namespace={namespace} namespaces={namespaces} configs={chosen} onClose={() => setDialog(null)} />}
    </section>
  );
}

function PolicySelect({ value, onChange }: { value: Policy; onChange: (p: Policy) => void }) {
  return (
    <label>
      When a configuration exists
      <select name="policy" value={value} onChange={(e) => onChange(POLICIES.find((p) => p === e.target.value) ?? 'ABORT')}>
        <option value="ABORT">stop (ABORT)</option>
        <option value="SKIP">skip it (SKIP)</option>
        <option value="OVERWRITE">overwrite it (OVERWRITE)</option>
      </select>
    </label>
  );
}

function OutcomeView({ outcome }: { outcome: TransferOutcome }) {
  const keys = (l: { dataId: string; group: string }[] | undefined) => (l ?? []).map((k) => `${k.group}/${k.dataId}`).join(', ');
  return (
    <div className="outcome" data-testid="transfer-result">
      <p>
        <b data-testid="transfer-succ">{outcome.succCount}</b> written, <b>{outcome.skipCount}</b> skipped
      </p>
      {(outcome.failData?.length ?? 0) > 0 && <p className="error-line">Stopped at an existing configuration: {keys(outcome.failData)}</p>}
      {(outcome.skipData?.length ?? 0) > 0 && <p className="muted">Skipped: {keys(outcome.skipData)}</p>}
      {(outcome.unrecognizedCount ?? 0) > 0 && <p className="muted">Not recognised: {(outcome.unrecognizedData ?? []).map((u) => u.itemName).join(', ')}</p>}
    </div>
  );
}

/** Upload of a Nacos export zip into the current namespace (docs/protocol/config.md §3.9). */
function ImportDialog({ namespace, onClose, onDone }: { namespace: string; onClose: () => void; onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [policy, setPolicy] = useState<Policy>('ABORT');
  const [outcome, setOutcome] = useState<TransferOutcome | null>(null);
  const { error, onSubmit } = useFormSubmit(async () => {
    if (!file) throw new Error('Choose a zip file exported from Nacos or Nomen');
    setOutcome(await importConfigs(namespace, file, policy));
  }, onDone);
  return (
    <Modal title={`Import into ${namespace}`} onClose={onClose} testId="import-dialog">
      <form className="form" onSubmit={onSubmit}>
        <label>
          Archive (.zip)
          <input type="file" name="file" accept=".zip,application/zip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <PolicySelect value={policy} onChange={setPolicy} />
        {outcome && <OutcomeView outcome={outcome} />}
        <FormFoot error={error} onCancel={onClose} submit="Import" />
      </form>
    </Modal>
  );
}

/** Copies the selected configurations into another namespace, under names that can be changed. */
function CloneDialog({ namespace, namespaces, configs, onClose }: { namespace: string; namespaces: Namespace[]; configs: ConfigRow[]; onClose: () => void }) {
  const others = namespaces.filter((n) => n.namespace !== namespace);
  const [target, setTarget] = useState(others[0]?.namespace ?? '');
  const [policy, setPolicy] = useState<Policy>('ABORT');
  const [names, setNames] = useState(configs.map((c) => ({ cfgId: c.id, dataId: c.dataId, group: c.group })));
  const [outcome, setOutcome] = useState<TransferOutcome | null>(null);
  const { error, onSubmit } = useFormSubmit(async () => {
    if (target === '') throw new Error('Create another namespace first');
    if (names.some((n) => n.dataId.trim() === '' || n.group.trim() === '')) throw new Error('Every copy needs a data ID and a group');
    setOutcome(await cloneConfigs(target, names.map((n) => ({ ...n, dataId: n.dataId.trim(), group: n.group.trim() })), policy));
  }, () => undefined);
  const rename = (i: number, field: 'dataId' | 'group', value: string) => setNames(names.map((n, j) => (j === i ? { ...n, [field]: value } : n)));
  return (
    <Modal title={`Clone ${configs.length} configuration(s)`} onClose={onClose} testId="clone-dialog">
      <form className="form" onSubmit={onSubmit}>
        <label>
          Target namespace
          <select name="target" value={target} onChange={(e) => setTarget(e.target.value)}>
            {others.map((n) => (
              <option key={n.namespace} value={n.namespace}>
                {n.namespaceShowName} ({n.namespace})
              </option>
            ))}
          </select>
        </label>
        <PolicySelect value={policy} onChange={setPolicy} />
        <table className="grid">
          <thead>
            <tr>
              <th>Data ID in the target</th>
              <th>Group in the target</th>
            </tr>
          </thead>
          <tbody>
            {names.map((n, i) => (
              <tr key={n.cfgId}>
                <td>
                  <input value={n.dataId} onChange={(e) => rename(i, 'dataId', e.target.value)} aria-label="target data ID" />
                </td>
                <td>
                  <input value={n.group} onChange={(e) => rename(i, 'group', e.target.value)} aria-label="target group" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {outcome && <OutcomeView outcome={outcome} />}
        <FormFoot error={error} onCancel={onClose} submit="Clone" />
      </form>
    </Modal>
  );
}
