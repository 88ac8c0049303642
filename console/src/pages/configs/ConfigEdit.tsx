import { useEffect, useRef, useState } from 'react';
import { getConfig, publishConfig, type ConfigKey } from '../../config-api';
import { checkFormat, CONFIG_TYPES, typeOfDataId } from '../../config-format';
import { CodeEditor } from '../../editor';
import { navigate } from '../../route';
import { ErrorLine, errorMessage, useFormSubmit } from '../../ui';

/** A comma list of client addresses (IPv4 or IPv6), as a beta publish takes them. */
export function parseBetaIps(text: string): string {
  const ips = text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ips.length === 0) throw new Error('A beta publish needs at least one client IP');
  const bad = ips.find((ip) => !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/.test(ip));
  if (bad !== undefined) throw new Error(`"${bad}" is not an IP address`);
  return ips.join(',');
}

/** Create (no key) or edit a configuration; the content is checked against its type before anything is sent. */
export function ConfigEditPage({ namespace, editKey }: { namespace: string; editKey: ConfigKey | null }) {
  const [dataId, setDataId] = useState(editKey?.dataId ?? '');
  const [group, setGroup] = useState(editKey?.group ?? 'DEFAULT_GROUP');
  const [type, setType] = useState('text');
  const [appName, setAppName] = useState('');
  const [desc, setDesc] = useState('');
  const [tags, setTags] = useState('');
  const [content, setContent] = useState('');
  // The editor's text as of its last change, for the submit handler: a publish clicked before React
  // re-rendered after the last keystroke must not send (or check) the text before it.
  const latest = useRef('');
  const edit = (v: string) => {
    latest.current = v;
    setContent(v);
  };
  const [beta, setBeta] = useState(false);
  const [betaIps, setBetaIps] = useState('');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(editKey === null);

  useEffect(() => {
    if (!editKey) return;
    getConfig(namespace, editKey).then(
      (c) => {
        if (!c) return setLoadError(`${editKey.group} / ${editKey.dataId} does not exist in namespace ${namespace}`);
        setType(c.type);
        setAppName(c.appName ?? '');
        setDesc(c.desc ?? '');
        setTags(c.configTags ?? '');
        edit(c.content);
        setLoaded(true);
      },
      (e: unknown) => setLoadError(errorMessage(e)),
    );
  }, [namespace, editKey?.dataId, editKey?.group]);

  const problems = checkFormat(type, content);

  const { error, busy, onSubmit } = useFormSubmit(
    async () => {
      if (dataId.trim() === '' || group.trim() === '') throw new Error('Data ID and group are required');
      const text = latest.current;
      if (text.trim() === '') throw new Error('The content is empty');
      const first = checkFormat(type, text)[0];
      if (first) throw new Error(`Not published: ${first.message}`);
      await publishConfig(namespace, { dataId: dataId.trim(), group: group.trim(), type, appName: appName.trim(), desc, configTags: tags.trim(), content: text, betaIps: beta ? parseBetaIps(betaIps) : undefined });
    },
    () => navigate('/config', { dataId: dataId.trim(), group: group.trim() }),
  );

  const onDataId = (v: string) => {
    setDataId(v);
    const t = editKey ? null : typeOfDataId(v);
    if (t) setType(t);
  };

  return (
    <section>
      <div className="page-head">
        <h1>{editKey ? `Edit ${editKey.dataId}` : 'Create configuration'}</h1>
        <span className="muted">namespace {namespace}</span>
      </div>
      <ErrorLine error={loadError} />
      <form className="form card config-form" onSubmit={onSubmit}>
        <div className="form-row">
          <label>
            Data ID
            <input name="dataId" value={dataId} onChange={(e) => onDataId(e.target.value)} disabled={editKey !== null} required />
          </label>
          <label>
            Group
            <input name="group" value={group} onChange={(e) => setGroup(e.target.value)} disabled={editKey !== null} required />
          </label>
          <label>
            App
            <input name="appName" value={appName} onChange={(e) => setAppName(e.target.value)} />
          </label>
          <label>
            Tags
            <input name="configTags" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="a,b" />
          </label>
        </div>
        <label>
          Description
          <input name="desc" value={desc} onChange={(e) => setDesc(e.target.value)} />
        </label>
        <div className="type-choice" role="radiogroup" aria-label="Format">
          Format
          {CONFIG_TYPES.map((t) => (
            <label key={t} className="check">
              <input type="radio" name="type" value={t} checked={type === t} onChange={() => setType(t)} />
              {t}
            </label>
          ))}
        </div>
        {loaded && <CodeEditor value={content} type={type} onChange={edit} testId="config-editor" />}
        <div className={problems.length > 0 ? 'format-state bad' : 'format-state ok'} data-testid="format-state">
          {problems.length > 0 ? problems[0]?.message : type === 'text' || type === 'html' ? 'free text' : `valid ${type}`}
        </div>
        <label className="check">
          <input type="checkbox" name="beta" checked={beta} onChange={(e) => setBeta(e.target.checked)} />
          Beta publish: only these clients get this content, the others keep the published one
        </label>
        {beta && (
          <label>
            Client IPs (comma separated)
            <input name="betaIps" value={betaIps} onChange={(e) => setBetaIps(e.target.value)} placeholder="10.0.0.1,10.0.0.2" />
          </label>
        )}
        <ErrorLine error={error} />
        <div className="buttons">
          <button type="button" onClick={() => window.history.back()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !loaded} data-testid="publish">
            {beta ? 'Publish beta' : 'Publish'}
          </button>
        </div>
      </form>
    </section>
  );
}
