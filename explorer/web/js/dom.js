// Building the page's elements safely: `h()` makes elements from text (never HTML strings, so
// chain data such as a memo can never become markup), plus the shared bits every view uses:
// hashes with a copy button, relative times that tick, links.

import { formatAgo, shortHash } from './format.js';

/**
 * h('a', {href: '#/', class: 'x', data: {tx: hash}, onclick: fn}, 'text', child, [more])
 * makes an element. Strings and numbers become text nodes; null, undefined and false are
 * skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'data') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/** Copies `text` to the clipboard; falls back to a hidden textarea outside secure contexts. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', { class: 'offscreen', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

/** A small "copy" button for `text`. */
export function copyButton(text, label = 'value') {
  const button = h('button', {
    type: 'button',
    class: 'copy',
    title: `Copy the full ${label}`,
    'aria-label': `Copy the full ${label}`,
    data: { copy: text },
  }, 'copy');
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    event.stopPropagation();
    try {
      await copyText(text);
      button.textContent = 'copied';
      button.classList.add('done');
    } catch {
      button.textContent = 'failed';
    }
    setTimeout(() => {
      button.textContent = 'copy';
      button.classList.remove('done');
    }, 1500);
  });
  return button;
}

/**
 * A hash or address, shortened (full value on hover), linked when `href` is given, with a
 * copy button (`copy: false` leaves it out in tight tables). `full: true` shows it whole.
 */
export function hashView(value, { href = null, full = false, short = shortHash, label = 'hash', copy = true } = {}) {
  if (!value) return h('span', { class: 'muted' }, '–');
  const text = full ? value : short(value);
  const inner = href
    ? h('a', { href, title: value, class: 'hash' }, text)
    : h('span', { title: value, class: 'hash' }, text);
  return h('span', { class: 'hash-wrap' }, inner, copy ? copyButton(value, label) : null);
}

/** A relative time ("4 s ago") that the ticker keeps current; the UTC time on hover. */
export function agoView(timeMs) {
  return h('time', {
    datetime: new Date(timeMs).toISOString(),
    title: new Date(timeMs).toISOString(),
    data: { ago: String(timeMs) },
  }, formatAgo(timeMs));
}

/** Refreshes every relative time on the page once a second. */
export function startTicker() {
  setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll('time[data-ago]')) {
      el.textContent = formatAgo(Number(el.dataset.ago), now);
    }
  }, 1000);
}
