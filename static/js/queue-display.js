/* The queue display on a TV in the hall (issue 14).
 *
 * Polls the session's queue state (JSON: numbers and desks only) every few seconds and redraws the
 * desks, the last calls and the waiting numbers. A new call (a number called, or called again)
 * rings a chime (WebAudio, no sound file) and is spoken in the page's language through the
 * browser's speech synthesis where there is one. A failed poll keeps the last state on screen with
 * a small "offline" marker; the next successful poll removes it. Browsers start sound only after a
 * click: the "sound on" button is pressed once when the TV is set up (or the kiosk browser is
 * started with --autoplay-policy=no-user-gesture-required). No inline script (strict CSP).
 */
(function () {
  'use strict';
  const root = document.getElementById('queue-tv');
  if (!root) return;
  const T = JSON.parse(document.getElementById('queue-strings').textContent);
  const POLL_MS = Math.max(1, Number(root.dataset.poll) || 3) * 1000;
  const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  const $ = (selector) => root.querySelector(selector);
  let audio = null;
  let lastGood = null;
  let known = null; // the call ids already announced (null until the first state: no sound on load)
  const announcements = [];
  root.dataset.announced = '0';

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- Sound -----------------------------------------------------------------------------------------
  function enableSound() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) audio = new Context();
    if (audio && audio.state === 'suspended') audio.resume();
    root.dataset.sound = 'on';
    $('[data-sound]').hidden = true;
  }
  function chime() {
    if (!audio || audio.state !== 'running') return false;
    const start = audio.currentTime + 0.02;
    [[880, 0], [660, 0.45]].forEach(([frequency, offset]) => { // ding-dong
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.5, start + offset + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.9);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 1);
    });
    root.dataset.chimes = String(Number(root.dataset.chimes || 0) + 1);
    return true;
  }
  function speak(text) {
    if (!('speechSynthesis' in window) || typeof window.SpeechSynthesisUtterance !== 'function') return false;
    const utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = root.dataset.speechLang || 'id-ID';
    utterance.rate = 0.9;
    const voice = window.speechSynthesis.getVoices().find((v) => v.lang && v.lang.replace('_', '-').startsWith(utterance.lang.slice(0, 2)));
    if (voice) utterance.voice = voice;
    window.speechSynthesis.speak(utterance);
    root.dataset.spoken = String(Number(root.dataset.spoken || 0) + 1);
    return true;
  }
  // One call after the other: the chime, then the voice, never two voices at once.
  let speaking = Promise.resolve();
  function announce(call) {
    const text = fmt(T.call, { number: Number(call.number), desk: call.desk });
    announcements.push(text);
    root.dataset.announced = String(announcements.length);
    root.dataset.lastCall = text;
    speaking = speaking.then(() => new Promise((resolve) => {
      const rang = chime();
      window.setTimeout(() => { speak(text); window.setTimeout(resolve, 2500); }, rang ? 1300 : 0);
    }));
    const desk = root.querySelector(`[data-desk="${call.desk}"]`);
    if (desk) {
      desk.classList.remove('flash');
      void desk.offsetWidth; // restart the animation
      desk.classList.add('flash');
    }
  }

  // --- Drawing ---------------------------------------------------------------------------------------
  function draw(state) {
    const desks = $('[data-desks]');
    desks.replaceChildren(...state.desks.map((row) => {
      const item = el('li', `tv-desk${row.number ? '' : ' idle'}`);
      item.dataset.desk = String(row.desk);
      item.append(el('span', 'tv-desk-label', fmt(T.desk, { desk: row.desk })));
      const number = el('span', 'tv-number', row.number || '–');
      number.dataset.testid = 'serving-number';
      item.append(number);
      return item;
    }));
    const recent = $('[data-recent]');
    recent.replaceChildren(...state.recent.map((call) => {
      const item = el('li');
      item.append(el('span', 'tv-recent-number', call.number), ' ',
        el('span', 'tv-recent-desk', fmt(T.desk, { desk: call.desk })), ' ', el('span', 'tv-recent-at', call.at));
      return item;
    }));
    $('[data-waiting]').textContent = String(state.waiting_count);
    $('[data-next]').replaceChildren(...state.waiting.flatMap((number) => [el('span', '', number), ' ']));
    $('[data-updated]').textContent = fmt(T.updated, { time: state.updated });
  }
  function newCalls(state) {
    const ids = state.recent.map((call) => call.call);
    if (known === null) { known = new Set(ids); return []; }
    const fresh = state.recent.filter((call) => !known.has(call.call)).reverse(); // oldest first
    ids.forEach((id) => known.add(id));
    return fresh;
  }

  // --- Polling ---------------------------------------------------------------------------------------
  function setOffline(offline) {
    const marker = $('[data-offline]');
    root.classList.toggle('is-offline', offline);
    root.dataset.online = offline ? '0' : '1';
    marker.hidden = !offline;
    if (offline) marker.textContent = fmt(T.offline, { time: lastGood || '–' });
  }
  async function poll() {
    try {
      const response = await fetch(root.dataset.stateUrl, { cache: 'no-store', credentials: 'omit' });
      if (!response.ok) throw new Error(String(response.status));
      const state = await response.json();
      draw(state);
      newCalls(state).forEach(announce);
      lastGood = state.updated;
      setOffline(false);
    } catch (error) {
      setOffline(true); // keep what is on screen; try again at the next tick
    } finally {
      window.setTimeout(poll, POLL_MS);
    }
  }
  function tick() {
    const now = new Date();
    $('[data-clock]').textContent = `${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}`;
  }

  $('[data-sound]').addEventListener('click', enableSound);
  window.addEventListener('offline', () => setOffline(true));
  window.setInterval(tick, 10000);
  poll();
}());
