// The transaction page (#/tx/HASH): its status through its life, followed live with
// tx_subscribeStatus (pending, then committed, rejected or expired), and its content: sender,
// receiver, amount in display units, memo, nonce, expiry and the block that carries it.

import { agoView, h, hashView } from '../dom.js';
import { formatTime } from '../format.js';
import { Unreachable } from '../rpc.js';
import {
  accountLink, amountView, badge, blockHashLink, blockLink, errorPanel, fields, loading, opName, opParties, panel,
  unreachablePanel,
} from './parts.js';

const FINAL = new Set(['committed', 'rejected', 'expired']);

function statusLine(info) {
  switch (info.status) {
    case 'committed':
      return h('span', {}, badge('committed'), ' in block ', blockLink(info.height), ` at index ${info.index}`);
    case 'rejected':
      return h('span', {}, badge('rejected'), ` ${info.reason} (code ${info.code}): ${info.message}`,
        info.height !== undefined ? h('span', {}, ' in block ', blockLink(info.height)) : null);
    case 'pending':
      return h('span', {}, badge('pending'), ' waiting in the mempool for a block');
    case 'expired':
      return h('span', {}, badge('expired'), ' its expiry passed before a block included it');
    default:
      return h('span', {}, badge('unknown'), ' this node has not seen it');
  }
}

function opFields(op, decimals) {
  const { to, amount } = opParties(op);
  const rows = [['Type', opName(op)]];
  if (to) rows.push([op.type === 'freeze' || op.type === 'unfreeze' ? 'Account' : 'Receiver', accountLink(to, { full: true })]);
  if (amount) rows.push(['Amount', amountView(amount, decimals, { id: 'tx-amount' })]);
  if (op.type === 'transfer') rows.push(['Memo', op.memo ? h('span', { class: 'memo', id: 'tx-memo' }, op.memo) : h('span', { class: 'muted' }, '(none)')]);
  if (op.key) rows.push(['Validator key', hashView(op.key, { full: true, label: 'public key' })]);
  if (op.power !== undefined) rows.push(['Power', String(op.power)]);
  return rows;
}

function contentView(tx, decimals) {
  return panel('Content', fields([
    ['Sender', accountLink(tx.sender_address, { full: true })],
    ...opFields(tx.op, decimals),
    ['Nonce', String(tx.nonce)],
    ['Expiry', formatTime(tx.expiry_ms)],
    ['Sender key', hashView(tx.sender, { label: 'public key' })],
    ['Signature', hashView(tx.signature, { label: 'signature' })],
    ['Chain', tx.chain_id],
  ]));
}

export function render(ctx, route) {
  const statusBox = h('div', { id: 'tx-status' }, loading('the status'));
  const timeline = h('ol', { class: 'timeline' });
  const content = h('div', {});
  const el = h('div', { id: 'tx-page', data: { hash: route.hash } },
    h('h1', {}, 'Transaction'),
    panel(null, fields([['Hash', hashView(route.hash, { full: true, label: 'transaction hash' })]])),
    panel('Status', statusBox, h('p', { class: 'note' }, 'Statuses this page has seen, and when:'), timeline),
    content,
  );
  let last = null;
  let sub = null;
  let disposed = false;
  const show = (info) => {
    if (disposed) return;
    if (info.tx && !content.firstChild) content.replaceChildren(contentView(info.tx, ctx.status.decimals));
    if (info.status === 'unknown' && !info.tx) {
      statusBox.replaceChildren(errorPanel('Transaction not found',
        'This node has never seen a transaction with this hash (or refused it when it was submitted). This page keeps watching and updates if it appears.', 'not-found'));
    } else {
      statusBox.replaceChildren(statusLine(info));
      if (info.status === 'committed') statusBox.append(h('p', {}, 'Block hash: ', blockHashLink(info.block_hash)));
    }
    const key = `${info.status}:${info.height ?? ''}`;
    if (key !== last) {
      last = key;
      if (info.status !== 'unknown') {
        timeline.append(h('li', {}, badge(info.status), ' ', agoView(Date.now()), ` (${formatTime(Date.now())})`));
      }
    }
    if (FINAL.has(info.status) && sub) {
      sub.close();
      sub = null;
    }
  };
  const load = async () => {
    try {
      const info = await ctx.rpc.call('tx_get', [route.hash]);
      show(info);
      return FINAL.has(info.status);
    } catch (e) {
      if (!disposed && !last) {
        statusBox.replaceChildren(e instanceof Unreachable ? unreachablePanel('the transaction') : errorPanel('Cannot load the transaction', e.message));
      }
      return false;
    }
  };
  load().then((final) => {
    if (final || disposed) return;
    // The first item is the current status, then every change until a final one; after a
    // reconnection the socket subscribes again and the first item catches up.
    sub = ctx.socket.subscribe({
      method: 'tx_subscribeStatus',
      unsubscribe: 'tx_unsubscribeStatus',
      params: () => [route.hash],
      onItem: show,
    });
  });
  return {
    el,
    title: `Transaction ${route.hash.slice(0, 10)}`,
    onOnline() {
      if (!last) load();
    },
    dispose() {
      disposed = true;
      if (sub) sub.close();
    },
  };
}
