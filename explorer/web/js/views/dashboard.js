// The dashboard (#/): chain id, height, time since the last block, block interval and
// "seen final after", transactions per second over the last minute, validators, and the
// latest blocks and transactions. Everything comes from the live block feed (feed.js), so
// it updates as blocks commit without a reload. stats.js defines each number.

import { agoView, h } from '../dom.js';
import { formatCount, formatDuration, formatRate, shortHash } from '../format.js';
import { barChart } from '../chart.js';
import { blockIntervals, commitDelays, median, tpsBins, tpsOverall, validatorActivity } from '../stats.js';
import {
  accountLink, amountView, badge, blockLink, opName, opParties, panel, table, txLink, validatorLink,
} from './parts.js';

const ROWS = 10;
const RECENT = 20;

function card(label, value, sub, attrs = {}) {
  return h('div', { class: 'card', ...attrs }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), h('div', { class: 'sub' }, sub));
}

function cardsView(ctx) {
  const entries = ctx.feed.entries;
  const tip = ctx.feed.tip();
  const status = ctx.status;
  const height = tip ? tip.block.height : status.height;
  const intervals = blockIntervals(entries.slice(-RECENT - 1)).map((x) => x.ms);
  const delays = commitDelays(entries).slice(-RECENT).map((x) => x.ms);
  const bins = tpsBins(entries, Date.now());
  const tps = tpsOverall(bins);
  const activity = validatorActivity(entries, ctx.validators);
  const online = [...activity.values()].filter((a) => a.status === 'online').length;
  const power = ctx.validators.reduce((sum, v) => sum + v.power, 0);
  return h('div', { class: 'cards', id: 'cards' },
    card('Chain', status.chain_id, `decimals ${status.decimals}`),
    card('Height', h('a', { id: 'dash-height', href: `#/block/${height}`, data: { height: String(height) } }, formatCount(height)), 'latest final block'),
    card('Since last block', tip ? agoView(tip.block.time_ms) : '–', tip ? `header time of #${tip.block.height}` : 'waiting for a block'),
    card('Block interval', formatDuration(median(intervals)), `median of ${intervals.length}, between header times`),
    card('Seen final after', formatDuration(median(delays)),
      delays.length ? `header time → this page, median of ${delays.length}` : 'measured on blocks that arrive live',
      { title: 'For each block received live: the time this page received it minus its header time. It covers proposal, voting, the commit certificate and delivery, plus any clock difference between the proposer and this computer.' }),
    card('Transactions / s', h('span', { id: 'dash-tps' }, formatRate(tps.rate)), `${formatCount(tps.txs)} in the last 60 s`),
    card('Validators', `${online} / ${ctx.validators.length}`, `online; total power ${formatCount(power)}`),
    card('Node', `${status.peers} peers`, status.syncing ? 'syncing' : 'in sync'),
  );
}

function chartView(ctx) {
  const bins = tpsBins(ctx.feed.entries, Date.now());
  const first = ctx.feed.entries[0];
  const partial = first && first.block.height > 1 && first.block.time_ms > bins[0].start;
  return h('div', {},
    barChart(bins.map((b) => b.rate), {
      labels: ['60 s ago', 'now'],
      format: (v) => formatRate(v),
      title: (i) => `${bins[i].txs} transactions, ${formatRate(bins[i].rate)}/s`,
      caption: 'Transactions per second in 5-second bins over the last minute',
    }),
    h('p', { class: 'note' },
      'Transactions per second in 5-second bins, by block header time.',
      partial ? ' Only the blocks loaded since this page opened are counted.' : ''),
  );
}

function validatorsView(ctx) {
  const activity = validatorActivity(ctx.feed.entries, ctx.validators);
  const rows = ctx.validators.map((v) => {
    const a = activity.get(v.key);
    return {
      attrs: { data: { validator: v.key } },
      cells: [
        accountLink(v.address),
        formatCount(v.power),
        a.lastSigned === null ? '–' : blockLink(a.lastSigned),
        badge(a.status === 'unknown' ? 'waiting' : a.status),
      ],
    };
  });
  return h('div', {},
    table([{ title: 'Validator' }, { title: 'Power', class: 'num wide-only' }, { title: 'Last signed', class: 'num' }, { title: 'Status' }], rows, 'No validators.'),
    h('p', { class: 'note' }, '“Last signed”: the newest block whose commit certificate lists it. Online: it signed or proposed one of the last 20 blocks. ', h('a', { href: '#/validators' }, 'Details')),
  );
}

function blocksView(ctx, seen) {
  const byHeight = new Map(ctx.feed.entries.map((e, i) => [e.block.height, i]));
  const rows = ctx.feed.latest(ROWS).map((e) => {
    const b = e.block;
    const prev = ctx.feed.entries[byHeight.get(b.height) - 1];
    const interval = prev && prev.block.height === b.height - 1 ? b.time_ms - prev.block.time_ms : NaN;
    return {
      attrs: { class: b.height > seen.block ? 'fresh' : null, data: { height: String(b.height) } },
      cells: [
        blockLink(b.height),
        agoView(b.time_ms),
        String(b.tx_hashes.length),
        validatorLink(b.proposer, ctx.validators, { copy: false }),
        formatDuration(interval),
        e.live ? formatDuration(e.receivedAt - b.time_ms) : '–',
      ],
    };
  });
  return h('div', {},
    table([
      { title: 'Height' }, { title: 'Time' }, { title: 'Txs', class: 'num' },
      { title: 'Proposer', class: 'wide-only' }, { title: 'Interval', class: 'num wide-only' }, { title: 'Seen final after', class: 'num wide-only' },
    ], rows, 'Waiting for blocks…'),
    h('p', { class: 'note' },
      'Interval: this block’s header time minus the previous block’s. Seen final after: when this page received the block (final, with its commit certificate) minus its header time; only for blocks received live, “–” for blocks loaded from history.'),
  );
}

function txsView(ctx, seen) {
  const decimals = ctx.status.decimals;
  const tiny = (address) => h('a', { href: `#/account/${address}`, title: address, class: 'hash' }, shortHash(address, 7, 4));
  const rows = ctx.feed.latestTxs(ROWS).map((t) => {
    const full = ctx.fullBlock(t.height);
    const tx = full?.txs?.[t.index];
    const { to, amount } = opParties(tx?.op);
    return {
      attrs: { class: t.height > seen.tx ? 'fresh' : null, data: { tx: t.hash } },
      cells: [
        txLink(t.hash),
        blockLink(t.height),
        tx ? opName(tx.op) : '…',
        tx ? h('span', {}, tiny(tx.sender_address), to ? [' → ', tiny(to)] : null) : '…',
        amount ? amountView(amount, decimals) : tx ? '–' : '…',
      ],
    };
  });
  return table([
    { title: 'Hash' }, { title: 'Block' }, { title: 'Type', class: 'wide-only' }, { title: 'From → to', class: 'wide-only' },
    { title: 'Amount', class: 'num' },
  ], rows, 'No transactions in the recent blocks.');
}

export function render(ctx) {
  const cards = h('div');
  const chart = h('div');
  const validators = h('div');
  const blocks = h('div');
  const txs = h('div');
  const el = h('div', { class: 'dashboard' },
    cards,
    h('div', { class: 'grid two' }, panel('Transactions per second, last minute', chart), panel('Validators', validators)),
    h('div', { class: 'grid two' }, panel('Latest blocks', blocks), panel('Latest transactions', h('div', { id: 'latest-txs' }, txs))),
  );
  // What was already shown, so only new rows are highlighted.
  const seen = { block: Infinity, tx: Infinity };
  let timer = null;
  const drawLive = () => {
    cards.replaceChildren(cardsView(ctx));
    chart.replaceChildren(chartView(ctx));
  };
  const drawAll = () => {
    timer = null;
    drawLive();
    validators.replaceChildren(validatorsView(ctx));
    blocks.replaceChildren(blocksView(ctx, seen));
    txs.replaceChildren(txsView(ctx, seen));
    const tip = ctx.feed.tip();
    const top = tip ? tip.block.height : 0;
    seen.block = top;
    seen.tx = top;
  };
  function redraw() {
    if (timer === null) timer = setTimeout(drawAll, 30);
  }
  drawAll();
  const stopFeed = ctx.feed.onBlock(redraw);
  const stopEvents = ctx.on('status validators details', redraw);
  const tick = setInterval(drawLive, 2500);
  return {
    el,
    title: 'Dashboard',
    dispose() {
      stopFeed();
      stopEvents();
      clearInterval(tick);
      clearTimeout(timer);
    },
  };
}
