/**
 * The configuration pages, loaded on demand (a chunk of their own, with CodeMirror), so the naming
 * pages do not download the editor. docs/console.md, "Configurations".
 */
import type { Namespace } from '../../api';
import type { Route } from '../../route';
import { ConfigDetailPage } from './ConfigDetail';
import { ConfigEditPage } from './ConfigEdit';
import { ConfigHistoryPage } from './ConfigHistory';
import { ConfigListPage } from './ConfigList';

export default function ConfigSection({ route, namespace, namespaces }: { route: Route; namespace: string; namespaces: Namespace[] }) {
  const dataId = route.params.get('dataId');
  const key = dataId ? { dataId, group: route.params.get('group') || 'DEFAULT_GROUP' } : null;
  // Another namespace, another configuration: keyed so a page's state starts afresh.
  const id = `${namespace}/${key?.group ?? ''}/${key?.dataId ?? ''}`;
  switch (route.path) {
    case '/config/edit':
      return <ConfigEditPage key={id} namespace={namespace} editKey={key} />;
    case '/config':
      return key ? <ConfigDetailPage key={id} namespace={namespace} configKey={key} /> : <ConfigListPage namespace={namespace} namespaces={namespaces} />;
    case '/config/history':
      return key ? <ConfigHistoryPage key={id} namespace={namespace} configKey={key} /> : <ConfigListPage namespace={namespace} namespaces={namespaces} />;
    default:
      return <ConfigListPage namespace={namespace} namespaces={namespaces} />;
  }
}
