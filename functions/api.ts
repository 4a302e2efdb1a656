/**
 * The jobs API on Lambda: an API Gateway HTTP API (payload format 2.0) event in, a JSON
 * response out. The handler looks up the operation of the event's route key
 * (functions/api-routes.ts), hands it the path parameters, the query and the parsed JSON
 * body, and returns its status and body. The work is in engine/api/.
 *
 * Errors, in one middleware: an error the API's status table knows (engine/api/errors.ts
 * HTTP_ERRORS: a bad field, an unknown job, a conflicting state) becomes its 4xx with
 * `{ error, message, fields?, requestId }`; anything else is logged with its stack and
 * becomes a 500 that names the request id, so an operator can find the log line. Every
 * body is JSON.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ApiErrorCodes, BadRequestError, NotFoundError, PayloadTooLargeError, httpErrorOf } from '../engine/api/errors.js';
import type { ApiResult } from '../engine/api/jobs.js';
import { describeError } from '../engine/errors.js';
import type { Logger } from '../engine/ports/index.js';
import { API_ROUTES, type ApiRouteKey } from './api-routes.js';
import { lambdaLogger } from './logger.js';

/**
 * What an API handler needs: the context its operations take (ReadApiContext,
 * ControlApiContext: engine/api/context.ts); the local runtime supplies its own.
 */
export interface ApiDependencies<C extends { readonly logger: Logger }> {
  api(): C;
  /** Where errors are logged (default: the context's logger). */
  logger?(): Logger;
}

export interface ApiRequest {
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: unknown;
}

export type ApiOperation<C> = (request: ApiRequest, ctx: C) => Promise<ApiResult<unknown>>;

/** Bodies above this size are refused (a start request is well under 8 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

export function apiHandler<C extends { readonly logger: Logger }>(
  name: string,
  operations: Partial<Record<ApiRouteKey, ApiOperation<C>>>,
  deps: ApiDependencies<C>,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>(async (event: APIGatewayProxyEventV2) => {
    const routeKey = event.routeKey as ApiRouteKey;
    const operation = routeKey === '$default' ? undefined : operations[routeKey];
    if (operation === undefined) throw noRoute(event);
    const result = await operation(
      { pathParameters: event.pathParameters ?? {}, query: event.queryStringParameters ?? {}, body: bodyOf(event) },
      deps.api(),
    );
    return json(result.status, result.body);
  }).use({
    name: 'sluiceApiErrors',
    onError: (request) => {
      const requestId = request.event?.requestContext?.requestId ?? request.context?.awsRequestId ?? 'unknown';
      const error = request.error;
      const answer = httpErrorOf(error);
      if (answer !== null) {
        request.response = json(answer.status, {
          error: answer.code,
          message: answer.message,
          ...(answer.fields.length > 0 ? { fields: answer.fields } : {}),
          requestId,
        });
        return;
      }
      loggerOf(deps).error(`${name} failed`, {
        requestId,
        route: request.event?.routeKey,
        error: describeError(error),
        stack: error?.stack,
      });
      request.response = json(500, {
        error: ApiErrorCodes.InternalError,
        message: `internal error: the request failed on the server (request id ${requestId}, in the API function's log)`,
        requestId,
      });
    },
  });
}

export function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function bodyOf(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new PayloadTooLargeError(`the body must be at most ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`the body is not JSON: ${error instanceof Error ? error.message : String(error)}`, [
      { field: 'body', message: 'must be a JSON object' },
    ]);
  }
}

function noRoute(event: APIGatewayProxyEventV2): NotFoundError {
  const method = event.requestContext?.http?.method ?? '?';
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '?';
  const routes = Object.keys(API_ROUTES).filter((k) => k !== '$default');
  return new NotFoundError(`no route ${method} ${path} (the routes: ${routes.join(', ')})`);
}

function loggerOf<C extends { readonly logger: Logger }>(deps: ApiDependencies<C>): Logger {
  try {
    return deps.logger?.() ?? deps.api().logger;
  } catch {
    // The context could not be built (a variable missing): log where the API's own lines go.
    return lambdaLogger;
  }
}
