/** Small shared pieces: dialog, metadata display and editing, state tags, messages. */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';

export function Modal({ title, onClose, children, testId }: { title: string; onClose: () => void; children: ReactNode; testId?: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-label={title} data-testid={testId}>
        <div className="modal-head">
          <h3>{title}</h3>
          <button className="link" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

export function Metadata({ value }: { value: Record<string, string> }) {
  const entries = Object.entries(value);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="chips">
      {entries.map(([k, v]) => (
        <span key={k} className="chip">
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** Metadata text as the Nacos console accepts it: a JSON object, or `k=v` lines / comma list. */
export function parseMetadataText(text: string): Record<string, string> {
  const t = text.trim();
  if (t === '') return {};
  if (t.startsWith('{')) {
    const v: unknown = JSON.parse(t);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('metadata must be a JSON object');
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
    return out;
  }
  const out: Record<string, string> = {};
  for (const part of t.split(/[\n,]/)) {
    const p = part.trim();
    if (p === '') continue;
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`"${p}" is not key=value`);
    out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

export function metadataText(m: Record<string, string>): string {
  return Object.keys(m).length === 0 ? '' : JSON.stringify(m, null, 2);
}

const STATE_CLASS: Record<string, string> = { UP: 'ok', DOWN: 'bad', SUSPICIOUS: 'warn', STARTING: 'info', ISOLATION: 'info' };

export function StateTag({ state, testId }: { state: string; testId?: string }) {
  return (
    <span className={`tag ${STATE_CLASS[state] ?? 'info'}`} data-testid={testId}>
      {state}
    </span>
  );
}

export function Bool({ value, yes = 'yes', no = 'no', bad = false }: { value: boolean; yes?: string; no?: string; bad?: boolean }) {
  return <span className={`tag ${value ? 'ok' : bad ? 'bad' : 'muted-tag'}`}>{value ? yes : no}</span>;
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <div className="error-line" role="alert">
      {error}
    </div>
  ) : null;
}

/** "3 s ago" relative to the server's clock reading `now` (avoids browser/server clock skew). */
export function ago(at: number | null, now: number): string {
  if (at === null) return '—';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function dash(v: number | string | null | undefined): string {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The error line and Cancel / submit buttons at the foot of a dialog form. */
export function FormFoot({ error, onCancel, submit = 'Save' }: { error: string | null; onCancel: () => void; submit?: string }) {
  return (
    <>
      <ErrorLine error={error} />
      <div className="buttons">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" data-testid="save">
          {submit}
        </button>
      </div>
    </>
  );
}

/** A full-width "nothing here" table row. */
export function EmptyRow({ cols, text }: { cols: number; text: string }) {
  return (
    <tr>
      <td colSpan={cols} className="empty">
        {text}
      </td>
    </tr>
  );
}

/** A number typed in a form, within [min, max]; throws a readable error otherwise. */
export function numberIn(text: string, min: number, max: number, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`${what} must be between ${min} and ${max}`);
  return n;
}

/**
 * A form's submit handler: runs `action` (which validates, then calls the server), shows its error
 * in the form, and calls `onDone` on success.
 */
export function useFormSubmit(action: () => Promise<unknown>, onDone: () => void): { error: string | null; busy: boolean; onSubmit: (e: FormEvent) => void } {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    action().then(
      () => {
        setBusy(false);
        onDone();
      },
      (err: unknown) => {
        setBusy(false);
        setError(errorMessage(err));
      },
    );
  };
  return { error, busy, onSubmit };
}

/** The foot of a paged table: the count, prev/next and the page size. */
export function Pager(props: { count: number; noun: [string, string]; pageNo: number; pageSize: number; onPage: (n: number) => void; onPageSize: (n: number) => void; testId: string }) {
  const { count, noun, pageNo, pageSize, onPage, onPageSize, testId } = props;
  const pages = Math.max(1, Math.ceil(count / pageSize));
  return (
    <div className="pager">
      <span data-testid={testId}>
        {count} {count === 1 ? noun[0] : noun[1]}
      </span>
      <div className="spacer" />
      <button disabled={pageNo <= 1} onClick={() => onPage(pageNo - 1)}>
        ‹ Prev
      </button>
      <span>
        page {pageNo} / {pages}
      </span>
      <button disabled={pageNo >= pages} onClick={() => onPage(pageNo + 1)}>
        Next ›
      </button>
      <select
        value={pageSize}
        onChange={(e) => {
          onPage(1);
          onPageSize(Number(e.target.value));
        }}
      >
        {[10, 20, 50, 100].map((n) => (
          <option key={n} value={n}>
            {n} / page
          </option>
        ))}
      </select>
    </div>
  );
}

/** A button's action outside a form: `run` clears the last error, awaits `f` and keeps its error for an ErrorLine. */
export function useAction(): { error: string | null; run: (f: () => Promise<void>) => Promise<void> } {
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<void>) => {
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return { error, run };
}
