import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { call, currentSession, savedNamespace, saveNamespace, serverState, setAuthLostHandler, setSession, type Namespace, type Session } from './api';
import { useLoad } from './hooks';
import { ClusterPage } from './pages/Cluster';
import { LoginPage } from './pages/Login';
import { NamespacesPage } from './pages/Namespaces';
import { ServiceDetailPage } from './pages/ServiceDetail';
import { ServicesPage } from './pages/Services';
import { SubscribersPage } from './pages/Subscribers';
import { href, useRoute } from './route';

// The configuration pages carry CodeMirror: a chunk of their own, loaded on first use.
const ConfigSection = lazy(() => import('./pages/configs/index'));

const NAV: { path: string; label: string }[] = [
  { path: '/services', label: 'Services' },
  { path: '/configs', label: 'Configurations' },
  { path: '/subscribers', label: 'Subscribers' },
  { path: '/namespaces', label: 'Namespaces' },
  { path: '/cluster', label: 'Cluster' },
];

type Boot = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; authEnabled: boolean; version: string | null };

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const [session, setSessionState] = useState<Session | null>(currentSession());

  const logout = useCallback(() => {
    setSession(null);
    setSessionState(null);
  }, []);

  useEffect(() => {
    setAuthLostHandler(logout);
    serverState()
      .then((s) => setBoot({ state: 'ready', authEnabled: s?.auth_enabled === 'true', version: s?.version ?? null }))
      .catch((e: unknown) => setBoot({ state: 'error', message: e instanceof Error ? e.message : String(e) }));
  }, [logout]);

  if (boot.state === 'loading') return <div className="boot">Loading…</div>;
  if (boot.state === 'error') return <div className="boot error">Cannot reach the server: {boot.message}</div>;
  if (boot.authEnabled && !session) {
    return (
      <LoginPage
        onLogin={(s) => {
          setSession(s);
          setSessionState(s);
        }}
      />
    );
  }
  return <Shell session={boot.authEnabled ? session : null} onLogout={logout} />;
}

function Shell({ session, onLogout }: { session: Session | null; onLogout: () => void }) {
  const route = useRoute();
  const [namespace, setNamespace] = useState(savedNamespace());
  const namespaces = useLoad(() => call<{ data: Namespace[] }>('GET', '/v1/console/namespaces').then((r) => r.data), []);

  const choose = (ns: string) => {
    saveNamespace(ns);
    setNamespace(ns);
  };
  // A remembered namespace that was deleted falls back to public.
  useEffect(() => {
    if (namespaces.data && !namespaces.data.some((n) => n.namespace === namespace)) choose('public');
  }, [namespaces.data, namespace]);

  let page;
  switch (route.path) {
    case '/service':
      page = <ServiceDetailPage namespace={namespace} name={route.params.get('name') ?? ''} group={route.params.get('group') ?? 'DEFAULT_GROUP'} />;
      break;
    case '/subscribers':
      page = <SubscribersPage namespace={namespace} initialName={route.params.get('name') ?? ''} initialGroup={route.params.get('group') ?? ''} />;
      break;
    case '/namespaces':
      page = <NamespacesPage namespaces={namespaces} current={namespace} onChoose={choose} />;
      break;
    case '/cluster':
      page = <ClusterPage />;
      break;
    default:
      page = route.path.startsWith('/config') ? (
        <Suspense fallback={<div className="boot">Loading…</div>}>
          <ConfigSection route={route} namespace={namespace} namespaces={namespaces.data ?? []} />
        </Suspense>
      ) : (
        <ServicesPage namespace={namespace} />
      );
  }
  const active = route.path === '/service' ? '/services' : route.path.startsWith('/config') ? '/configs' : route.path;

  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href={href('/services')}>
          <span className="logo">N</span> Nomen console
        </a>
        <nav>
          {NAV.map((n) => (
            <a key={n.path} href={href(n.path)} className={active === n.path ? 'active' : ''} data-testid={`nav-${n.path.slice(1)}`}>
              {n.label}
            </a>
          ))}
        </nav>
        <div className="spacer" />
        <label className="ns-switch">
          Namespace
          <select value={namespace} onChange={(e) => choose(e.target.value)} data-testid="namespace-switch">
            {(namespaces.data ?? [{ namespace: 'public', namespaceShowName: 'public' }]).map((n) => (
              <option key={n.namespace} value={n.namespace}>
                {n.namespaceShowName}
                {n.namespace !== n.namespaceShowName ? ` (${n.namespace})` : ''}
              </option>
            ))}
          </select>
        </label>
        {session && (
          <span className="user">
            {session.username}
            <button className="link" onClick={onLogout} data-testid="logout">
              Log out
            </button>
          </span>
        )}
      </header>
      <main>{page}</main>
    </div>
  );
}
