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

  // ------------------------------------------------------------ start
  const start = () => {
    localTimes();
    // On a narrow screen the chart scrolls: start at the latest hour.
    for (const chart of $$('.chart-wrap')) chart.scrollLeft = chart.scrollWidth;
    for (const b of $$('[data-copy]')) b.addEventListener('click', () => copy(b));
    $$('[data-tabs]').forEach(initTabs);
    $$('[data-rows]').forEach(initRows);
    $$('[data-provider-form]').forEach(initProviderForm);
    const dialog = document.getElementById('test-sms');
    if (dialog) initTestSms(dialog);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
