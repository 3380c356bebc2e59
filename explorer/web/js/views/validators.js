// The validators page (#/validators): the set of the next height (chain_getValidators) with
// power and share, and what the blocks seen by this page say of each: last signed (in a
// commit certificate), last proposed, online or not. stats.js defines these.

import { h, hashView } from '../dom.js';
import { formatCount } from '../format.js';
import { validatorActivity } from '../stats.js';
import { accountLink, badge, blockLink, panel, table } from './parts.js';

const WINDOW = 20;

function view(ctx) {
  const entries = ctx.feed.entries;
  const activity = validatorActivity(entries, ctx.validators, WINDOW);
  const total = ctx.validators.reduce((s, v) => s + v.power, 0);
  const rows = ctx.validators.map((v, i) => {
    const a = activity.get(v.key);
    return {
      attrs: { data: { validator: v.key } },
      cells: [
        String(i + 1),
        accountLink(v.address),
        hashView(v.key, { label: 'public key' }),
        formatCount(v.power),
        total ? `${((100 * v.power) / total).toFixed(1)} %` : '–',
        a.lastSigned === null ? '–' : blockLink(a.lastSigned),
        a.lastProposed === null ? '–' : blockLink(a.lastProposed),
        badge(a.status === 'unknown' ? 'waiting' : a.status),
      ],
    };
  });
  const first = entries[0]?.block.height;
  const last = entries[entries.length - 1]?.block.height;
  return h('div', {},
    h('h1', {}, 'Validators'),
    panel(`${ctx.validators.length} validators, total power ${formatCount(total)}`,
      table([
        { title: '#', class: 'num' }, { title: 'Address' }, { title: 'Public key', class: 'wide-only' }, { title: 'Power', class: 'num' },
        { title: 'Share', class: 'num wide-only' }, { title: 'Last signed', class: 'num' }, { title: 'Last proposed', class: 'num wide-only' },
        { title: 'Status' },
      ], rows, 'No validators.'),
      h('p', { class: 'note' },
        'The set that signs the next height. A block is final once validators with more than two thirds of the power sign its precommits. ',
        `“Last signed” is the newest block whose commit certificate lists the validator; a certificate holds only the signatures that formed the quorum, so an online validator can be absent from some. `,
        `Online: it signed or proposed one of the last ${WINDOW} blocks. `,
        first !== undefined ? `Based on blocks #${first} to #${last}, seen by this page.` : 'No blocks seen yet.'),
    ),
  );
}

export function render(ctx) {
  const el = h('div', {}, view(ctx));
  let timer = null;
  const redraw = () => {
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        el.replaceChildren(view(ctx));
      }, 200);
    }
  };
  const stopFeed = ctx.feed.onBlock(redraw);
  const stopEvents = ctx.on('validators', redraw);
  return {
    el,
    title: 'Validators',
    dispose() {
      stopFeed();
      stopEvents();
      clearTimeout(timer);
    },
  };
}
