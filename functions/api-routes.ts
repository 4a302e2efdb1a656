/**
 * The routes of the jobs API and the Lambda function that serves each. The CDK stack
 * creates exactly these routes on the HTTP API (infra/constructs/sluice-api.ts), the
 * handlers dispatch on them (functions/api.ts), and the local server matches requests
 * against them (local/api-server.ts). No imports: CDK loads this without the SDK.
 *
 * Two functions, for least privilege: `apiRead` only reads the registry, the WAL and the
 * dead letters; `apiControl` writes the registry, starts driver executions and, for a
 * start from a checkpoint, copies WAL records and state. `$default` (any other method or
 * path) goes to apiRead, which answers 404 in the API's own JSON.
 */
export const API_FUNCTIONS = {
  apiRead: {
    entry: 'functions/api-read.ts',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Sluice jobs API: list jobs, job status, batches, dead letters, results',
  },
  apiControl: {
    entry: 'functions/api-control.ts',
    memoryMb: 512,
    // API Gateway ends an HTTP API integration after 30 s.
    timeoutSeconds: 29,
    description: 'Sluice jobs API: start, stop, resume jobs',
  },
} as const;

export type ApiFunction = keyof typeof API_FUNCTIONS;

export const API_ROUTES = {
  'POST /jobs': 'apiControl',
  'GET /jobs': 'apiRead',
  'GET /jobs/{jobId}': 'apiRead',
  'GET /jobs/{jobId}/batches': 'apiRead',
  'GET /jobs/{jobId}/dead-letters': 'apiRead',
  'GET /jobs/{jobId}/results': 'apiRead',
  'POST /jobs/{jobId}/stop': 'apiControl',
  'POST /jobs/{jobId}/resume': 'apiControl',
  $default: 'apiRead',
} as const satisfies Record<string, ApiFunction>;

export type ApiRouteKey = keyof typeof API_ROUTES;

/** The route key a request matches (`$default` when none), with its path parameters. */
export function matchRoute(method: string, path: string): { routeKey: ApiRouteKey; pathParameters: Record<string, string> } {
  const parts = path.split('/').filter((p) => p !== '');
  for (const key of Object.keys(API_ROUTES) as ApiRouteKey[]) {
    if (key === '$default') continue;
    const [routeMethod, routePath] = key.split(' ') as [string, string];
    if (routeMethod !== method.toUpperCase()) continue;
    const pattern = routePath.split('/').filter((p) => p !== '');
    if (pattern.length !== parts.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = pattern.every((segment, i) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param === null) return segment === parts[i];
      pathParameters[param[1]!] = safeDecode(parts[i]!);
      return true;
    });
    if (matches) return { routeKey: key, pathParameters };
  }
  return { routeKey: '$default', pathParameters: {} };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
