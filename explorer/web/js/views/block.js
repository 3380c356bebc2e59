// The block page (#/block/HEIGHT or #/block/HASH): header fields, proposer, the commit
// certificate's signers against the validator set, and the block's transactions.

import { agoView, h, hashView } from '../dom.js';
import { formatCount, formatTime } from '../format.js';
import { Unreachable } from '../rpc.js';
import {
  accountLink, amountView, blockHashLink, blockLink, errorPanel, fields, loading, opName, opParties, panel,
  table, txLink, unreachablePanel, validatorLink,
} from './parts.js';

function signersView(block, validators) {
  const signers = block.commit?.signers ?? [];
  if (!block.commit) return h('p', { class: 'muted' }, 'The node has no commit certificate for this block yet.');
  const total = validators.reduce((s, v) => s + v.power, 0);
  const signed = validators.filter((v) => signers.includes(v.key)).reduce((s, v) => s + v.power, 0);
  const rows = signers.map((key) => {
    const v = validators.find((x) => x.key === key);
    return [validatorLink(key, validators), hashView(key, { label: 'public key' }), v ? formatCount(v.power) : 'not in the current set'];
  });
  return h('div', {},
    h('p', {},
      `Round ${block.commit.round}: ${signers.length} of ${validators.length} validators signed`,
      total ? `, power ${formatCount(signed)} of ${formatCount(total)} (a block needs more than two thirds).` : '.'),
    table([{ title: 'Signer' }, { title: 'Public key' }, { title: 'Power', class: 'num' }], rows),
    h('p', { class: 'note' }, 'The certificate holds the precommits that formed the quorum; a validator missing here may still have voted. Power is from the current validator set.'),
  );
}

function txsView(block, decimals) {
  const rows = (block.txs ?? []).map((tx, i) => {
    const { to, amount } = opParties(tx.op);
    return {
      attrs: { data: { tx: tx.hash } },
      cells: [
        String(i),
        txLink(tx.hash),
        opName(tx.op),
        accountLink(tx.sender_address),
        to ? accountLink(to) : '–',
        amount ? amountView(amount, decimals) : '–',
        tx.op.memo ? h('span', { class: 'memo' }, tx.op.memo) : '',
      ],
    };
  });
  return h('div', {},
    table([
      { title: '#', class: 'num' }, { title: 'Hash' }, { title: 'Type' }, { title: 'From', class: 'wide-only' },
      { title: 'To' }, { title: 'Amount', class: 'num' }, { title: 'Memo', class: 'wide-only' },
    ], rows, 'No transactions in this block.'),
    rows.length ? h('p', { class: 'note' }, 'A transaction in a block may still have been rejected by the ledger: its page shows the outcome.') : null,
  );
}

function blockView(ctx, block) {
  const tip = ctx.feed.tip()?.block.height ?? ctx.status.height;
  const nav = h('div', { class: 'pager' },
    block.height > 1 ? h('a', { href: `#/block/${block.height - 1}` }, `← #${block.height - 1}`) : null,
    block.height < tip ? h('a', { href: `#/block/${block.height + 1}` }, `#${block.height + 1} →`) : h('span', { class: 'muted' }, 'the latest block'),
  );
  return h('div', { data: { height: String(block.height) }, id: 'block-page' },
    h('h1', {}, `Block #${formatCount(block.height)}`),
    panel(null,
      fields([
        ['Height', h('span', { id: 'block-height' }, String(block.height))],
        ['Hash', hashView(block.hash, { full: true, label: 'block hash' })],
        ['Time', h('span', {}, formatTime(block.time_ms), ' (', agoView(block.time_ms), ')')],
        ['Proposer', validatorLink(block.proposer, ctx.validators, { full: true })],
        ['Transactions', String(block.tx_hashes.length)],
        ['Previous block', block.height > 1 ? blockHashLink(block.prev_hash) : hashView(block.prev_hash)],
        ['Transactions root', hashView(block.tx_root, { label: 'root' })],
        ['State root', hashView(block.state_root, { label: 'root' })],
        ['Last commit hash', hashView(block.last_commit_hash)],
        ['Validators hash', hashView(block.validators_hash)],
        ['Chain', block.chain_id],
      ]),
      nav,
    ),
    panel('Commit certificate', signersView(block, ctx.validators)),
    panel(`Transactions (${block.tx_hashes.length})`, txsView(block, ctx.status.decimals)),
  );
}

export function render(ctx, route) {
  const el = h('div', {}, loading('the block'));
  let disposed = false;
  let failed = false;
  let stopWaiting = () => {};
  const load = async () => {
    try {
      const block = await ctx.rpc.call('chain_getBlock', [route.id, true]);
      if (disposed) return;
      failed = false;
      if (!block) {
        const what = typeof route.id === 'number' ? `at height ${formatCount(route.id)}` : `with hash ${route.id}`;
        const tip = ctx.feed.tip()?.block.height ?? ctx.status.height;
        el.replaceChildren(errorPanel('Block not found', `There is no block ${what} (yet): the chain is at height ${formatCount(tip)}.`, 'not-found'),
          h('p', {}, 'Latest block: ', blockLink(tip), '. This page shows the block when it is committed.'));
        if (typeof route.id === 'number') {
          stopWaiting();
          stopWaiting = ctx.feed.onBlock((entry) => {
            if (entry.block.height >= route.id) {
              stopWaiting();
              load();
            }
          });
        }
        return;
      }
      el.replaceChildren(blockView(ctx, block));
    } catch (e) {
      if (disposed) return;
      failed = true;
      el.replaceChildren(e instanceof Unreachable ? unreachablePanel('the block') : errorPanel('Cannot load the block', e.message));
    }
  };
  load();
  return {
    el,
    title: `Block ${route.id}`,
    onOnline() {
      if (failed) load();
    },
    dispose() {
      disposed = true;
      stopWaiting();
    },
  };
}
