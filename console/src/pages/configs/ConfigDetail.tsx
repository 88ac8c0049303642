import { deleteConfig, getBeta, getConfig, listeners, stopBeta, type ConfigKey } from '../../config-api';
import { CodeEditor, DiffView } from '../../editor';
import { useLoad } from '../../hooks';
import { href, navigate } from '../../route';
import { EmptyRow, ErrorLine, useAction } from '../../ui';

const time = (ms: number) => new Date(ms).toLocaleString();

/** One configuration: its fields and content, its beta (with a diff against the published content) and who listens to it. */
export function ConfigDetailPage({ namespace, configKey }: { namespace: string; configKey: ConfigKey }) {
  const { error: actionError, run: act } = useAction();
  const config = useLoad(() => getConfig(namespace, configKey), [namespace, configKey.dataId, configKey.group]);
  const beta = useLoad(() => getBeta(namespace, configKey), [namespace, configKey.dataId, configKey.group]);
  const listening = useLoad(() => listeners(namespace, configKey), [namespace, configKey.dataId, configKey.group], 5000);
  const c = config.data;
  const params = { dataId: configKey.dataId, group: configKey.group };


  const remove = () =>
    act(async () => {
      if (!window.confirm(`Delete configuration ${configKey.group} / ${configKey.dataId}?`)) return;
      await deleteConfig(namespace, configKey);
      navigate('/configs');
    });

  const endBeta = () =>
    act(async () => {
      await stopBeta(namespace, configKey);
      beta.reload();
    });

  return (
    <section>
      <div className="page-head">
        <h1 data-testid="config-title">{configKey.dataId}</h1>
        <span className="muted">
          {configKey.group} · namespace {namespace}
        </span>
        <div className="spacer" />
        <a className="button" href={href('/config/history', params)} data-testid="config-history">
          History
        </a>
        <a className="button primary" href={href('/config/edit', params)} data-testid="config-edit">
          Edit
        </a>
        <button className="danger" onClick={() => void remove()} data-testid="config-delete">
          Delete
        </button>
      </div>
      <ErrorLine error={config.error ?? actionError} />
      {config.data === null && !config.loading && !config.error && <div className="card empty">This configuration does not exist (any more).</div>}
      {c && (
        <div className="card">
          <dl className="facts">
            <dt>Format</dt>
            <dd data-testid="config-type">{c.type}</dd>
            <dt>App</dt>
            <dd>{c.appName || '—'}</dd>
            <dt>Tags</dt>
            <dd>{c.configTags ?? '—'}</dd>
            <dt>Description</dt>
            <dd>{c.desc ?? '—'}</dd>
            <dt>MD5</dt>
            <dd>
              <code data-testid="config-md5">{c.md5}</code>
            </dd>
            <dt>Modified</dt>
            <dd>{time(c.modifyTime)}</dd>
            <dt>Created</dt>
            <dd>
              {time(c.createTime)} {c.createIp ? `from ${c.createIp}` : ''}
            </dd>
          </dl>
          <CodeEditor value={c.content} type={c.type} readOnly height="auto" testId="config-content" />
        </div>
      )}
      {beta.data && (
        <div className="card" data-testid="beta-card">
          <div className="card-head">
            <h2>Beta</h2>
            <span className="muted">
              served to <span data-testid="beta-ips">{beta.data.betaIps}</span>
            </span>
            <div className="spacer" />
            <button className="danger" onClick={() => void endBeta()} data-testid="stop-beta">
              Stop beta
            </button>
          </div>
          <p className="muted">Published content (left) and the beta content (right).</p>
          <DiffView a={c?.content ?? ''} b={beta.data.content} type={c?.type ?? 'text'} testId="beta-diff" />
        </div>
      )}
      <div className="card">
        <div className="card-head">
          <h2>Listeners</h2>
          <span className="muted">clients of this member listening to this configuration</span>
        </div>
        <ErrorLine error={listening.error ?? beta.error} />
        <table className="grid" data-testid="listeners-table">
          <thead>
            <tr>
              <th>Client IP</th>
              <th>MD5 it holds</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(listening.data ?? {}).map(([ip, md5]) => (
              <tr key={ip} data-testid="listener-row">
                <td>{ip}</td>
                <td>
                  <code>{md5}</code>
                </td>
                <td>{md5 === c?.md5 ? <span className="tag ok">up to date</span> : <span className="tag warn">other version (beta or pending)</span>}</td>
              </tr>
            ))}
            {listening.data && Object.keys(listening.data).length === 0 && <EmptyRow cols={3} text="Nobody listens on this member." />}
          </tbody>
        </table>
      </div>
    </section>
  );
}
