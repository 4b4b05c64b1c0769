// Herald dashboard: the few things server-rendered pages cannot do alone. No framework, no external requests.
// Every page works without this file (forms post, links navigate); this adds tabs, row editing, copy buttons,
// form presets (the Kaleyra preset), confirmations and the Send Test SMS dialog with live delivery status.
(() => {
  'use strict';

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // ------------------------------------------------------------ local times
  function localTimes(root = document) {
    for (const el of $$('time[datetime]', root)) {
      const date = new Date(el.getAttribute('datetime'));
      if (!Number.isNaN(date.getTime())) {
        el.textContent = date.toLocaleString(undefined, {
          year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
        });
      }
    }
  }

  // Notes are stored with ISO 8601 times in them: show each as a <time> that localTimes formats (as NoteText.razor does).
  function noteNodes(note) {
    const nodes = [];
    let start = 0;
    for (const match of note.matchAll(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g)) {
      if (Number.isNaN(new Date(match[0]).getTime())) continue;
      if (match.index > start) nodes.push(note.slice(start, match.index));
      const time = document.createElement('time');
      time.setAttribute('datetime', match[0]);
      time.textContent = match[0];
      nodes.push(time);
      start = match.index + match[0].length;
    }
    if (start < note.length) nodes.push(note.slice(start));
    return nodes;
  }

  // ------------------------------------------------------------ copy buttons
  async function copy(button) {
    const input = document.getElementById(button.dataset.copy);
    if (!input) return;
    const original = button.textContent;
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select();
      document.execCommand('copy');
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = original; }, 1500);
  }

  // ------------------------------------------------------------ tabs (WAI-ARIA tabs pattern)
  function initTabs(container) {
    const tabs = $$('[role="tab"]', container);
    const select = (tab, focus) => {
      for (const t of tabs) {
        const selected = t === tab;
        t.setAttribute('aria-selected', String(selected));
        t.tabIndex = selected ? 0 : -1;
        document.getElementById(t.getAttribute('aria-controls')).hidden = !selected;
      }
      if (focus) tab.focus();
    };
    tabs.forEach((tab, i) => {
      tab.addEventListener('click', () => select(tab, false));
      tab.addEventListener('keydown', (e) => {
        const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
        if (next === undefined) return;
        e.preventDefault();
        select(tabs[(next + tabs.length) % tabs.length], true);
      });
    });
    // Open the tab that holds an error, so the person sees what to fix.
    // Or the tab that holds a result the person just asked for (the report preview).
    const withError = tabs.find((t) => $('.field-error', document.getElementById(t.getAttribute('aria-controls'))))
      || tabs.find((t) => $('[data-open-tab]', document.getElementById(t.getAttribute('aria-controls'))));
    select(withError || tabs[0], false);
    container.selectTab = (id) => select(tabs.find((t) => t.id === id) || tabs[0], false);
  }

  // ------------------------------------------------------------ key/value rows
  function renumber(container) {
    const name = container.dataset.name;
    const id = container.dataset.id;
    const noun = container.dataset.noun || 'Row';
    const fields = { key: container.dataset.keyField || 'Key', value: container.dataset.valueField || 'Value', secret: 'Secret' };
    $$('[data-row]', $('[data-rows-body]', container)).forEach((row, i) => {
      for (const part of ['key', 'value', 'secret']) {
        const input = $(`[data-field="${part}"]`, row);
        if (!input) continue; // the secret choice is on provider rows only
        const label = $(`[data-label="${part}"]`, row);
        input.name = `${name}[${i}].${fields[part]}`;
        input.id = `${id}-${i}-${part}`;
        label.htmlFor = input.id;
        label.textContent = `${noun} ${i + 1} ${part}`;
      }
      $('[data-remove-row]', row).setAttribute('aria-label', `Remove ${noun.toLowerCase()} ${i + 1}`);
    });
  }

  function addRow(container, key = '', value = '', hint = '') {
    const template = $('template[data-row-template]', container);
    const row = template.content.firstElementChild.cloneNode(true);
    $('[data-field="key"]', row).value = key;
    const valueInput = $('[data-field="value"]', row);
    valueInput.value = value;
    if (hint) valueInput.placeholder = hint;
    $('[data-rows-body]', container).appendChild(row);
    renumber(container);
    return row;
  }

  function clearRows(container) {
    $('[data-rows-body]', container).replaceChildren();
  }

  function initRows(container) {
    container.addEventListener('click', (e) => {
      const remove = e.target.closest('[data-remove-row]');
      if (remove) {
        const row = remove.closest('[data-row]');
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber(container);
        const focusTarget = next ? $('[data-field="key"]', next) : $('[data-add-row]', container);
        focusTarget.focus();
        return;
      }
      if (e.target.closest('[data-add-row]')) {
        const row = addRow(container);
        $('[data-field="key"]', row).focus();
      }
    });
  }

  // ------------------------------------------------------------ provider form
  function initProviderForm(form) {
    // Parts shown only for one value of another field (Basic authentication's fields, the JSON body template...).
    const conditional = $$('[data-when-name]', form);
    const valueOf = (name) => {
      const item = form.elements.namedItem(name);
      return item ? String(item.value || '') : '';
    };
    const syncWhen = () => {
      for (const el of conditional) el.hidden = valueOf(el.dataset.whenName).toLowerCase() !== el.dataset.whenValue.toLowerCase();
    };
    if (conditional.length) form.addEventListener('change', syncWhen);

    // Placeholders beside the form go where the cursor last was.
    let lastField = null;
    form.addEventListener('focusin', (e) => {
      if (e.target.matches('input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([readonly]), textarea')) lastField = e.target;
    });
    for (const chip of $$('[data-insert]')) {
      chip.addEventListener('click', () => {
        if (!lastField) return;
        const text = chip.dataset.insert === '$$Anything' ? '$$' : chip.dataset.insert;
        const start = lastField.selectionStart ?? lastField.value.length;
        const end = lastField.selectionEnd ?? lastField.value.length;
        lastField.value = lastField.value.slice(0, start) + text + lastField.value.slice(end);
        lastField.focus();
        lastField.setSelectionRange(start + text.length, start + text.length);
      });
    }

    // Presets (e.g. the seed's Kaleyra configuration): values, then rows that replace what was there.
    for (const button of $$('[data-preset]', form)) {
      const preset = document.getElementById(`preset-${button.dataset.preset}`);
      if (!preset) continue;
      button.addEventListener('click', () => {
        let first = null;
        for (const set of $$('[data-preset-rows]', preset.content)) {
          const rows = $(`[data-rows][data-id="${set.dataset.presetRows}"]`, form);
          if (!rows) continue;
          first = first || rows;
          const keep = {};
          if (set.hasAttribute('data-keep')) {
            for (const row of $$('[data-row]', rows)) {
              const key = $('[data-field="key"]', row).value.trim().toLowerCase();
              if (key) keep[key] = $('[data-field="value"]', row).value;
            }
          }
          clearRows(rows);
          // Values already typed (e.g. the api-key) survive a second click.
          for (const r of $$('[data-preset-row]', set)) addRow(rows, r.dataset.key, keep[r.dataset.key.toLowerCase()] || r.dataset.value, r.dataset.hint);
        }
        for (const v of $$('[data-preset-value]', preset.content)) {
          const item = form.elements.namedItem(v.dataset.name);
          if (!item || (v.hasAttribute('data-if-empty') && item.value)) continue;
          item.value = v.dataset.value; // on radio buttons this checks the one with that value
        }
        syncWhen();
        const tabs = $('[data-tabs]', form);
        const panel = first && first.closest('[role="tabpanel"]');
        if (tabs && tabs.selectTab && panel) tabs.selectTab(panel.getAttribute('aria-labelledby'));
        const empty = first ? $$('[data-field="value"]', first).find((i) => !i.value) : null;
        const fallback = preset.dataset.focus ? document.getElementById(preset.dataset.focus) : null;
        (empty || fallback || button).focus();
      });
    }
  }

  // ------------------------------------------------------------ confirmations
  document.addEventListener('submit', (e) => {
    const message = e.target.dataset && e.target.dataset.confirm;
    if (message && !window.confirm(message)) e.preventDefault();
  });

  // ------------------------------------------------------------ Send Test SMS dialog
  function initTestSms(dialog) {
    const form = $('form[data-test-sms]', dialog);
    const result = $('[data-test-result]', dialog);
    let polling = null;

    const stopPolling = () => { if (polling) { clearTimeout(polling); polling = null; } };
    const open = () => { if (!dialog.open) dialog.showModal(); };
    for (const b of $$('[data-open-dialog="test-sms"]')) b.addEventListener('click', open);
    for (const b of $$('[data-close-dialog]', dialog)) b.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', stopPolling);
    if (dialog.dataset.autoopen === 'true') open();

    // The dynamic field rows, as [key input, value input].
    const fieldRows = () => $$('[data-row]', form).map((row) => [$('[data-field="key"]', row), $('[data-field="value"]', row)]).filter(([k, v]) => k && v);
    const markInvalid = (input) => { input.setAttribute('aria-invalid', 'true'); input.setAttribute('aria-describedby', 'ts-fields-error'); };
    // The API names a missing placeholder as dynamicFields.Name and speaks of JSON: say it with the dialog's own words
    // and mark the rows to fill in (the empty ones the provider's placeholders need).
    const dynamicFieldError = (field, messages) => {
      const name = field.slice('dynamicFields.'.length);
      const rows = fieldRows();
      const empty = rows.filter(([k, v]) => k.value.trim() !== '' && v.value.trim() === '');
      const named = rows.find(([k]) => k.value.trim().toLowerCase() === name.toLowerCase());
      if (named && named[1].value.trim() !== '') {
        markInvalid(named[1]); // a value the provider does not take (e.g. a Kaleyra type): the API's sentence says which
        return { text: messages.join(' '), focus: named[1] };
      }
      if (named || empty.length > 0) {
        const missing = named && !empty.includes(named) ? [named, ...empty] : empty;
        for (const [, v] of missing) markInvalid(v);
        const names = missing.map(([k]) => k.value.trim());
        const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
        return {
          text: `Fill in ${list}: this provider's configuration puts ${names.length === 1 ? 'it' : 'them'} into every message.`,
          focus: (named && named[1].value.trim() === '' ? named : missing[0])[1],
        };
      }
      const blank = rows.find(([k]) => k.value.trim() === '');
      if (blank) markInvalid(blank[0]);
      return { text: `Add a field named ${name} with its value: this provider's configuration puts it into every message.`, focus: blank ? blank[0] : null };
    };
    const showErrors = (problem) => {
      const errors = (problem && problem.errors) || {};
      let placed = false;
      let focus = null;
      for (const [field, messages] of Object.entries(errors)) {
        const key = field.startsWith('dynamicFields') ? 'dynamicFields' : field === 'to' ? 'mobile' : field;
        const el = $(`[data-error-for="${key}"]`, form);
        if (el) {
          if (field.startsWith('dynamicFields.')) {
            const said = dynamicFieldError(field, messages);
            el.textContent = said.text;
            focus = focus || said.focus;
          } else {
            el.textContent = messages.join(' ');
          }
          el.hidden = false;
          placed = true;
        }
      }
      if (focus) focus.focus();
      if (!placed) {
        const general = $('[data-error-for="_"]', form);
        general.textContent = (problem && (problem.detail || problem.title)) || 'The test SMS could not be sent.';
        general.hidden = false;
      }
    };
    const clearErrors = () => {
      for (const el of $$('[data-error-for]', form)) { el.hidden = true; el.textContent = ''; }
      for (const el of $$('[aria-invalid="true"]', form)) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); }
    };

    const exchangeText = (request) => {
      if (!request) return '(nothing was sent)';
      const lines = [`${request.method} ${request.url}`];
      for (const h of request.headers || []) lines.push(`${h.key}: ${h.value}`);
      if (request.body) lines.push('', pretty(request.body));
      return lines.join('\n');
    };
    const responseText = (response, error) => {
      if (!response) return error ? `No answer: ${error}` : '(no answer)';
      const lines = [`HTTP ${response.status}`];
      for (const h of response.headers || []) lines.push(`${h.key}: ${h.value}`);
      lines.push('', pretty(response.body || ''));
      if (response.truncated) lines.push('… (truncated at 64 KiB)');
      return lines.join('\n');
    };
    const pretty = (body) => {
      const t = body.trim();
      if (t.startsWith('{') || t.startsWith('[')) {
        try { return JSON.stringify(JSON.parse(t), null, 2); } catch { /* as is */ }
      }
      return body;
    };
    const badge = (state) => {
      const span = document.createElement('span');
      span.className = `badge state-${state}`;
      span.textContent = state;
      return span;
    };

    const poll = async (id) => {
      const status = $('[data-live-status]', result);
      const timeline = $('[data-live-timeline]', result);
      try {
        const response = await fetch(`/dashboard/messages/${encodeURIComponent(id)}/status`, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
        if (response.ok) {
          const message = await response.json();
          status.replaceChildren(badge(message.status));
          status.dataset.state = message.status;
          timeline.replaceChildren(...message.timeline.map((e) => {
            const li = document.createElement('li');
            const time = document.createElement('time');
            time.setAttribute('datetime', e.at);
            li.append(time, ' ', e.source, ': ', e.event, ' ', badge(e.result));
            if (e.note) {
              const note = Object.assign(document.createElement('span'), { className: 'muted' });
              note.append(...noteNodes(e.note));
              li.append(' ', note);
            }
            return li;
          }));
          localTimes(timeline);
          if (message.final) { stopPolling(); return; }
        }
      } catch { /* network blip: try again */ }
      polling = setTimeout(() => poll(id), 1000);
    };

    // The length line under the message: characters, encoding and segments as the provider will bill them, before sending.
    const lengthLine = $('[data-length]', form);
    const segmentsUrl = form.action.replace(/\/test-sms$/, '/segments');
    let lengthTimer = null;
    const measure = async () => {
      try {
        const response = await fetch(segmentsUrl, { method: 'POST', body: new FormData(form), credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (!response.ok) return;
        const m = await response.json();
        const encoding = m.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2 (Unicode)';
        lengthLine.textContent = `${m.characters.toLocaleString()} characters · ${encoding} · ${m.segments} segment${m.segments === 1 ? '' : 's'}`
          + (m.error ? ` — at most ${m.maxSegments} allowed: shorten it` : '');
        lengthLine.classList.toggle('field-error', !!m.error);
      } catch { /* the next keystroke tries again */ }
    };
    if (lengthLine) {
      $('#ts-message', form).addEventListener('input', () => { clearTimeout(lengthTimer); lengthTimer = setTimeout(measure, 200); });
      measure();
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      stopPolling();
      clearErrors();
      const button = $('button[type="submit"]', form);
      button.disabled = true;
      button.textContent = 'Sending…';
      try {
        const response = await fetch(form.action, { method: 'POST', body: new FormData(form), credentials: 'same-origin', headers: { Accept: 'application/json' } });
        const body = await response.json().catch(() => null);
        if (!response.ok) {
          showErrors(body || { title: `HTTP ${response.status}` });
          return;
        }
        $('[data-outcome]', result).replaceChildren(badge(body.outcome));
        $('[data-reason]', result).textContent = body.reason || (body.providerMessageId ? `provider message id ${body.providerMessageId}` : '');
        $('[data-message-id]', result).textContent = body.messageId;
        $('[data-message-link]', result).href = `/messages/${encodeURIComponent(body.messageId)}`;
        $('[data-live-status]', result).replaceChildren(badge(body.status));
        $('[data-live-status]', result).dataset.state = body.status;
        $('[data-live-timeline]', result).replaceChildren();
        $('[data-request]', result).textContent = exchangeText(body.request);
        $('[data-response]', result).textContent = responseText(body.response, body.error) + (body.elapsedMs ? `\n\n(${body.elapsedMs} ms)` : '');
        form.hidden = true;
        result.hidden = false;
        $('h3', result).focus?.();
        poll(body.messageId);
      } catch (error) {
        showErrors({ title: `The request failed: ${error}` });
      } finally {
        button.disabled = false;
        button.textContent = 'Send Test';
      }
    });

    $('[data-test-again]', result).addEventListener('click', () => {
      stopPolling();
      result.hidden = true;
      form.hidden = false;
      $('#ts-mobile', form).focus();
    });
  }

  // ------------------------------------------------------------ segment rule builder
  // Rows for the conditions of one top-level all/any group, kept in step with the raw JSON (the field that is posted), and
  // a live count from /dashboard/segments/count. Nested groups are edited as JSON only.
  function initSegmentForm(form) {
    const builder = $('[data-segment-builder]', form);
    const rows = $('[data-builder-rows]', builder);
    const mode = $('[data-builder-mode]', builder);
    const note = $('[data-builder-note]', builder);
    const json = $('[data-rule-json]', form);
    const count = $('[data-segment-count]', form);
    const ops = ['eq', 'neq', 'in', 'contains', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'before', 'after', 'within'];
    const kinds = ['attribute', 'event', 'consent', 'country', 'randomPercent'];
    let conditions = [];
    let simple = true;
    let ids = 0;
    builder.hidden = false;

    const el = (tag, attrs = {}, ...children) => {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs)) {
        if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
      }
      e.append(...children);
      return e;
    };
    const isLeaf = (n) => n !== null && typeof n === 'object' && !Array.isArray(n) && kinds.some((k) => k in n);
    // A value as typed: a number, true/false, a JSON list or "quoted" string, otherwise the text itself.
    const typed = (text) => {
      const t = text.trim();
      if (t === 'true') return true;
      if (t === 'false') return false;
      if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
      if (t.startsWith('[') || t.startsWith('"')) { try { return JSON.parse(t); } catch { /* keep the text */ } }
      return text;
    };
    const shown = (v) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

    const field = (label, control) => {
      control.id = `builder-${++ids}`;
      return el('span', { class: 'builder-field' }, el('label', { for: control.id, text: label }), control);
    };
    const text = (value, set, attrs = {}) => {
      const input = el('input', { type: 'text', autocomplete: 'off', ...attrs });
      input.value = value ?? '';
      input.addEventListener('input', () => { set(input.value); write(); });
      return input;
    };
    const choice = (options, value, set) => {
      const select = el('select');
      for (const [v, label] of options) select.append(el('option', { value: v, text: label }));
      select.value = value;
      select.addEventListener('change', () => { set(select.value); write(); render(); });
      return select;
    };

    const row = (c, index) => {
      const li = el('li', { class: 'builder-row' });
      if ('attribute' in c) {
        li.append(el('span', { class: 'kind', text: 'Attribute' }),
          field('Attribute', text(c.attribute, (v) => { c.attribute = v.trim(); }, { placeholder: 'e.g. city' })),
          field('Operator', choice(ops.map((o) => [o, o]), c.op ?? 'eq', (v) => { c.op = v; })),
          field('Value', text(shown(c.value), (v) => { if (v.trim() === '') delete c.value; else c.value = typed(v); },
            { placeholder: 'Pune, 30, true, ["a","b"], 2026-01-01, P7D' })));
      } else if ('event' in c) {
        const did = 'notPerformed' in c ? 'notPerformed' : 'performed';
        const body = c[did] ?? (c[did] = {});
        li.append(el('span', { class: 'kind', text: 'Event' }),
          field('Event', text(c.event, (v) => { c.event = v.trim(); }, { placeholder: 'e.g. added_to_cart' })),
          field('Did', choice([['performed', 'performed'], ['notPerformed', 'did not perform']], did, (v) => {
            delete c.performed; delete c.notPerformed;
            if (v === 'notPerformed') delete body.atLeast;
            c[v] = body;
          })));
        if (did === 'performed') {
          li.append(field('At least', text(shown(body.atLeast ?? 1), (v) => {
            const n = Number.parseInt(v, 10);
            if (n > 1) body.atLeast = n; else delete body.atLeast;
          }, { inputmode: 'numeric' })));
        }
        li.append(field('Within', text(body.within, (v) => { if (v.trim()) body.within = v.trim(); else delete body.within; }, { placeholder: 'e.g. P7D (blank: ever)' })));
      } else if ('consent' in c) {
        li.append(el('span', { class: 'kind', text: 'Consent' }),
          field('Consent for', choice([['promotional', 'promotional'], ['transactional', 'transactional'], ['service', 'service']], c.consent, (v) => { c.consent = v; })));
      } else if ('country' in c) {
        li.append(el('span', { class: 'kind', text: 'Country' }),
          field('Country', text(Array.isArray(c.country) ? c.country.join(', ') : c.country, (v) => {
            const codes = v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
            c.country = codes.length === 1 ? codes[0] : codes;
          }, { placeholder: 'IN or IN, US' })));
      } else {
        li.append(el('span', { class: 'kind', text: 'Random sample' }),
          field('Percent', text(shown(c.randomPercent), (v) => { c.randomPercent = Number(v); }, { inputmode: 'decimal' })),
          field('Seed', text(c.seed, (v) => { c.seed = v; })));
      }
      const remove = el('button', { type: 'button', class: 'link small', text: 'Remove' });
      remove.append(el('span', { class: 'visually-hidden', text: ` condition ${index + 1}` }));
      remove.addEventListener('click', () => { conditions.splice(index, 1); write(); render(); });
      li.append(remove);
      return li;
    };

    function render() {
      rows.replaceChildren(...(simple ? conditions.map(row) : []));
      note.hidden = simple;
      for (const b of $$('[data-add]', builder)) b.disabled = !simple;
      mode.disabled = !simple;
    }

    function read() {
      let rule;
      try { rule = JSON.parse(json.value); } catch { simple = false; render(); return; }
      simple = true;
      if (rule && Array.isArray(rule.all) && rule.all.every(isLeaf)) { mode.value = 'all'; conditions = rule.all; }
      else if (rule && Array.isArray(rule.any) && rule.any.every(isLeaf)) { mode.value = 'any'; conditions = rule.any; }
      else if (isLeaf(rule)) { mode.value = 'all'; conditions = [rule]; }
      else simple = false;
      render();
    }

    function write() {
      json.value = JSON.stringify({ [mode.value]: conditions }, null, 2);
      later();
    }

    const fresh = {
      attribute: () => ({ attribute: '', op: 'eq', value: '' }),
      event: () => ({ event: '', performed: { within: 'P7D' } }),
      consent: () => ({ consent: 'promotional' }),
      country: () => ({ country: '' }),
      randomPercent: () => ({ randomPercent: 10, seed: 'a' }),
    };
    for (const b of $$('[data-add]', builder)) {
      b.addEventListener('click', () => {
        conditions.push(fresh[b.dataset.add]());
        write();
        render();
        const inputs = $$('input, select', rows.lastElementChild);
        inputs[0]?.focus();
      });
    }
    mode.addEventListener('change', write);
    json.addEventListener('input', () => { read(); later(); });

    let timer = null;
    let asked = 0;
    const countNow = async () => {
      const mine = ++asked;
      try {
        const response = await fetch('/dashboard/segments/count', { method: 'POST', body: new FormData(form), credentials: 'same-origin', headers: { Accept: 'application/json' } });
        const answer = await response.json();
        if (mine !== asked) return;
        if (response.ok && typeof answer.count === 'number') {
          count.textContent = `${answer.count.toLocaleString()} contact${answer.count === 1 ? '' : 's'} match now.`;
          count.classList.remove('field-error');
        } else {
          count.textContent = (answer.errors ?? []).map((e) => `${e.path}: ${e.message}`).join(' ') || answer.detail || 'The rule cannot be counted.';
          count.classList.add('field-error');
        }
      } catch { /* the next change tries again */ }
    };
    function later() { clearTimeout(timer); timer = setTimeout(countNow, 300); }

    read();
    countNow();
  }

  // ------------------------------------------------------------ journey JSON editor: says at once where the JSON breaks
  function initJourneyForm(form) {
    const json = $('[data-journey-json]', form);
    const status = $('[data-journey-json-status]', form);
    if (!json || !status) return;
    const hint = status.textContent;
    const check = () => {
      try {
        const value = JSON.parse(json.value);
        const problems = [];
        if (!value || typeof value !== 'object' || Array.isArray(value)) problems.push('the journey is a JSON object');
        else {
          if (!value.name) problems.push('give it a name');
          if (!Array.isArray(value.nodes) || value.nodes.length === 0) problems.push('list its nodes');
          else if (value.nodes.filter((n) => n && n.type === 'trigger').length !== 1) problems.push('exactly one node has type "trigger"');
        }
        status.textContent = problems.length ? `Not ready: ${problems.join('; ')}.` : hint;
        status.classList.toggle('field-error', problems.length > 0);
        json.setAttribute('aria-invalid', problems.length > 0 ? 'true' : 'false');
      } catch (e) {
        status.textContent = `Not valid JSON: ${e.message}`;
        status.classList.add('field-error');
        json.setAttribute('aria-invalid', 'true');
      }
    };
    json.addEventListener('input', check);
  }

  // ------------------------------------------------------------ start
  const start = () => {
    localTimes();
    // On a narrow screen the chart scrolls: start at the latest hour.
    for (const chart of $$('.chart-wrap')) chart.scrollLeft = chart.scrollWidth;
    for (const b of $$('[data-copy]')) b.addEventListener('click', () => copy(b));
    $$('[data-tabs]').forEach(initTabs);
    $$('[data-rows]').forEach(initRows);
    $$('[data-provider-form]').forEach(initProviderForm);
    $$('[data-segment-form]').forEach(initSegmentForm);
    $$('[data-journey-form]').forEach(initJourneyForm);
    const dialog = document.getElementById('test-sms');
    if (dialog) initTestSms(dialog);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
