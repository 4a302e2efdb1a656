/**
 * The stack's sources, sinks and lookups with the catalog's targets added
 * (catalog-grants.ts): what the settings name stays as it is (a table the stack creates is
 * still created, a stream given by ARN still read by it), and each target they do not
 * name is added, as an existing resource, by name. Explicit Kafka topics are extended by
 * the jobs' source topics (without a list, every topic of the cluster is read already).
 */
import type { SluiceSourcesProps } from './constructs/sluice-sources.js';
import type { CatalogGrants } from './catalog-grants.js';
import type { SluiceLookupsProps, SluiceSinksProps } from './stacks/sluice-stack-props.js';

export interface DeploymentTargets {
  readonly sources: SluiceSourcesProps;
  readonly sinks: SluiceSinksProps;
  readonly lookups: SluiceLookupsProps;
}

export function withCatalogTargets(settings: DeploymentTargets, grants: CatalogGrants): DeploymentTargets {
  const { sources, sinks, lookups } = settings;
  const kinesis = sources.kinesis;
  const readStreams = [...(kinesis?.streams ?? []).map(streamNameOf), ...optional(kinesis?.createStream?.streamName)];
  const moreStreams = missing(grants.sourceStreams, readStreams);
  const kafka = sources.kafka;
  const moreTopics = kafka?.topics === undefined || kafka.topics.length === 0 ? [] : missing(grants.sourceTopics, kafka.topics);
  return {
    sources: {
      ...sources,
      ...(moreStreams.length === 0 ? {} : { kinesis: { ...kinesis, streams: [...(kinesis?.streams ?? []), ...moreStreams] } }),
      ...(kafka === undefined || moreTopics.length === 0 ? {} : { kafka: { ...kafka, topics: [...(kafka.topics ?? []), ...moreTopics] } }),
    },
    sinks: {
      ...sinks,
      ...extend('tables', sinks.tables, missing(grants.sinkTables, [...(sinks.tables ?? []), ...(sinks.createTables ?? [])])),
      ...extend(
        'lateRecordTables',
        sinks.lateRecordTables,
        missing(grants.lateRecordTables, [...(sinks.lateRecordTables ?? []), ...(sinks.createLateRecordTables ?? [])]),
      ),
      ...extend('streams', sinks.streams, missing(grants.sinkStreams, (sinks.streams ?? []).map(streamNameOf))),
      ...extend('topics', sinks.topics, missing(grants.sinkTopics, sinks.topics ?? [])),
      ...extend('files', sinks.files, missing(grants.sinkFiles.map(fileKey), (sinks.files ?? []).map(fileKey))),
    },
    lookups: { ...lookups, ...extend('tables', lookups.tables, missing(grants.lookupTables, lookups.tables ?? [])) },
  };
}

function optional(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

/** The names of `wanted` not among `present`. */
function missing(wanted: readonly string[], present: readonly string[]): string[] {
  const have = new Set(present);
  return wanted.filter((name) => !have.has(name));
}

function extend<K extends string>(key: K, list: readonly string[] | undefined, more: readonly string[]): Partial<Record<K, string[]>> {
  return more.length === 0 ? {} : ({ [key]: [...(list ?? []), ...more] } as Record<K, string[]>);
}

/** A stream's name, from its name or its ARN (arn:aws:kinesis:<region>:<account>:stream/<name>). */
function streamNameOf(nameOrArn: string): string {
  const match = /:stream\/([^/]+)$/.exec(nameOrArn);
  return match === null ? nameOrArn : match[1]!;
}

/** A file sink location without the slashes around its prefix, as parseFileSinkLocation reads it. */
function fileKey(entry: string): string {
  return entry
    .replace(/\/+$/g, '')
    .replace(/^(s3:\/\/[^/]+\/)\/+/, '$1')
    .replace(/^\/+/, '');
}
