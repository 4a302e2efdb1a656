/**
 * The Lambda functions' logger: Powertools for AWS Lambda's Logger behind the engine's
 * Logger port. Each entry is one JSON line in the function's log group with the level,
 * the message, the engine's fields, and, once Powertools' injectLambdaContext has run in
 * the handler's middy chain (withLambdaContext), the invocation's request id, whether it
 * was a cold start, the function's name, memory and version, and the X-Ray trace id
 * (from _X_AMZN_TRACE_ID, which Lambda sets per invocation): a log line can be found
 * from a failed task, an API error's request id or a trace.
 *
 * The service name and the level come from POWERTOOLS_SERVICE_NAME and
 * POWERTOOLS_LOG_LEVEL, which the CDK function construct sets
 * (infra/constructs/sluice-function.ts).
 *
 * The adapter lives here, not in engine/adapters/aws, because it is only half of the
 * wiring: the request id and cold start come from the middleware that shares its
 * instance, and only the Lambda entry points build either. The engine receives a Logger
 * through its ports and never depends on Powertools.
 *
 * Only the Lambda entry points (each handler module's `export const handler`) carry the
 * middleware. The local runtime builds the same handlers with its own ports
 * (createPlanTaskHandler(deps) and the like), which log one console line each, quiet
 * unless verbose: nothing writes to the Powertools instance there, so no JSON reaches
 * the console, and the handlers' middy chains stay as they are.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddyfiedHandler } from '@middy/core';
import type { Logger } from '../engine/ports/index.js';

/**
 * The engine's Logger over a Powertools Logger. The engine's fields become top-level
 * keys of the JSON line (Powertools drops, with a warning, a field named level, message,
 * sampling_rate, service or timestamp: the engine uses none of these).
 */
export function powertoolsLogger(logger: PowertoolsLogger): Logger {
  return {
    info: (message, fields) => (fields === undefined ? logger.info(message) : logger.info(message, fields)),
    warn: (message, fields) => (fields === undefined ? logger.warn(message) : logger.warn(message, fields)),
    error: (message, fields) => (fields === undefined ? logger.error(message) : logger.error(message, fields)),
  };
}

/** The one Powertools Logger of a Lambda container: the handlers' middleware adds each invocation's context to it. */
export const lambdaPowertools = new PowertoolsLogger();

/** The engine's logger on Lambda (functions/environment.ts gives it to the ports, the supervisor and the API). */
export const lambdaLogger: Logger = powertoolsLogger(lambdaPowertools);

/**
 * Makes a handler a Lambda entry point: adds injectLambdaContext to its middy chain (middy's
 * `use` adds to the handler itself), so every line logged during the invocation, the error
 * middleware's included, names the request id and cold start.
 */
export function withLambdaContext<H extends MiddyfiedHandler>(handler: H): H {
  handler.use(injectLambdaContext(lambdaPowertools));
  return handler;
}
