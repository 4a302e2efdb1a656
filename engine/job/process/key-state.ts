/**
 * One key's state of a keyed process function, as stored and as its handlers see it.
 *
 * Stored under the key's state key `[key]` (one entry per key, as keyed-operator.ts
 * requires, so that it is routed, migrated and regrouped like an aggregate's), as JSON:
 *
 *   { "s": { "count": { "v": 3 },                          value:  { v, x? }
 *            "seen": [{ "v": {...}, "x": 1767229200000 }],  list:   [{ v, x? }, ...]
 *            "perPage": [["home", { "v": 2 }]] },           map:    [[key, { v, x? }], ...]
 *     "e": [1767225660000],                                 event-time timers, ascending
 *     "p": [1767225900000] }                                processing-time timers, ascending
 *
 * `x` is the value's expiry (its last write's batch time + the variable's ttlMs): from
 * that batch time on it is invisible, and it is left out when the key is written back.
 * Empty parts are left out; a key with no state and no timers has no entry at all.
 * A stored variable the function no longer declares (a later job version) is kept as it
 * is, unseen (a state migration may drop it); one whose shape is not its declared kind's
 * is treated as empty and replaced by the first write.
 */
import type { JsonObject, JsonValue } from '../../json.js';
import { cloneJson, toJson } from '../json-values.js';
import type { ListState, MapState, StateVariable, ValueState } from './state-descriptors.js';

interface Cell {
  readonly v: JsonValue;
  /** Expiry: the batch time from which the cell is gone; null without a TTL. */
  readonly x: number | null;
}

export class KeyData {
  private constructor(
    readonly values: Map<string, Cell>,
    readonly lists: Map<string, Cell[]>,
    readonly maps: Map<string, Map<string, Cell>>,
    readonly eventTimers: Set<number>,
    readonly processingTimers: Set<number>,
    private readonly undeclared: Map<string, JsonValue>,
  ) {}

  static empty(): KeyData {
    return new KeyData(new Map(), new Map(), new Map(), new Set(), new Set(), new Map());
  }

  /** A key's stored entry (or none), read for the variables the function declares. */
  static load(stored: JsonValue | undefined, variables: readonly StateVariable[]): KeyData {
    const data = KeyData.empty();
    if (!isObject(stored)) return data;
    const kinds = new Map(variables.map((v) => [v.name, v.kind]));
    const s = isObject(stored.s) ? stored.s : {};
    for (const [name, json] of Object.entries(s)) {
      const kind = kinds.get(name);
      if (kind === undefined) data.undeclared.set(name, json);
      else if (kind === 'value' && isCell(json)) data.values.set(name, cellOf(json));
      else if (kind === 'list' && Array.isArray(json) && json.every(isCell)) data.lists.set(name, json.map(cellOf));
      else if (kind === 'map' && Array.isArray(json) && json.every(isMapEntry)) {
        data.maps.set(name, new Map(json.map(([k, cell]) => [k, cellOf(cell)])));
      }
    }
    for (const t of timestamps(stored.e)) data.eventTimers.add(t);
    for (const t of timestamps(stored.p)) data.processingTimers.add(t);
    return data;
  }

  /** A copy a handler works on: committed when it succeeds, dropped when it fails (cells are immutable, so shared). */
  clone(): KeyData {
    return new KeyData(
      new Map(this.values),
      new Map([...this.lists].map(([name, cells]) => [name, [...cells]])),
      new Map([...this.maps].map(([name, map]) => [name, new Map(map)])),
      new Set(this.eventTimers),
      new Set(this.processingTimers),
      this.undeclared,
    );
  }

  /** The entry to store at batch time `timeMs` (expired values left out), or null when nothing is left. */
  save(timeMs: number): JsonObject | null {
    const live = (cell: Cell) => cell.x === null || cell.x > timeMs;
    const s: JsonObject = Object.fromEntries(this.undeclared);
    for (const [name, cell] of this.values) if (live(cell)) s[name] = cellJson(cell);
    for (const [name, cells] of this.lists) {
      const kept = cells.filter(live);
      if (kept.length > 0) s[name] = kept.map(cellJson);
    }
    for (const [name, map] of this.maps) {
      const kept = [...map].filter(([, cell]) => live(cell));
      if (kept.length > 0) s[name] = kept.map(([k, cell]) => [k, cellJson(cell)]);
    }
    const entry: JsonObject = {};
    if (Object.keys(s).length > 0) entry.s = s;
    if (this.eventTimers.size > 0) entry.e = ascending(this.eventTimers);
    if (this.processingTimers.size > 0) entry.p = ascending(this.processingTimers);
    return Object.keys(entry).length === 0 ? null : entry;
  }

  /** The earliest expiry still ahead of `timeMs`, or null. */
  nextExpiry(timeMs: number): number | null {
    let next: number | null = null;
    const see = (cell: Cell) => {
      if (cell.x !== null && cell.x > timeMs && (next === null || cell.x < next)) next = cell.x;
    };
    for (const cell of this.values.values()) see(cell);
    for (const cells of this.lists.values()) for (const cell of cells) see(cell);
    for (const map of this.maps.values()) for (const cell of map.values()) see(cell);
    return next;
  }
}

/** `ctx.state`: a handle per declared variable over `data`, at batch time `timeMs`. */
export function stateHandles(data: KeyData, variables: readonly StateVariable[], timeMs: number): Record<string, unknown> {
  const handles: Record<string, unknown> = {};
  for (const variable of variables) {
    const { name, kind } = variable;
    const cell = (value: unknown, path: string): Cell => ({
      v: toJson(value, path),
      x: variable.ttlMs === null ? null : timeMs + variable.ttlMs,
    });
    const visible = (c: Cell | undefined): c is Cell => c !== undefined && (c.x === null || c.x > timeMs);
    if (kind === 'value') {
      const handle: ValueState<unknown> = {
        get: () => {
          const c = data.values.get(name);
          return visible(c) ? cloneJson(c.v) : undefined;
        },
        set: (value) => void data.values.set(name, cell(value, `state.${name}`)),
        clear: () => void data.values.delete(name),
      };
      handles[name] = Object.freeze(handle);
    } else if (kind === 'list') {
      const cells = () => data.lists.get(name) ?? [];
      const handle: ListState<unknown> = {
        get: () =>
          cells()
            .filter(visible)
            .map((c) => cloneJson(c.v)),
        add: (value) => void data.lists.set(name, [...cells().filter(visible), cell(value, `state.${name}[]`)]),
        set: (values) => {
          if (!Array.isArray(values)) throw new TypeError(`state.${name}.set() takes an array, got ${typeof values}`);
          data.lists.set(
            name,
            values.map((value, i) => cell(value, `state.${name}[${i}]`)),
          );
        },
        clear: () => void data.lists.delete(name),
      };
      handles[name] = Object.freeze(handle);
    } else {
      const map = () => {
        let m = data.maps.get(name);
        if (m === undefined) data.maps.set(name, (m = new Map()));
        return m;
      };
      const live = () => [...(data.maps.get(name) ?? [])].filter(([, c]) => visible(c));
      const handle: MapState<unknown> = {
        get: (key) => {
          const c = data.maps.get(name)?.get(mapKey(name, key));
          return visible(c) ? cloneJson(c.v) : undefined;
        },
        set: (key, value) => void map().set(mapKey(name, key), cell(value, `state.${name}[${JSON.stringify(key)}]`)),
        delete: (key) => void data.maps.get(name)?.delete(mapKey(name, key)),
        has: (key) => visible(data.maps.get(name)?.get(mapKey(name, key))),
        entries: () => live().map(([k, c]) => [k, cloneJson(c.v)]),
        keys: () => live().map(([k]) => k),
        clear: () => void data.maps.delete(name),
      };
      handles[name] = Object.freeze(handle);
    }
  }
  return Object.freeze(handles);
}

function mapKey(name: string, key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`state.${name} keys are strings, got ${typeof key}`);
  return key;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCell(json: JsonValue): json is JsonObject {
  return isObject(json) && 'v' in json && (json.x === undefined || typeof json.x === 'number');
}

function isMapEntry(json: JsonValue): json is [string, JsonObject] {
  return Array.isArray(json) && json.length === 2 && typeof json[0] === 'string' && isCell(json[1]!);
}

function cellOf(json: JsonObject): Cell {
  return { v: json.v!, x: typeof json.x === 'number' ? json.x : null };
}

function cellJson(cell: Cell): JsonObject {
  return cell.x === null ? { v: cell.v } : { v: cell.v, x: cell.x };
}

function timestamps(json: JsonValue | undefined): number[] {
  return Array.isArray(json) ? json.filter((t): t is number => typeof t === 'number') : [];
}

function ascending(set: ReadonlySet<number>): number[] {
  return [...set].sort((a, b) => a - b);
}
