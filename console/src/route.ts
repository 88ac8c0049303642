/** Hash routing (`#/services?...`): the member serves one page, so deep links need no server fallback. */
import { useEffect, useState } from 'react';

export interface Route {
  path: string;
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const h = hash.replace(/^#/, '') || '/services';
  const i = h.indexOf('?');
  return i < 0 ? { path: h, params: new URLSearchParams() } : { path: h.slice(0, i), params: new URLSearchParams(h.slice(i + 1)) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(path: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#${path}${q ? `?${q}` : ''}`;
}

export function navigate(path: string, params: Record<string, string> = {}): void {
  window.location.hash = href(path, params);
}
