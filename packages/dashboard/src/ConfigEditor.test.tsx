// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigEditor, DiffView, describeProblem, forgetDraft } from './ConfigEditor.js';
import { collapseDiff, diffLines, leadingPath, lineColumn, locatePath, prettyJson, scanJson } from './config-text.js';

afterEach(() => {
  cleanup();
  forgetDraft();
  vi.unstubAllGlobals();
});

describe('scanJson: where a JSON syntax error is', () => {
  it('names line, column, what was found and what was expected', () => {
    const missingComma = scanJson('{\n  "a": 1\n  "b": 2\n}');
    expect(missingComma.problem).toEqual({ offset: 13, line: 3, column: 3, found: '"', expected: 'comma-brace' });
    expect(describeProblem(missingComma.problem!)).toBe('JSON error at line 3, column 3: found "\\"", expected "," or "}"');
    expect(scanJson('{\n  "a": [1, 2,]\n}').problem).toMatchObject({ line: 2, column: 14, found: ']', expected: 'value' });
    expect(scanJson('{"a": 1,\n}').problem).toMatchObject({ line: 2, column: 1, found: '}', expected: 'key' });
    expect(scanJson('{"a" 1}').problem).toMatchObject({ column: 6, expected: 'colon' });
    expect(scanJson('{"a": "x\ny"}').problem).toMatchObject({ line: 1, column: 9, expected: 'quote' });
    expect(scanJson('{"a": "\\q"}').problem).toMatchObject({ column: 9, found: 'q', expected: 'escape' });
    expect(scanJson('{} {}').problem).toMatchObject({ column: 4, expected: 'end' });
    const cut = scanJson('{\n  "a": ');
    expect(cut.problem).toMatchObject({ line: 2, column: 8, found: '', expected: 'value' });
    expect(describeProblem(cut.problem!)).toBe('JSON error at line 2, column 8: the text ends, expected a value ("text", a number, true, false, null, {…} or […])');
  });

  it('agrees with JSON.parse on what is valid', () => {
    const samples = ['{}', '[]', '{"a":-0.5e+3,"b":[true,false,null,"\\u00e9\\n"]}', ' {"x": {"y": []}} ', '{"a":01}', '{"a":.5}', '{"a":tru}', "{'a':1}", '{"a":1}//', '"\\ud800"', '{"a":"\t"}', '-', '1.', 'nul'];
    for (const sample of samples) {
      let parses = true;
      try {
        JSON.parse(sample);
      } catch {
        parses = false;
      }
      expect(scanJson(sample).problem === undefined, sample).toBe(parses);
    }
  });
});

describe('locatePath: from an issue path to its line', () => {
  const text = prettyJson({ channel_list: { telegram: { type: 'telegram', allow_from: ['42'] } }, model_list: [{ model_name: 'a' }, { model_name: 'b', api_keys: ['[NOT_HERE]'] }] });
  const { keys } = scanJson(text);
  const line = (path: string) => {
    const at = locatePath(keys, path);
    return at === undefined ? undefined : lineColumn(text, at).line;
  };

  it('finds a key, an array item, and a missing key at its nearest written parent', () => {
    const lines = text.split('\n');
    expect(lines[line('channel_list.telegram.allow_from')! - 1]).toBe('      "allow_from": [');
    expect(lines[line('model_list.1.model_name')! - 1]).toBe('      "model_name": "b",');
    expect(lines[line('model_list.1.api_keys.0')! - 1]).toBe('        "[NOT_HERE]"');
    expect(lines[line('channel_list.telegram.settings.token')! - 1]).toBe('    "telegram": {');
    expect(line('')).toBeUndefined();
    expect(line('nope.deeper')).toBeUndefined();
    expect(leadingPath('model_list.1.api_keys.0 is "[NOT_HERE]" but no stored secret matches it')).toBe('model_list.1.api_keys.0');
    expect(leadingPath('a sentence without a path')).toBeUndefined();
  });
});

describe('diff before save', () => {
  const before = prettyJson({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11 });
  const after = prettyJson({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 60, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12 });

  it('aligns the lines (a changed value is one - and one +) and keeps three lines of context around each change', () => {
    const lines = diffLines(before, after);
    expect(lines.filter((l) => l.kind !== ' ').map((l) => `${l.kind}${l.text}`)).toEqual(['-  "f": 6,', '+  "f": 60,', '-  "k": 11', '+  "k": 11,', '+  "l": 12']);
    const rows = collapseDiff(lines);
    expect(rows.map((r) => (r.kind === 'skip' ? `… ${r.count}` : `${r.kind}${r.text}`))).toEqual([
      '… 3', '   "c": 3,', '   "d": 4,', '   "e": 5,', '-  "f": 6,', '+  "f": 60,', '   "g": 7,', '   "h": 8,', '   "i": 9,', '   "j": 10,', '-  "k": 11', '+  "k": 11,', '+  "l": 12', ' }',
    ]);
    expect(collapseDiff(diffLines(before, before))).toEqual([]);
  });

  it('renders removals and additions as del/ins with a visible - or + (not colour alone), old and new line numbers, and the collapsed run', () => {
    const { container } = render(<DiffView rows={collapseDiff(diffLines(before, after))} />);
    const removed = [...container.querySelectorAll('del')].map((e) => e.textContent);
    const added = [...container.querySelectorAll('ins')].map((e) => e.textContent);
    expect(removed).toEqual(['7-  "f": 6,', '12-  "k": 11']);
    expect(added).toEqual(['7+  "f": 60,', '12+  "k": 11,', '13+  "l": 12']);
    expect(container.querySelector('del .mark')!.textContent).toBe('-');
    expect(container.querySelector('ins .mark')!.textContent).toBe('+');
    expect(screen.getByText('… 3 unchanged lines')).toBeTruthy();
    expect(screen.getByRole('region', { name: /removed lines marked -, added lines marked \+/ })).toBeTruthy();
    cleanup();
    render(<DiffView rows={[]} />);
    expect(screen.getByRole('status').textContent).toBe('No changes.');
  });
});

describe('ConfigEditor', () => {
  const config = { version: 3, heartbeat: { enabled: false, interval: 30 }, model_list: [{ model_name: 'm', api_keys: ['[NOT_HERE]'] }] };

  /** A launcher answering GET /api/config and POST /api/config/validate (which refuses a string for heartbeat.enabled). */
  function launcher() {
    const validations: { body: unknown; signal: AbortSignal }[] = [];
    const fetchMock = vi.fn(async (path: string, init: RequestInit = {}) => {
      if (path === '/api/config' && !init.method) return new Response(JSON.stringify({ revision: 'r1', config }), { status: 200 });
      if (path === '/api/config/validate') {
        const body = JSON.parse(String(init.body)) as { heartbeat?: { enabled?: unknown } };
        validations.push({ body, signal: init.signal! });
        return typeof body.heartbeat?.enabled === 'boolean'
          ? new Response(JSON.stringify({ valid: true, warnings: [] }), { status: 200 })
          : new Response(JSON.stringify({ valid: false, issues: [{ path: 'heartbeat.enabled', message: 'expected boolean, got string' }], warnings: [] }), { status: 400 });
      }
      return new Response('{}', { status: 404 });
    });
    vi.stubGlobal('fetch', fetchMock);
    return validations;
  }

  it('shows a syntax error at once, a schema issue after the debounce (earlier checks aborted), moves the cursor to the key an issue names, and guards unsaved edits', async () => {
    const validations = launcher();
    render(<ConfigEditor />);
    const editor = await screen.findByLabelText<HTMLTextAreaElement>('config.json (secrets redacted)');
    expect(editor.value).toBe(`${prettyJson(config)}\n`);
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Valid: the config can be saved.'), { timeout: 2000 });
    expect(validations).toHaveLength(1);

    fireEvent.change(editor, { target: { value: editor.value.replace('"interval": 30', '"interval": 30,') } });
    expect(screen.getByRole('status').textContent).toMatch(/^JSON error at line 6, column 3: found "}", expected a key/);
    expect(editor.getAttribute('aria-invalid')).toBe('true');

    // Two edits in quick succession: one check, of the last text.
    fireEvent.change(editor, { target: { value: editor.value.replace('"interval": 30,', '"interval": 31').replace('"enabled": false', '"enabled": "no"') } });
    fireEvent.change(editor, { target: { value: editor.value.replace('"interval": 31', '"interval": 30') } });
    await screen.findByText('expected boolean, got string', { exact: false }, { timeout: 2000 });
    expect(validations).toHaveLength(2);
    expect(validations[1]!.body).toMatchObject({ heartbeat: { enabled: 'no', interval: 30 } });
    expect(screen.getByRole('status').textContent).toBe('Problems: 1. The config cannot be saved like this.');

    fireEvent.click(screen.getByRole('button', { name: /heartbeat\.enabled/ }));
    expect(editor.selectionStart).toBe(editor.value.indexOf('"enabled"'));

    // Unsaved edits: leaving the page asks first; once discarded, it does not.
    const leave = () => {
      const event = new Event('beforeunload', { cancelable: true });
      dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(leave()).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(editor.value).toBe(`${prettyJson(config)}\n`);
    expect(leave()).toBe(false);

    // Tab indents by two spaces instead of leaving the editor.
    editor.setSelectionRange(1, 1);
    expect(fireEvent.keyDown(editor, { key: 'Tab' })).toBe(false);
    expect(editor.value.startsWith('{  \n')).toBe(true);
    // Several lines: Tab indents them all, Shift+Tab takes the two spaces off again.
    const body = editor.value;
    const from = body.indexOf('  "version"');
    const to = body.indexOf('"heartbeat"');
    editor.setSelectionRange(from, to);
    fireEvent.keyDown(editor, { key: 'Tab' });
    expect(editor.value.slice(from).startsWith('    "version": 3,\n    "heartbeat"')).toBe(true);
    editor.setSelectionRange(from, to + 2);
    fireEvent.keyDown(editor, { key: 'Tab', shiftKey: true });
    expect(editor.value).toBe(body);
    // Escape, then Tab: the browser moves the focus on (no keyboard trap).
    fireEvent.keyDown(editor, { key: 'Escape' });
    expect(fireEvent.keyDown(editor, { key: 'Tab' })).toBe(true);
    expect(editor.value).toBe(body);
  });

  it('keeps unsaved edits (in memory) when the editor closes or another page opens, until they are discarded', async () => {
    launcher();
    const fetchMock = vi.mocked(fetch);
    const gets = () => fetchMock.mock.calls.filter(([path, init]) => path === '/api/config' && !init?.method).length;
    render(<ConfigEditor />);
    const editor = await screen.findByLabelText<HTMLTextAreaElement>('config.json (secrets redacted)');
    await waitFor(() => expect(editor.value).toContain('"interval": 30'));
    fireEvent.change(editor, { target: { value: editor.value.replace('"interval": 30', '"interval": 40') } });
    cleanup();
    render(<ConfigEditor />);
    const again = await screen.findByLabelText<HTMLTextAreaElement>('config.json (secrets redacted)');
    expect(again.value).toContain('"interval": 40');
    expect(screen.getByText(/Your unsaved edits from earlier in this tab are back/)).toBeTruthy();
    expect(gets()).toBe(1);
    fireEvent.click(screen.getByRole('button', { name: 'Discard changes' }));
    cleanup();
    render(<ConfigEditor />);
    await waitFor(() => expect(screen.getByLabelText<HTMLTextAreaElement>('config.json (secrets redacted)').value).toContain('"interval": 30'));
    expect(gets()).toBe(2);
  });
});
