/**
 * What the local API server refuses before a request reaches a route: the doors a web page
 * in the developer's browser could otherwise open. The server listens on loopback, but any
 * page the browser shows can send it a request (a `text/plain` POST needs no CORS
 * preflight), and a DNS name rebound to 127.0.0.1 makes the page's own origin point at it.
 *
 *   Host          only the address the server listens on, as host:port, in its loopback
 *                 spellings (localhost, 127.0.0.1, [::1]): anything else is a DNS-rebinding
 *                 attempt or a misdirected request (421)
 *   Origin        absent (the CLI, curl, SDKs send none), or the server's own origin (403
 *                 otherwise: no cross-origin request is served, and no CORS header is sent)
 *   path          the raw request path, no `.` or `..` segment in any spelling (`%2e`), no
 *                 backslash, no absolute-form target (400): a path is routed as sent, never
 *                 normalised (`/jobs/%2e%2e/jobs` is not `GET /jobs`)
 *   Content-Type  a request with a body says `application/json` (415 otherwise); a UTF-8
 *                 charset parameter is allowed, another charset is not
 *
 * The API Gateway in front of the deployed API does the equivalent of the first three
 * (its own host name, IAM-signed requests, no CORS configured); the deployed functions
 * read the body as JSON whatever its type.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface Refusal {
  readonly status: number;
  readonly error: string;
  readonly message: string;
}

/** The host:port forms the server answers to, for the address it listens on. */
export function allowedHosts(listenHost: string, port: number): ReadonlySet<string> {
  const bracketed = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  return new Set([bracketed, 'localhost', '127.0.0.1', '[::1]'].map((h) => `${h.toLowerCase()}:${port}`));
}

/** Why the request is refused before routing, or null when it may be routed. */
export function refuseRequest(
  request: { readonly url: string; readonly headers: IncomingHttpHeaders },
  hosts: ReadonlySet<string>,
): Refusal | null {
  const host = request.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return {
      status: 421,
      error: 'MisdirectedRequest',
      message: `the local API answers requests to ${[...hosts].join(', ')} only, not to host ${JSON.stringify(short(host ?? ''))}`,
    };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.has(originHost(origin) ?? '')) {
    return {
      status: 403,
      error: 'Forbidden',
      message: `the local API serves no cross-origin request (Origin ${JSON.stringify(short(origin))}): call it from the sluice CLI or an HTTP client, not from a web page`,
    };
  }
  const path = request.url.split('?', 1)[0] ?? '';
  if (!path.startsWith('/') || path.split('/').some(isUnsafeSegment)) {
    return {
      status: 400,
      error: 'BadRequest',
      message: `the request path must be absolute and have no "." or ".." segment, got ${JSON.stringify(short(path))}`,
    };
  }
  return null;
}

/** A request with a non-empty body must say it is JSON. */
export function refuseBodyType(headers: IncomingHttpHeaders, body: string): Refusal | null {
  if (body === '') return null;
  const type = headers['content-type'] ?? '';
  const [media = '', ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (media === 'application/json' && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) return null;
  return {
    status: 415,
    error: 'UnsupportedMediaType',
    message: `a request body must be sent with Content-Type: application/json, got ${type === '' ? 'none' : JSON.stringify(short(type))}`,
  };
}

function originHost(origin: string): string | null {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:') return null;
    return `${url.hostname.toLowerCase()}:${url.port === '' ? '80' : url.port}`;
  } catch {
    return null;
  }
}

/** A `.` or `..` segment in any spelling, or one with a backslash (which URL parsers read as a slash). */
function isUnsafeSegment(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    decoded = segment;
  }
  return decoded === '.' || decoded === '..' || decoded.includes('\\');
}

/** Headers and paths are echoed in messages: at most 200 characters of them. */
function short(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
