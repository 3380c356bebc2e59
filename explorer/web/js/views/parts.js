// Pieces the views share: panels, field lists, tables, links to blocks, transactions and
// accounts, status badges, and what an operation means in words and amounts.

import { h, hashView } from '../dom.js';
import { formatAmount, shortAddress } from '../format.js';
import { routeHash } from '../router.js';

export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, ...children);
}

/** A definition list of [label, value] rows; rows that are null are skipped. */
export function fields(rows) {
  const dl = h('dl', { class: 'fields' });
  for (const row of rows) {
    if (!row) continue;
    const [label, value, attrs = {}] = row;
    dl.append(h('dt', {}, label), h('dd', attrs, value));
  }
  return dl;
}

/**
 * A table: `columns` are [{title, class?}], `rows` are arrays of cells (or {cells, attrs}).
 * It scrolls sideways inside its panel on small screens.
 */
export function table(columns, rows, empty = 'Nothing yet.') {
  const head = h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)));
  const body = rows.map((row) => {
    const { cells, attrs } = Array.isArray(row) ? { cells: row, attrs: {} } : row;
    return h('tr', attrs, cells.map((cell, i) => h('td', { class: columns[i]?.class }, cell)));
  });
  if (!rows.length) body.push(h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, empty)));
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, head), h('tbody', {}, body)));
}

export function blockLink(height) {
  return h('a', { href: routeHash('block', height) }, `#${height}`);
}

export function txLink(hash, opts = {}) {
  return hashView(hash, { href: routeHash('tx', hash), label: 'transaction hash', ...opts });
}

export function blockHashLink(hash, opts = {}) {
  return hashView(hash, { href: routeHash('block', hash), label: 'block hash', ...opts });
}

export function accountLink(address, opts = {}) {
  return hashView(address, { href: routeHash('account', address), short: shortAddress, label: 'address', ...opts });
}

/** A validator by key: its address (linked) when it is in the set, else the key. */
export function validatorLink(key, validators, opts = {}) {
  const v = validators.find((x) => x.key === key);
  if (v) return accountLink(v.address, opts);
  return hashView(key, { label: 'public key', ...opts });
}

export function badge(text, kind = text) {
  return h('span', { class: `badge ${kind}` }, text.replace(/_/g, ' '));
}

export function amountView(units, decimals, attrs = {}) {
  return h('span', { class: 'amount', data: { units: String(units) }, ...attrs }, formatAmount(units, decimals));
}

/** An error panel: what failed and what the reader can do. */
export function errorPanel(title, message, id = null) {
  return h('section', { class: 'panel error-box', id }, h('h2', {}, title), h('p', {}, message));
}

export function loading(what) {
  return h('p', { class: 'muted' }, `Loading ${what}…`);
}

/** The readable name of an operation type: "add_validator" is "add validator". */
export function opName(op) {
  return (op?.type ?? '?').replace(/_/g, ' ');
}

/** Who receives, and how much, for the operations that have them. */
export function opParties(op) {
  switch (op?.type) {
    case 'transfer':
    case 'mint':
      return { to: op.to, amount: op.amount };
    case 'burn':
      return { to: null, amount: op.amount };
    case 'freeze':
    case 'unfreeze':
      return { to: op.account, amount: null };
    default:
      return { to: null, amount: null };
  }
}

/** A view's message when the node could not be asked: it retries once the node is back. */
export function unreachablePanel(what) {
  return errorPanel(
    `Cannot load ${what}`,
    'The node cannot be reached right now. This page loads it again by itself once the node answers.',
  );
}
