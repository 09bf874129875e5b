/**
 * Selecting faces or people in a grid as file managers do: a click toggles one, shift-click selects the
 * range from the last clicked one, "select all" takes every one shown.
 */
export interface Selection {
  ids: ReadonlySet<number>;
  /** The last clicked id: where a shift-click range starts. */
  anchor?: number;
}

export const emptySelection: Selection = { ids: new Set() };

/** The selection after clicking `id` among `order` (the ids in the order shown). */
export function click(sel: Selection, id: number, order: readonly number[], shift: boolean): Selection {
  const ids = new Set(sel.ids);
  const from = sel.anchor === undefined ? -1 : order.indexOf(sel.anchor);
  const to = order.indexOf(id);
  if (shift && from >= 0 && to >= 0) {
    // a range takes the anchor's state: selecting from a selected anchor selects, from an unselected one clears
    const on = sel.ids.has(sel.anchor!);
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
      if (on) ids.add(order[i]!);
      else ids.delete(order[i]!);
    }
  } else if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { ids, anchor: id };
}

/** Every id shown. */
export const selectAll = (order: readonly number[]): Selection => ({ ids: new Set(order), anchor: order.at(-1) });

/** The selection kept after a refresh: only the ids still shown. */
export function keepShown(sel: Selection, order: readonly number[]): Selection {
  const shown = new Set(order);
  const ids = new Set([...sel.ids].filter((id) => shown.has(id)));
  return ids.size === sel.ids.size ? sel : { ids, ...(sel.anchor !== undefined && shown.has(sel.anchor) ? { anchor: sel.anchor } : {}) };
}
