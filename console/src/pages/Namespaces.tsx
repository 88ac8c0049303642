import { useState } from 'react';
import { call, type Namespace } from '../api';
import type { Loaded } from '../hooks';
import { ErrorLine, errorMessage, FormFoot, Modal, useFormSubmit } from '../ui';

interface Props {
  namespaces: Loaded<Namespace[]>;
  current: string;
  onChoose: (ns: string) => void;
}

type Editing = { mode: 'create' } | { mode: 'edit'; ns: Namespace };

/** Namespace CRUD over the 2.x console API (`/v1/console/namespaces`, answers bare booleans). */
export function NamespacesPage({ namespaces, current, onChoose }: Props) {
  const [editing, setEditing] = useState<Editing | null>(null);
  const [error, setError] = useState<string | null>(null);

  const remove = async (ns: Namespace) => {
    if (!window.confirm(`Delete namespace ${ns.namespaceShowName} (${ns.namespace})?`)) return;
    setError(null);
    try {
      const ok = await call<boolean>('DELETE', '/v1/console/namespaces', { namespaceId: ns.namespace });
      if (ok !== true) throw new Error(`namespace ${ns.namespace} was not deleted`);
      namespaces.reload();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <section>
      <div className="page-head">
        <h1>Namespaces</h1>
        <div className="spacer" />
        <button className="primary" onClick={() => setEditing({ mode: 'create' })} data-testid="create-namespace">
          Create namespace
        </button>
      </div>
      <ErrorLine error={namespaces.error ?? error} />
      <div className="card">
        <table className="grid" data-testid="namespaces-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Description</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {(namespaces.data ?? []).map((ns) => (
              <tr key={ns.namespace} data-testid="namespace-row" data-ns={ns.namespace} className={ns.namespace === current ? 'row-current' : ''}>
                <td>{ns.namespaceShowName}</td>
                <td>
                  <code>{ns.namespace}</code>
                </td>
                <td>{ns.namespaceDesc || <span className="muted">—</span>}</td>
                <td className="actions">
                  {ns.namespace === current ? (
                    <span className="tag info">current</span>
                  ) : (
                    <button className="link" onClick={() => onChoose(ns.namespace)}>
                      Use
                    </button>
                  )}
                  {ns.type !== 0 && (
                    <>
                      <button className="link" onClick={() => setEditing({ mode: 'edit', ns })}>
                        Edit
                      </button>
                      <button className="link danger" onClick={() => void remove(ns)} data-testid="delete-namespace">
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing && (
        <NamespaceDialog
          editing={editing}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            namespaces.reload();
          }}
        />
      )}
    </section>
  );
}

function NamespaceDialog({ editing, onClose, onDone }: { editing: Editing; onClose: () => void; onDone: () => void }) {
  const ns = editing.mode === 'edit' ? editing.ns : null;
  const [id, setId] = useState('');
  const [name, setName] = useState(ns?.namespaceShowName ?? '');
  const [desc, setDesc] = useState(ns?.namespaceDesc ?? '');
  const { error, onSubmit } = useFormSubmit(async () => {
    const ok = ns
      ? await call<boolean>('PUT', '/v1/console/namespaces', { namespace: ns.namespace, namespaceShowName: name, namespaceDesc: desc })
      : await call<boolean>('POST', '/v1/console/namespaces', { customNamespaceId: id.trim() || undefined, namespaceName: name, namespaceDesc: desc });
    if (ok !== true) throw new Error('rejected: the id may be taken or invalid (letters, digits, _ and -), or the name holds @#$%^&*');
  }, onDone);

  return (
    <Modal title={ns ? `Edit namespace ${ns.namespace}` : 'Create namespace'} onClose={onClose} testId="namespace-dialog">
      <form className="form" onSubmit={onSubmit}>
        {!ns && (
          <label>
            ID (optional; a UUID when empty)
            <input name="namespaceId" value={id} onChange={(e) => setId(e.target.value)} />
          </label>
        )}
        <label>
          Name
          <input name="namespaceName" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label>
          Description
          <input name="namespaceDesc" value={desc} onChange={(e) => setDesc(e.target.value)} />
        </label>
        <FormFoot error={error} onCancel={onClose} />
      </form>
    </Modal>
  );
}
