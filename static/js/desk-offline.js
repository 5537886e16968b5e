/* The offline desk (issue 17).
 *
 * IndexedDB "kudus-desk": store "data" (one record per session: the downloaded bookings with an
 * expiry, and the desk's local view of what it did), store "queue" (the actions not yet synced, in
 * order: {key, kind, session, payload, at}), store "conflicts" (what the last syncs refused, shown
 * one by one). Every action gets a client-generated idempotency key (crypto.randomUUID) and the time
 * it was done; the server applies each key exactly once (schedules/services/desk_sync.py).
 */
(function () {
  'use strict';
  const root = document.getElementById('desk');
  if (!root) return;
  const T = JSON.parse(document.getElementById('desk-strings').textContent);
  const SESSION = Number(root.dataset.session);
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  let db = null;
  let syncing = false;
  let csrfToken = (document.querySelector('input[name=csrfmiddlewaretoken]') || {}).value || '';

  // --- IndexedDB ---------------------------------------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open('kudus-desk', 1);
      request.onupgradeneeded = () => {
        const d = request.result;
        d.createObjectStore('data', { keyPath: 'session' });
        d.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
        d.createObjectStore('conflicts', { keyPath: 'seq', autoIncrement: true });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  function tx(stores, mode, work) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(stores, mode);
      let result;
      Promise.resolve(work(t)).then((value) => { result = value; });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }
  const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const getData = () => tx(['data'], 'readonly', (t) => req(t.objectStore('data').get(SESSION)));
  const putData = (data) => tx(['data'], 'readwrite', (t) => { t.objectStore('data').put(data); });
  const queueAll = () => tx(['queue'], 'readonly', (t) => req(t.objectStore('queue').getAll()))
    .then((items) => items.filter((item) => item.session === SESSION));
  const conflictsAll = () => tx(['conflicts'], 'readonly', (t) => req(t.objectStore('conflicts').getAll()));

  // --- Status banner ---------------------------------------------------------------------------
  async function showStatus() {
    const waiting = (await queueAll()).length;
    const online = navigator.onLine;
    const status = $('desk-status');
    status.classList.toggle('offline', !online);
    status.dataset.waiting = String(waiting);
    status.textContent = `${online ? T.online : T.offline} — ${fmt(T.waiting, { count: waiting })}`;
  }
  const note = (text) => { $('desk-note').textContent = text; };

  // --- Download, expiry --------------------------------------------------------------------------
  async function download() {
    const response = await fetch(root.dataset.dataUrl, { credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    const fresh = await response.json();
    csrfToken = fresh.csrf_token || csrfToken;
    delete fresh.csrf_token;
    const old = await getData();
    fresh.session = SESSION;
    fresh.walkins = old && (await queueAll()).length ? old.walkins : [];
    fresh.local = old && (await queueAll()).length ? old.local : {};
    fresh.location = old ? old.location : null;
    await putData(fresh);
    await cacheShell();
    note(T.downloaded + ' ' + fmt(T.expires, { time: new Date(fresh.expires_at).toLocaleString() }));
    return fresh;
  }
  async function loadData() {
    const data = await getData();
    if (data && new Date(data.expires_at) < new Date()) {
      // A stolen tablet's data goes stale: delete it (the queue stays until it is synced).
      await tx(['data'], 'readwrite', (t) => { t.objectStore('data').delete(SESSION); });
      note(T.expired);
      return null;
    }
    return data;
  }
  async function cacheShell() {
    if (!('caches' in window)) return;
    const urls = [window.location.pathname];
    document.querySelectorAll('script[src], link[rel=stylesheet], link[rel=manifest]').forEach((el) => {
      urls.push(el.getAttribute('src') || el.getAttribute('href'));
    });
    const cache = await caches.open('kudus-desk');
    await cache.addAll(urls);
    root.dataset.cached = '1';
  }

  // --- Actions -------------------------------------------------------------------------------------
  async function enqueue(kind, payload, update) {
    const action = { key: crypto.randomUUID(), kind, session: SESSION, payload, at: new Date().toISOString() };
    const data = await getData();
    update(data, action.key);
    await tx(['queue', 'data'], 'readwrite', (t) => {
      t.objectStore('queue').add(action);
      t.objectStore('data').put(data);
    });
    await render();
    if (navigator.onLine) sync();
    return action.key;
  }
  function requestRef(data, booking) {
    const local = data.local[booking.code] || {};
    if (booking.service_request) return { service_request: booking.service_request };
    return { ref: local.checkin };
  }
  const stockLocation = () => $('desk-location').value || null;
  async function bookingAction(code, step) {
    const data = await getData();
    const booking = data.bookings.find((b) => b.code === code);
    if (step === 'check_in') {
      return enqueue('check_in', { code }, (d, key) => { d.local[code] = { ...(d.local[code] || {}), checkin: key, status: 'checked_in' }; });
    }
    const payload = requestRef(data, booking);
    if (step === 'complete') {
      if (booking.service === 'printing' && !stockLocation()) { note(T.choose_location); return null; }
      payload.location = stockLocation();
    }
    const status = step === 'start' ? 'in_progress' : 'completed';
    return enqueue(step, payload, (d) => { d.local[code] = { ...(d.local[code] || {}), request_status: status }; });
  }
  async function walkInAction(index, service, step) {
    const data = await getData();
    const walkin = data.walkins[index];
    const payload = { ref: walkin.key, service };
    if (step === 'complete') {
      if (service === 'printing' && !stockLocation()) { note(T.choose_location); return null; }
      payload.location = stockLocation();
    }
    const status = step === 'start' ? 'in_progress' : 'completed';
    return enqueue(step, payload, (d) => { d.walkins[index].status[service] = status; });
  }
  async function walkIn(event) {
    event.preventDefault();
    const form = event.target;
    const nik = form.elements.nik.value.trim();
    const birthDate = form.elements.birth_date.value;
    // One visit: its services are served in this order (the server opens each after the one before).
    const ORDER = ['recording', 'printing', 'ikd_activation'];
    const services = [...form.querySelectorAll('input[name=service]:checked')].map((box) => ({
      service: box.value, reason: form.elements[`reason-${box.value}`].value,
    })).sort((a, b) => ORDER.indexOf(a.service) - ORDER.indexOf(b.service));
    if (!nik || !birthDate || !services.length) { note(T.walk_in_needs); return; }
    await enqueue('walk_in', { nik, birth_date: birthDate, services }, (d, key) => {
      const status = {};
      services.forEach((s) => { status[s.service] = 'queued'; });
      // Only the last four digits stay in the local list (the NIK itself travels in the queue only).
      d.walkins.push({ key, nik: `…${nik.slice(-4)}`, services: services.map((s) => s.service), status });
    });
    form.reset();
    note(T.walk_in_queued);
  }

  // --- Sync ------------------------------------------------------------------------------------------
  async function sync() {
    if (syncing || !navigator.onLine) return;
    const queued = await queueAll();
    if (!queued.length) { await showStatus(); return; }
    syncing = true;
    let progressed = false;
    try {
      await download().catch(() => null); // a fresh CSRF token (and data) before posting
      const batch = queued.slice(0, 500);
      let response;
      try {
        response = await fetch(root.dataset.syncUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken },
        body: JSON.stringify({ actions: batch.map(({ seq, ...action }) => action) }),
        });
      } catch (error) {
        return; // the connection dropped again: everything stays queued (the keys make a resend safe)
      }
      if (!response.ok) return;
      const { results } = await response.json();
      const counts = { applied: 0, duplicate: 0, conflict: 0 };
      await tx(['queue', 'conflicts'], 'readwrite', (t) => {
        results.forEach((result, i) => {
          const action = batch[i];
          if (!action || result.key !== action.key) return;
          t.objectStore('queue').delete(action.seq);
          const refused = result.status === 'conflict' || result.status === 'invalid'
            || (result.status === 'duplicate' && result.result.outcome === 'conflict');
          if (refused) {
            counts.conflict += 1;
            t.objectStore('conflicts').add({ kind: action.kind, at: action.at, message: result.message, code: result.code });
          } else {
            counts[result.status] = (counts[result.status] || 0) + 1;
          }
        });
      });
      progressed = true;
      note(fmt(T.synced, counts));
      root.dataset.lastSync = JSON.stringify(counts);
      if (!(await queueAll()).length) {
        await download().catch(() => null); // the server's state now, walk-ins included
      }
    } finally {
      syncing = false;
      await render();
    }
    if (progressed && navigator.onLine && (await queueAll()).length) await sync();
  }

  // --- Rendering -------------------------------------------------------------------------------------
  function cell(row, text) { const td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }
  function button(td, label, handler) {
    const b = document.createElement('button');
    b.type = 'button'; b.className = 'btn'; b.textContent = label;
    b.addEventListener('click', handler);
    td.appendChild(b);
  }
  async function render() {
    await showStatus();
    const data = await loadData();
    const bookings = $('desk-bookings');
    const walkins = $('desk-walkins');
    await renderConflicts();
    // No await below this line: the tables are rebuilt in one go (never seen half-empty).
    bookings.replaceChildren();
    walkins.replaceChildren();
    if (!data) { if (!$('desk-note').textContent) note(T.no_data); return; }
    const select = $('desk-location');
    if (select.options.length !== data.locations.length + 1) {
      const chosen = select.value;
      select.replaceChildren(new Option('—', ''), ...data.locations.map((l) => new Option(`${l.name} (${l.code})`, l.code)));
      select.value = chosen || data.location || '';
    }
    data.bookings.forEach((b) => {
      const local = data.local[b.code] || {};
      const status = local.request_status || (b.request_status && b.request_status !== 'submitted' ? b.request_status : null)
        || local.status || b.status;
      const row = document.createElement('tr');
      row.dataset.code = b.code;
      cell(row, b.code).className = 'mono';
      cell(row, b.name);
      cell(row, b.nik).className = 'mono';
      cell(row, `${b.service_label} · ${b.starts_at}`);
      cell(row, (T[status] || status) + (b.eligible ? '' : ` — ${T.not_eligible}: ${b.eligibility_error}`));
      const actions = cell(row, '');
      if (status === 'active') button(actions, T.check_in, () => bookingAction(b.code, 'check_in'));
      if (status === 'checked_in') button(actions, T.start, () => bookingAction(b.code, 'start'));
      if (status === 'in_progress') button(actions, T.complete, () => bookingAction(b.code, 'complete'));
      bookings.appendChild(row);
    });
    data.walkins.forEach((w, index) => {
      // The visit's service being served: the first one not completed; the others wait for it.
      const current = w.services.find((service) => w.status[service] !== 'completed');
      w.services.forEach((service) => {
        const row = document.createElement('tr');
        row.dataset.walkin = `${index}-${service}`;
        cell(row, w.nik).className = 'mono';
        cell(row, T.service_labels[service] || service);
        const status = w.status[service];
        const waits = service !== current && status === 'queued';
        cell(row, waits ? `${T[status] || status} — ${T.after_previous}` : (T[status] || status));
        const actions = cell(row, '');
        if (status === 'queued' && !waits) button(actions, T.start, () => walkInAction(index, service, 'start'));
        if (status === 'in_progress') button(actions, T.complete, () => walkInAction(index, service, 'complete'));
        walkins.appendChild(row);
      });
    });
  }
  async function renderConflicts() {
    const conflicts = await conflictsAll();
    const box = $('desk-conflicts');
    box.hidden = !conflicts.length;
    if (!conflicts.length) return;
    $('desk-conflict-count').textContent = fmt(T.conflict_of, { index: 1, count: conflicts.length });
    const first = conflicts[0];
    $('desk-conflict-text').textContent = `${new Date(first.at).toLocaleTimeString()} · ${first.message}`;
    $('desk-conflict-next').onclick = async () => {
      await tx(['conflicts'], 'readwrite', (t) => { t.objectStore('conflicts').delete(first.seq); });
      await renderConflicts();
    };
  }

  // --- Start ---------------------------------------------------------------------------------------
  async function start() {
    db = await openDb();
    if ('serviceWorker' in navigator) {
      try { await navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swScope }); } catch (e) { /* the desk works online without it */ }
    }
    $('desk-download').addEventListener('click', () => download().then(render).catch(() => null));
    $('desk-sync').addEventListener('click', sync);
    $('desk-walkin').addEventListener('submit', walkIn);
    $('desk-location').addEventListener('change', async () => {
      const data = await getData();
      if (data) { data.location = stockLocation(); await putData(data); }
    });
    window.addEventListener('online', () => { showStatus(); sync(); });
    window.addEventListener('offline', showStatus);
    // Logging out deletes this browser's desk data (Clear-Site-Data): sync the queue first.
    document.querySelectorAll('form[action*="logout"]').forEach((form) => {
      form.addEventListener('submit', async (event) => {
        if (form.dataset.synced) return;
        event.preventDefault();
        await sync();
        form.dataset.synced = '1';
        form.requestSubmit(); // dashboard.js then asks before deleting actions that did not sync
      });
    });
    if (navigator.onLine) {
      await download().catch(() => null);
    }
    await render();
    if (navigator.onLine) await sync();
    root.dataset.ready = '1';
  }
  start();
}());
