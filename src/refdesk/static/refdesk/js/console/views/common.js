// Small pieces more than one view draws.
import { el } from "../../text.js";

export const $ = (id) => document.getElementById(id);

export function badge(item) {
  return el("span", { class: `badge campus-${item.campus}`, text: item.campus_name });
}
