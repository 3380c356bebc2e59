// The account page (#/account/vl1…): balance, nonce and frozen flag (account_get), and the
// history, newest first, one page at a time (account_getHistory's cursor). New entries arrive
// live through account_subscribe, resumed from the newest cursor after a reconnection.

import { agoView, h, hashView } from '../dom.js';
import { formatSigned, shortAddress } from '../format.js';
import { checkAddress } from '../bech32.js';
import { RpcError, Unreachable } from '../rpc.js';
import {
  accountLink, amountView, badge, blockLink, errorPanel, fields, loading, panel, table, txLink, unreachablePanel,
} from './parts.js';

const PAGE = 20;

function historyRow(entry, address, decimals) {
  const outgoing = entry.role === 'sender';
  const amount = entry.amount
    ? h('span', { class: `amount ${outgoing ? 'out' : 'in'}`, data: { units: entry.amount } }, formatSigned(entry.amount, decimals, outgoing))
    : '–';
  return {
    attrs: { data: { tx: entry.tx_hash, cursor: entry.cursor } },
    cells: [
      blockLink(entry.height),
      agoView(entry.time_ms),
      txLink(entry.tx_hash),
      entry.kind.replace(/_/g, ' '),
      entry.role,
      entry.counterparty && entry.counterparty !== address ? accountLink(entry.counterparty, { short: shortAddress }) : '–',
      amount,
      entry.reject_code !== undefined ? badge(`rejected (${entry.reject_code})`, 'rejected') : badge('ok'),
    ],
  };
}

export function render(ctx, route) {
  const address = route.address;
  const decimals = ctx.status.decimals;
  const summary = h('div', {}, loading('the account'));
  const historyBox = h('div', { id: 'account-history' });
  const pager = h('div', { class: 'pager' });
  const el = h('div', { id: 'account-page', data: { address } },
    h('h1', {}, 'Account'),
    summary,
    panel('History', historyBox, pager),
  );
  const entries = [];
  let nextCursor = null;
  let sub = null;
  let disposed = false;
  let failed = false;

  const drawHistory = () => {
    historyBox.replaceChildren(table([
      { title: 'Block' }, { title: 'Time', class: 'wide-only' }, { title: 'Transaction' }, { title: 'Kind' },
      { title: 'Role', class: 'wide-only' }, { title: 'Counterparty', class: 'wide-only' }, { title: 'Amount', class: 'num' },
      { title: 'Outcome', class: 'wide-only' },
    ], entries.map((e) => historyRow(e, address, decimals)), 'No transactions yet.'));
    pager.replaceChildren(
      h('span', { class: 'muted' }, `${entries.length} shown`),
      nextCursor ? h('button', { type: 'button', id: 'history-older', onclick: older }, 'Older entries') : h('span', { class: 'muted' }, entries.length ? '(the oldest entry)' : ''),
    );
  };

  const loadAccount = async () => {
    const account = await ctx.rpc.call('account_get', [address]);
    if (disposed) return;
    summary.replaceChildren(panel(null, fields([
      ['Address', hashView(account.address, { full: true, label: 'address' })],
      ['Balance', amountView(account.balance, decimals, { id: 'account-balance' })],
      ['Next nonce', String(account.nonce)],
      account.pending_nonce !== undefined ? ['Pending nonce', `${account.pending_nonce} (transactions waiting in this node's mempool)`] : null,
      ['Frozen', account.frozen ? badge('frozen') : badge('no', 'ok')],
    ])));
  };

  async function older() {
    try {
      const page = await ctx.rpc.call('account_getHistory', [address, nextCursor, PAGE]);
      if (disposed) return;
      entries.push(...page.entries);
      nextCursor = page.next_cursor;
      drawHistory();
    } catch (e) {
      pager.append(h('span', { class: 'muted' }, ` Could not load more: ${e.message}`));
    }
  }

  const onEvent = (event) => {
    if (entries.some((e) => e.cursor === event.cursor)) return;
    entries.unshift(event);
    drawHistory();
    const row = historyBox.querySelector('tbody tr');
    if (row) row.classList.add('fresh');
    loadAccount().catch(() => {});
  };

  const load = async () => {
    const checked = checkAddress(address);
    if (!checked.ok) {
      summary.replaceChildren(errorPanel('Not an account address', `“${address}” ${checked.reason}.`, 'not-found'));
      return;
    }
    try {
      await loadAccount();
      const page = await ctx.rpc.call('account_getHistory', [address, null, PAGE]);
      if (disposed) return;
      failed = false;
      entries.splice(0, entries.length, ...page.entries);
      nextCursor = page.next_cursor;
      drawHistory();
      if (!sub) {
        // Resume after the newest entry shown: events arrive oldest first, each once.
        sub = ctx.socket.subscribe({
          method: 'account_subscribe',
          unsubscribe: 'account_unsubscribe',
          params: () => (entries.length ? [address, entries[0].cursor] : [address]),
          onItem: onEvent,
        });
      }
    } catch (e) {
      if (disposed) return;
      failed = true;
      if (e instanceof RpcError && e.code === -32602) {
        summary.replaceChildren(errorPanel('Not an account address', `${address}: ${e.message}`, 'not-found'));
        historyBox.replaceChildren();
      } else if (e instanceof Unreachable) {
        summary.replaceChildren(unreachablePanel('the account'));
      } else {
        summary.replaceChildren(errorPanel('Cannot load the account', e.message));
      }
    }
  };
  load();
  return {
    el,
    title: `Account ${shortAddress(address)}`,
    onOnline() {
      if (failed) load();
      else loadAccount().catch(() => {});
    },
    dispose() {
      disposed = true;
      if (sub) sub.close();
    },
  };
}
