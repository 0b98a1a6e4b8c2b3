// Windowing for long lists: only the rows in and near the viewport are in
// the DOM, with spacers above and below standing for the rest, so a list
// of 500 containers costs what a screenful costs to render and to update.

/** windowed is the threshold: shorter lists render whole (and keep rows of any height). */
export const windowedFrom = 150;

export interface Slice {
  start: number; // first row rendered
  end: number; // one past the last
  before: number; // px of the spacer above
  after: number; // px of the spacer below
}

/**
 * slice picks the rows to render: those under the viewport, given how far
 * the list's top is above the viewport's top (px, negative while the list
 * starts lower down), plus overscan rows each side. Rows are taken as
 * rowHeight high; the rendered count covers the viewport even if real rows
 * are half that.
 */
export function slice(count: number, scrolledPast: number, viewport: number, rowHeight: number, overscan = 10): Slice {
  const first = Math.min(Math.floor(Math.max(0, scrolledPast) / rowHeight), count - 1);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + Math.ceil((2 * viewport) / rowHeight) + overscan);
  return { start, end, before: start * rowHeight, after: (count - end) * rowHeight };
}
