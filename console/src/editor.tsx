/**
 * The code editor and the side-by-side diff: CodeMirror 6, each mounted inside a shadow root.
 * CodeMirror injects its styles through style-mod, which writes a `<style>` element into a
 * document (refused by the console's CSP, `style-src 'self'`) but uses constructable stylesheets
 * (`adoptedStyleSheets`, CSSOM, allowed) in a shadow root. docs/console.md, "Configurations".
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { xml } from '@codemirror/lang-xml';
import { yaml } from '@codemirror/lang-yaml';
import { bracketMatching, defaultHighlightStyle, foldGutter, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { properties } from '@codemirror/legacy-modes/mode/properties';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { MergeView } from '@codemirror/merge';
import { Compartment, EditorState, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';
import { checkFormat } from './config-format';

function languageOf(type: string): Extension {
  switch (type) {
    case 'json':
      return json();
    case 'yaml':
      return yaml();
    case 'xml':
    case 'html':
      return xml();
    case 'properties':
      return StreamLanguage.define(properties);
    default:
      return [];
  }
}

/** Highlighting and, for the checked formats, the format problems marked in place. */
function typeExtensions(type: string): Extension {
  return [languageOf(type), linter((view): Diagnostic[] => checkFormat(type, view.state.doc.toString()).map((p) => ({ ...p, severity: 'error' })), { delay: 300 })];
}

const theme = (height: string) =>
  EditorView.theme({
    '&': { height, fontSize: '12.5px', border: '1px solid #d1d5db', borderRadius: '6px', background: '#fff' },
    '&.cm-focused': { outline: '2px solid #93c5fd' },
    '.cm-scroller': { fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace", overflow: 'auto' },
  });

const base = (readOnly: boolean): Extension => [
  lineNumbers(),
  highlightActiveLineGutter(),
  foldGutter(),
  drawSelection(),
  bracketMatching(),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
  EditorState.readOnly.of(readOnly),
  EditorView.editable.of(!readOnly),
];

/** An element with an open shadow root holding one empty div: where CodeMirror mounts. */
function shadowMount(host: HTMLElement): { root: ShadowRoot; parent: HTMLDivElement } {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  root.replaceChildren();
  const parent = document.createElement('div');
  root.appendChild(parent);
  return { root, parent };
}

interface EditorProps {
  value: string;
  type: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
  height?: string;
  testId?: string;
}

/** A syntax-highlighted editor for `type`; `value` replaces the text when it differs from what is shown. */
export function CodeEditor({ value, type, onChange, readOnly = false, height = '420px', testId }: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const { root, parent } = shadowMount(host.current);
    const v = new EditorView({
      root,
      parent,
      state: EditorState.create({
        doc: value,
        extensions: [
          base(readOnly),
          readOnly ? [] : [history(), highlightActiveLine(), keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]), lintGutter()],
          theme(height),
          lang.current.of(typeExtensions(type)),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changed.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The view is made once; value and type changes are dispatched below.
  }, [readOnly, height]);

  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(typeExtensions(type)) });
  }, [type]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div ref={host} className="code-host" data-testid={testId} />;
}

/** Two read-only panes side by side with the changes highlighted: `a` on the left, `b` on the right. */
export function DiffView({ a, b, type, testId }: { a: string; b: string; type: string; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const { root, parent } = shadowMount(host.current);
    const side = (doc: string) => ({ doc, extensions: [base(true), languageOf(type), theme('auto')] });
    const m = new MergeView({ a: side(a), b: side(b), parent, root, collapseUnchanged: { margin: 3, minSize: 6 } });
    return () => m.destroy();
  }, [a, b, type]);
  return <div ref={host} className="code-host diff-host" data-testid={testId} />;
}
