/**
 * `multipart/form-data` (RFC 7578) of an already read, size-limited body: the parts' names, their
 * file names and bytes. Enough for a config import upload; refuses what it cannot parse.
 */
export interface FormPart {
  readonly name: string;
  readonly filename?: string;
  readonly data: Buffer;
}

/** The boundary of a `multipart/form-data` Content-Type, or null when the type is something else. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function dispositionParam(header: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}="([^"]*)"`, 'i').exec(header) ?? new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  return m?.[1];
}

/** The parts of a multipart body; null when the body is not well-formed. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) return null;
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') return parts;
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') return null;
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return null;
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return null;
    const disposition = headers.find((h) => /^content-disposition\s*:/i.test(h));
    const name = disposition === undefined ? undefined : dispositionParam(disposition, 'name');
    if (name === undefined || disposition === undefined) return null;
    const filename = dispositionParam(disposition, 'filename');
    const data = body.subarray(headerEnd + 4, next);
    parts.push(filename === undefined ? { name, data } : { name, filename, data });
    pos = next + 2;
  }
}
