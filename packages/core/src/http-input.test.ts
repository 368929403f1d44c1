import { describe, expect, it } from 'vitest';
import { decodeSegment, jsonNestingTooDeep, MAX_JSON_DEPTH, parseRequestTarget, sameOriginOrNone } from './http-input.js';

describe('http input', () => {
  it('parses request targets without treating // as a host, and never throws', () => {
    expect(parseRequestTarget('//')?.pathname).toBe('//');
    expect(parseRequestTarget('//evil.example/api/config')?.pathname).toBe('//evil.example/api/config');
    expect(parseRequestTarget('//:99/x')?.pathname).toBe('//:99/x');
    expect(parseRequestTarget('/pico/ws?session_id=a')?.searchParams.get('session_id')).toBe('a');
    expect(parseRequestTarget(undefined)?.pathname).toBe('/');
    for (const raw of ['http://[::1', '/%', '/\u0000', '*']) expect(() => parseRequestTarget(raw)).not.toThrow();
  });

  it('compares origins; null, garbage and other hosts are not ours', () => {
    expect(sameOriginOrNone(undefined, 'localhost:18800')).toBe(true);
    expect(sameOriginOrNone('http://localhost:18800', 'localhost:18800')).toBe(true);
    expect(sameOriginOrNone('http://evil.example', 'localhost:18800')).toBe(false);
    expect(sameOriginOrNone('null', 'localhost:18800')).toBe(false);
    expect(sameOriginOrNone('', 'localhost:18800')).toBe(false);
  });

  it('decodes path segments or says it cannot', () => {
    expect(decodeSegment('mqtt%3Adev1')).toBe('mqtt:dev1');
    expect(decodeSegment('%E0%A4%A')).toBeUndefined();
  });

  it('finds JSON nested deeper than the limit, in text or bytes, without recursing', () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(jsonNestingTooDeep(nested(MAX_JSON_DEPTH))).toBe(-1);
    expect(jsonNestingTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(5 * MAX_JSON_DEPTH);
    expect(jsonNestingTooDeep(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toBe(5 * MAX_JSON_DEPTH);
    // A million levels: one pass, no stack overflow.
    expect(jsonNestingTooDeep('['.repeat(1_000_000))).toBe(MAX_JSON_DEPTH);
    // Brackets in strings (escaped quotes included) do not count; siblings do not add up.
    expect(jsonNestingTooDeep(`{"s":"${'['.repeat(200)}\\"${'{'.repeat(200)}"}`)).toBe(-1);
    expect(jsonNestingTooDeep(JSON.stringify(Array.from({ length: 1000 }, () => [[1]])))).toBe(-1);
    expect(jsonNestingTooDeep(Buffer.from(`{"é":"ü${'['.repeat(100)}"}`), 2)).toBe(-1);
    expect(jsonNestingTooDeep('[[[', 2)).toBe(2);
  });
});
