import { describe, expect, it } from 'vitest';
import { click, emptySelection, keepShown, selectAll } from './select.js';

const order = [10, 11, 12, 13, 14];
const ids = (s: { ids: ReadonlySet<number> }) => [...s.ids].sort((a, b) => a - b);

describe('face and people selection', () => {
  it('a click toggles one and becomes the anchor', () => {
    const a = click(emptySelection, 12, order, false);
    expect(ids(a)).toEqual([12]);
    expect(a.anchor).toBe(12);
    expect(ids(click(a, 12, order, false))).toEqual([]);
  });

  it('shift-click selects the range from the anchor, either direction', () => {
    const a = click(emptySelection, 11, order, false);
    expect(ids(click(a, 14, order, true))).toEqual([11, 12, 13, 14]);
    const b = click(emptySelection, 13, order, false);
    expect(ids(click(b, 10, order, true))).toEqual([10, 11, 12, 13]);
  });

  it('shift-click from an unselected anchor clears the range', () => {
    let s = selectAll(order);
    s = click(s, 11, order, false); // 11 cleared, anchor 11
    expect(ids(click(s, 13, order, true))).toEqual([10, 14]);
  });

  it('shift-click with no anchor shown toggles just the one', () => {
    expect(ids(click({ ids: new Set([99]), anchor: 99 }, 12, order, true))).toEqual([12, 99]);
  });

  it('a refresh keeps only the ids still shown', () => {
    const s = { ids: new Set([10, 12, 99]), anchor: 99 };
    const k = keepShown(s, order);
    expect(ids(k)).toEqual([10, 12]);
    expect(k.anchor).toBeUndefined();
    const same = { ids: new Set([10]), anchor: 10 };
    expect(keepShown(same, order)).toBe(same);
  });
});
