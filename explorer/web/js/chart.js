// A bar chart drawn as SVG by hand (no library): one bar per bin, a baseline, the top value
// and the time axis' ends. Sized by its viewBox so it scales to any screen width.

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== null) el.textContent = text;
  return el;
}

/**
 * Draws `values` (numbers, oldest first) as bars. `labels` are [left, right] axis captions;
 * `format(v)` writes the scale's top value; `title(i)` the tooltip of bar i.
 */
export function barChart(values, { labels = ['', ''], format = String, title = () => '', caption = '' } = {}) {
  const W = 600;
  const H = 160;
  const left = 36;
  const bottom = 18;
  const top = 8;
  const plotH = H - bottom - top;
  const max = Math.max(1, ...values);
  // A round top for the scale: 1, 2 or 5 times a power of ten.
  const pow = 10 ** Math.floor(Math.log10(max));
  const scaleTop = [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= max);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': caption });
  root.append(svg('title', {}, caption));
  const slot = (W - left) / Math.max(1, values.length);
  values.forEach((v, i) => {
    const barH = (v / scaleTop) * plotH;
    const rect = svg('rect', {
      class: 'bar',
      x: (left + i * slot + slot * 0.12).toFixed(1),
      y: (top + plotH - barH).toFixed(1),
      width: (slot * 0.76).toFixed(1),
      height: Math.max(0, barH).toFixed(1),
      rx: 2,
    });
    rect.append(svg('title', {}, title(i)));
    root.append(rect);
  });
  root.append(svg('line', { class: 'axis', x1: left, x2: W, y1: top + plotH + 0.5, y2: top + plotH + 0.5 }));
  root.append(svg('line', { class: 'axis', x1: left - 0.5, x2: left - 0.5, y1: top, y2: top + plotH }));
  root.append(svg('text', { x: left - 4, y: top + 8, 'text-anchor': 'end' }, format(scaleTop)));
  root.append(svg('text', { x: left - 4, y: top + plotH, 'text-anchor': 'end' }, '0'));
  root.append(svg('text', { x: left, y: H - 4 }, labels[0]));
  root.append(svg('text', { x: W, y: H - 4, 'text-anchor': 'end' }, labels[1]));
  return root;
}
